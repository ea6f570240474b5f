"""Issue 10, Build: the booth's crash and fault injection (tests/chaos/booth_chaos.py), short.

`make chaos N=…` runs it long. Here: a few random rounds (booth and poll book killed at
seeded points, restarted, every restart checked), chosen faults (ENOSPC, EIO, a medium pulled,
a store write interrupted), each of which must stop the booth with a named fault, lose nothing
told cast, and recover once cleared; and the privacy scan over everything they left.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from booth.errors import StoreWriteFailed
from booth.store import BallotStore
from tests.chaos.booth_chaos import CALIBRATION, Day, Harness, Setup, build
from tests.chaos.privacy import Secrets, scan

ROUNDS = int(os.environ.get("CHAOS_BOOTH_ROUNDS", "4"))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return build(tmp_path_factory.mktemp("booth-chaos"), voters=40)


def test_killed_booths_and_poll_books_lose_no_ballot_told_cast(setup: Setup) -> None:
    harness = Harness(setup, seed=int(os.environ.get("CHAOS_SEED", "3")), calibration=CALIBRATION)
    figures = harness.run(ROUNDS)
    assert figures.rounds == ROUNDS
    assert figures.restarts >= ROUNDS  # every round's child began with a checked restart
    # Each round's point is reached, or the round is counted as ended before it.
    assert (
        figures.kills + figures.pollbook_kills + figures.faults + figures.tolerated
        + figures.completed == ROUNDS
    )  # fmt: skip
    assert figures.told >= 1 and figures.ballots_checked >= figures.told
    assert figures.cast >= figures.told


FAULTS = [
    # (phase, action, the write it hits, the named error the booth must stop with)
    ("cast", "enospc", ["booth-mirror.jsonl"], "MirrorWriteFailed: the mirror on"),
    ("cast", "eio", [".booth-outbox.txt.partial"], "MirrorWriteFailed: the outbox on"),
    ("cast", "pulled", ["booth-mirror.jsonl"], "MirrorWriteFailed"),
    ("cast", "sqlfault", ["COMMIT"], "StoreWriteFailed: the ballot store could not be written"),
    ("confirm", "sqlfault", ["INSERT"], "StoreWriteFailed: the ballot store could not be written"),
]


def test_storage_faults_stop_the_booth_named_and_it_recovers_once_each_is_cleared(
    setup: Setup,
) -> None:
    """One polling day, one fault after the other: ENOSPC and EIO on the mirror medium, the
    medium pulled, a store write interrupted at the cast's COMMIT and at sealing; then ENOSPC
    on the export medium at closing. Each stops the booth with its named fault; the restart
    after it is cleared is checked like every chaos restart (nothing told cast lost, the chain
    verifies, the poll book agrees, the files are clean); the day then closes and verifies."""
    harness = Harness(setup, seed=7, calibration=CALIBRATION)
    day = Day(harness, 90)
    day.pollbook.start()
    try:
        first = day.child([{"do": "open"}, *day.votes(2, plain=True)], None)
        harness.absorb(day, first, day.polls, [{"do": "open"}])
        assert first.rc == 0 and len(first.get("TOLD")) == 2
        for phase, action, targets, named in FAULTS:
            spec = {"phase": phase, "at": 1, "action": action, "targets": targets}
            faulted = day.child(day.votes(2, plain=True), spec)
            assert faulted.get("HIT"), (spec, faulted.lines)
            assert faulted.rc == 3, (spec, faulted.rc, faulted.stderr[-2000:])
            assert any(f.startswith(named) for f in faulted.get("FAULT")), faulted.get("FAULT")
            assert "Traceback" not in faulted.stderr
            harness.absorb(day, faulted, day.polls, [{"do": "vote"}])  # checks its restart
            pulled = day.booth / "mirror.pulled"
            if pulled.exists():  # the medium is plugged back in
                pulled.rename(day.booth / "mirror")
            harness.scan(day)
        # Cleared: the restart recovers, voters vote again; then the export medium is full.
        spec = {"phase": "close", "at": 1, "action": "enospc",
                "targets": [".export-S1-A.json.partial"]}  # fmt: skip
        closing = day.child([*day.votes(2, plain=True), {"do": "close"}], spec)
        assert len(closing.get("TOLD")) == 2
        assert closing.rc == 3
        assert any(f.startswith("ExportFailed") and "full" in f for f in closing.get("FAULT"))
        harness.absorb(day, closing, day.polls, [{"do": "close"}])
        harness.finish(day)  # polls stayed closed; write_export writes the copy, verified
        assert day.polls == {"closed"}
        assert harness.figures.told == 4 and harness.figures.cast >= 4
    finally:
        day.pollbook.stop()


def test_an_interrupted_store_write_names_its_cause_not_the_rollback(tmp_path: Path) -> None:
    """Found by the chaos run: SQLite rolls a transaction back itself on an interrupt (and on
    SQLITE_FULL or an I/O error); the store's ROLLBACK then failed with "cannot rollback - no
    transaction is active", which replaced the real cause in the poll worker's message."""
    store = BallotStore(tmp_path / "ballots.sqlite")
    try:
        store.count("checked_in")
        inserting = {"now": False}  # interrupt the write inside the transaction, not BEGIN

        def trace(statement: str) -> None:
            inserting["now"] = statement.lstrip().upper().startswith("INSERT")

        store.db.conn.set_trace_callback(trace)
        store.db.conn.set_progress_handler(lambda: int(inserting["now"]), 1)
        with pytest.raises(StoreWriteFailed, match="interrupted") as caught:
            store.count("checked_in")
        assert "rollback" not in str(caught.value)
        store.db.conn.set_progress_handler(None, 1)
        store.db.conn.set_trace_callback(None)
        assert not store.db.conn.in_transaction
        assert store.counter("checked_in") == 1  # the failed write changed nothing
        store.count("checked_in")  # and the store still works
        assert store.counter("checked_in") == 2
    finally:
        store.close()


