"""The polls state machine (persisted in the ballot store).

    unconfigured → configured → open ⇄ paused → closed;  closed → paused (two-person reset)

Guards (checked by `booth.booth.Booth`, each refusal a named error): configure needs a package
that verifies against the pinned authority; open needs an empty store, an empty mirror, a
ready printer and a printed zero report; close needs no voter session in progress; every
transition needs a poll worker's credential (two for the reset) and prints its report.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

from booth.core.machine import Transitions


class PollsState(enum.Enum):
    UNCONFIGURED = "unconfigured"
    CONFIGURED = "configured"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


POLLS = Transitions[PollsState](
    "polls",
    {
        PollsState.UNCONFIGURED: frozenset({PollsState.CONFIGURED}),
        PollsState.CONFIGURED: frozenset({PollsState.OPEN}),
        PollsState.OPEN: frozenset({PollsState.PAUSED, PollsState.CLOSED}),
        PollsState.PAUSED: frozenset({PollsState.OPEN, PollsState.CLOSED}),
        PollsState.CLOSED: frozenset({PollsState.PAUSED}),
    },
)


class ReportKind(enum.Enum):
    """Which report a polls transition prints."""

    CONFIGURED = "configured"
    ZERO = "zero"  # 開機歸零報表, at opening
    PAUSE = "pause"
    RESUME = "resume"
    CLOSING = "closing"  # 關機結算報表
    RESET = "reset"  # the two-person reset back to paused


@dataclass(frozen=True)
class QuestionCount:
    question_id: str
    taken: int
    declined: int


@dataclass(frozen=True)
class PollsReport:
    """What a transition's report says; never a plaintext tally.

    The report printer (booth/reports.py) lays it out for the thermal printer and the PDF.
    `chain_start` is the opening nonce; `close_code` is set only on the closing report.
    """

    kind: ReportKind
    booth_id: str
    station_id: str
    manifest_hash: bytes
    opening_nonce: bytes | None
    close_code: bytes | None
    checked_in: int
    cast: int
    challenged: int
    voided: int
    checked_in_not_cast: int
    cardless: int
    questions: tuple[QuestionCount, ...]
    transition_time: datetime.datetime
    log_head: bytes  # the event log's head at the transition
