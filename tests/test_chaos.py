"""Issue 10, Build: a short run of the tally station's crash injection (tests/chaos/).

`make chaos N=…` runs it long; here a few rounds: the exports imported through killed children
and reruns, and one publish killed and redone (every round must kill its child mid-command).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.chaos.tally_chaos import run

ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "4"))


def test_killed_tally_commands_leave_the_old_state_or_the_new(tmp_path: Path) -> None:
    figures = run(ROUNDS, seed=int(os.environ.get("CHAOS_SEED", "5")), tmp=tmp_path)
    assert figures.rounds == ROUNDS
    # Each child was killed, or failed cleanly on an injected ENOSPC or EIO, at a call it makes.
    assert figures.kills + figures.faults == ROUNDS