def test_the_privacy_scan_finds_what_it_looks_for(tmp_path: Path, setup: Setup) -> None:
    """The scan is not vacuous: each kind of secret planted in a file is reported."""
    from booth.driver import random_plans

    definition = setup.verified.definition
    plans = random_plans(definition, setup.identifiers[:3])
    secrets = Secrets(setup.secrets.identifiers, setup.secrets.roll_hashes, [b"S" * 16])
    from ballots.ballot import PlaintextBallot
    from ballots.paper import paper_qr

    taken = {q: c for q, c in plans[0].choices.items() if c is not None}
    planted = {
        "a.sqlite-wal": setup.identifiers[1].encode(),
        "b.jsonl": setup.secrets.roll_hashes[2],
        "c.partial": (b"S" * 16).hex().encode(),
        "d.json": paper_qr(definition, PlaintextBallot(taken)).encode(),
        "events.log": b'{"code":"ballot-cast","details":{},"prev":"00","seq":1,'
        b'"time":"2026-01-01T00:00:00Z"}\n',
        "clean.txt": b"nothing here",
    }
    for name, data in planted.items():
        (tmp_path / name).write_bytes(data if name == "events.log" else b"pad " + data + b" pad")
    found = scan(sorted(tmp_path.iterdir()), secrets, definition, plans)
    assert [f.split(": ", 1)[1] for f in found] == [
        "a voter identifier",
        "a roll hash",
        "a session S",
        "a plaintext choice",
        "ballot-cast carries a time",
    ]
    # The poll book's own file may hold the roll hashes and S; the booth's outbox S.
    (tmp_path / "pollbook.sqlite").write_bytes(setup.secrets.roll_hashes[0] + b"S" * 16)
    (tmp_path / "booth-outbox.txt").write_bytes((b"S" * 16).hex().encode())
    assert (
        scan(
            [tmp_path / "pollbook.sqlite", tmp_path / "booth-outbox.txt"],
            secrets,
            definition,
            plans,
        )
        == []
    )
