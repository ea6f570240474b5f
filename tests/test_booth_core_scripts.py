"""Random voter scripts through the booth core (hypothesis): cast, challenge, decline
questions, pull the card, printer faults at random points, timeouts, restarts.

After each script: cast ballots = poll-book completions; every challenged ballot is in the
export with a reveal that re-encrypts; every void is a chain-void entry; no identifier, roll
hash, S or cast plaintext in any file the booth wrote."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.ballot import Choice, PlaintextBallot, check_reveal
from ballots.chain import EntryKind
from ballots.export import BoothExport, Status
from ballots.package import roll_hash
from ballots.paper import paper_qr
from booth.core.session import SessionState
from tests.booth_core_helpers import CARD_PIN, VOTERS, WORKER_PINS, Bench, Election, build_election

PIN = WORKER_PINS[0]

ANSWER = st.sampled_from([Choice.YES, Choice.NO, Choice.BLANK, None])
ENDING = st.sampled_from(
    [
        "cast",
        "cast",
        "challenge",
        "pull_questions",
        "pull_deciding",
        "timeout_review",
        "timeout_deciding",
        "paper_out",
        "restart_deciding",
    ]
)
VOTER = st.tuples(ANSWER, ANSWER, ENDING, st.integers(50, 2000))


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return build_election(tmp_path_factory.mktemp("election"))


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(VOTER, min_size=1, max_size=5))
def test_random_voter_scripts(election: Election, script: list) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(election, Path(tmp))
        try:
            run(bench, election, script)
        finally:
            bench.stop()


def run(bench: Bench, election: Election, script: list) -> None:  # type: ignore[type-arg]
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None and bench.virtual is not None
    expected_voids = 0
    expected_challenges = 0
    cast_plaintexts: list[PlaintextBallot] = []
    for n, (a17, a18, ending, offset) in enumerate(script):
        voter = VOTERS[n]
        bench.slot.insert(election, voter)
        booth.card_inserted()
        booth.enter_pin(CARD_PIN)
        assert booth.view().state is SessionState.QUESTIONS  # type: ignore[union-attr]
        booth.answer("17", a17)
        booth.answer("18", a18)
        taken = {q: c for q, c in (("17", a17), ("18", a18)) if c is not None}
        if ending == "pull_questions":
            bench.slot.pull()
            booth.card_removed()
            continue
        booth.review()
        if ending == "timeout_review":
            bench.clock.t += 1000
            booth.tick()
            assert booth.view().state is SessionState.TIMED_OUT  # type: ignore[union-attr]
            continue
        if ending == "paper_out" and taken:
            bench.virtual.paper_out_at = bench.virtual.received + offset
        booth.confirm()
        state = booth.view().state  # type: ignore[union-attr]
        if not taken:
            assert state is SessionState.DECLINED
            bench.virtual.paper_out_at = None
            continue
        if ending == "paper_out":
            if state is SessionState.PRINTER_FAULT:
                expected_voids += 1
                bench.virtual.replace_paper()
                booth.printer_attended(PIN)
                continue
            bench.virtual.paper_out_at = None  # the roll lasted: an ordinary cast
            ending = "cast"
        assert state is SessionState.DECIDING
        if ending == "challenge":
            booth.challenge()
            expected_challenges += 1
            booth.review()
            booth.confirm()
            ending = "cast"
        if ending == "cast":
            booth.cast()
            cast_plaintexts.append(PlaintextBallot(taken))
        elif ending == "pull_deciding":
            bench.slot.pull()
            booth.card_removed()
            expected_voids += 1
        elif ending == "timeout_deciding":
            bench.clock.t += 1000
            booth.tick()
            expected_voids += 1
        elif ending == "restart_deciding":
            booth = bench.start()
            expected_voids += 1
            booth.printer_attended(PIN)
            # The crashed session's check-in stays in progress at the poll book (a poll
            # worker releases it with this booth's answer).

    written = booth.close_polls(PIN, bench.usb)
    running = b"".join(p.read_bytes() for p in bench.written_files())
    export = BoothExport.from_json(written.path.read_bytes())
    ctx = booth.package.context

    # Cast ballots = poll-book completions.
    voted = {s for s in pb.completed}
    assert export.counts.cast == len(cast_plaintexts) == len(voted)
    assert booth.store.outbox() == []
    # Every challenged ballot is in the export with a reveal that re-encrypts.
    challenged = [b for b in export.ballots if b.status is Status.CHALLENGED]
    assert len(challenged) == export.counts.challenged == expected_challenges
    for b in challenged:
        assert b.reveal is not None
        check_reveal(ctx, b.ballot, b.reveal)
    # Every void is a chain-void entry, and nothing else is.
    voids = [e for e in export.chain if e.kind is EntryKind.VOID]
    assert len(voids) == export.counts.voided == expected_voids
    hashes = {b.ballot.hash(ctx.base) for b in export.ballots}
    assert {e.ballot_hash for e in export.chain if e.kind is not EntryKind.VOID} == hashes
    assert not any(v.ballot_hash in hashes for v in voids)
    # No identifier, roll hash, S or cast plaintext in any file.
    booth.close()
    bench.booth = None
    blob = running + b"".join(p.read_bytes() for p in bench.written_files())
    secrets = []
    for voter in VOTERS:
        h = roll_hash(election.roll_key, voter)
        secrets += [voter.encode(), h, h.hex().encode()]
    for s in pb.issued:
        secrets += [s, s.hex().encode()]
    for plain in cast_plaintexts:
        secrets.append(paper_qr(ctx.definition, plain).encode())
    secrets += ["同意".encode(), b'"yes"', b'"no"', b'"blank"']
    assert [s for s in secrets if s in blob] == []
