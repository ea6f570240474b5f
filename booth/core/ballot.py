"""The ballot lifecycle (persisted in the ballot store).

    fixed → printed → cast | challenged;   fixed | printed → void

`fixed`: the ballot is encrypted and its tracking code computed (its chain entry waits for the
decision). `printed`: the printer confirmed the paper record complete (PROTOCOL §5). A ballot
still fixed or printed when its session ends, or when the booth restarts, becomes void: a
chain-void entry; its contents are deleted, only its hash stays in the chain.
"""

from __future__ import annotations

import enum

from booth.core.machine import Transitions


class BallotState(enum.Enum):
    FIXED = "fixed"
    PRINTED = "printed"
    CAST = "cast"
    CHALLENGED = "challenged"
    VOID = "void"

    @property
    def decided(self) -> bool:
        return self in (BallotState.CAST, BallotState.CHALLENGED, BallotState.VOID)


BALLOT = Transitions[BallotState](
    "ballot",
    {
        BallotState.FIXED: frozenset({BallotState.PRINTED, BallotState.VOID}),
        BallotState.PRINTED: frozenset(
            {BallotState.CAST, BallotState.CHALLENGED, BallotState.VOID}
        ),
        BallotState.CAST: frozenset(),
        BallotState.CHALLENGED: frozenset(),
        BallotState.VOID: frozenset(),
    },
)
