"""Issue 10, Build: short runs of the tally station's and the trustees' crash injection
(tests/chaos/).

`make chaos N=…` runs it long; here a few rounds: the exports imported through killed children
and reruns, and one publish killed and redone (every round must kill its child mid-command).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.chaos import trustee_chaos
from tests.chaos.tally_chaos import run

ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "4"))


def test_killed_tally_commands_leave_the_old_state_or_the_new(tmp_path: Path) -> None:
    figures = run(ROUNDS, seed=int(os.environ.get("CHAOS_SEED", "5")), tmp=tmp_path)
    assert figures.rounds == ROUNDS
    # Each child was killed, or failed cleanly on an injected ENOSPC or EIO, at a call it makes.
    assert figures.kills + figures.faults == ROUNDS


def test_killed_trustee_steps_resume_and_rewrite_nothing(tmp_path: Path) -> None:
    """`trustee step` killed at random calls (round 1 of a ceremony, each trustee once): each
    rerun resumes and leaves every file the killed step had completed byte-identical.
    `make chaos` runs whole ceremonies and `trustee decrypt` too."""
    rounds = int(os.environ.get("CHAOS_TRUSTEE_ROUNDS", "2"))
    figures = trustee_chaos.run(rounds, seed=int(os.environ.get("CHAOS_SEED", "5")), tmp=tmp_path)
    assert figures.rounds == figures.steps + figures.decrypts == rounds
    assert figures.kills + figures.completed == rounds
