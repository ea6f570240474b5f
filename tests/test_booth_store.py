"""The ballot store and its mirror: one transaction per cast, both copies before "counted",
start-up comparison, the recovery path, and nothing linkable or secret in any file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from ballots.ballot import Choice
from ballots.chain import replay
from ballots.export import BoothExport
from ballots.package import roll_hash
from ballots.paper import paper_qr
from booth.core.ballot import BallotState
from booth.core.session import SessionState
from booth.errors import (
    CopiesDisagree,
    MirrorCorrupt,
    MirrorWriteFailed,
    OpeningRefused,
    RecoveryRefused,
    SessionRefused,
)
from booth.eventlog import EventCode, RecoveryKind
from booth.store import MIRROR_NAME, OUTBOX_NAME, BallotStore, Mirror, MirrorOutbox, Side
from crypto.hashing import fingerprint
from tests.booth_core_helpers import (
    CARD_PIN,
    REVOKED,
    STRANGER,
    VOTERS,
    WORKER_PINS,
    Bench,
    Election,
    build_election,
)
from tests.test_booth_core import vote_until_deciding

PIN = WORKER_PINS[0]


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return build_election(tmp_path_factory.mktemp("election"))


@pytest.fixture
def bench(election: Election, tmp_path: Path):  # type: ignore[no-untyped-def]
    b = Bench(election, tmp_path / "booth")
    yield b
    b.stop()


def cast_one(bench: Bench, voter: str, **choices: Choice | None) -> None:
    vote_until_deciding(bench, voter, **choices)
    assert bench.booth is not None
    bench.booth.cast()


def mirror_lines(bench: Bench) -> list[bytes]:
    return (bench.mirror_folder / MIRROR_NAME).read_bytes().splitlines(keepends=True)


# The store's own guarantees ------------------------------------------------------------------


def test_store_pragmas_and_schema(bench: Bench) -> None:
    booth = bench.opened()
    conn = sqlite3.connect(bench.store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    sql = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    assert "WITHOUT ROWID" in sql["ballots"] and "WITHOUT ROWID" in sql["outbox"]
    columns = {r[1] for r in conn.execute("PRAGMA table_info(ballots)")}
    assert columns == {"ballot_id", "state", "ballot_hash", "ballot", "reveal"}  # no time, no S
    conn.close()
    assert booth.store.db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert booth.store.db.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_mirror_records_recompute_from_scratch(bench: Bench) -> None:
    import json

    booth = bench.opened()
    cast_one(bench, VOTERS[0])
    prev = bytes(32)
    from crypto.encoding import canonical_json

    for n, line in enumerate(mirror_lines(bench)):
        obj = json.loads(line)
        assert obj["n"] == n and bytes.fromhex(obj["prev"]) == prev
        digest = fingerprint("booth-mirror", prev, n, canonical_json(obj["record"]))
        assert digest.hex() == obj["hash"]
        prev = digest
    opening = booth.store.opening()
    assert opening is not None
    entries = booth.store.entries()
    from ballots.chain import ChainEntry
    from booth.core.tracking import entry_kind

    replayed = replay(
        opening.base,
        opening.booth_id,
        opening.opening_nonce,
        [ChainEntry(entry_kind(e.fate), e.ballot_hash) for e in entries],
    )
    assert list(replayed.links) == [e.link for e in entries]


# Exactly once: the crash points of a cast ---------------------------------------------------


class Crash(BaseException):
    pass


def test_crash_between_store_and_mirror_brings_the_mirror_up(bench: Bench) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench, VOTERS[0])
    original = Mirror.append

    def crash(self, record):  # type: ignore[no-untyped-def]
        raise Crash

    Mirror.append = crash  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            booth.cast()
    finally:
        Mirror.append = original  # type: ignore[method-assign]
    assert pb.completed == []  # the poll book was not told: the voter was not told either
    booth = bench.start()
    assert (
        EventCode.RECOVERY,
        {"kind": RecoveryKind.MIRROR_CAUGHT_UP, "count": 1},
    ) in bench.log.events
    assert pb.completed == pb.issued and booth.store.outbox() == []
    assert len(mirror_lines(bench)) == 2  # opening + the cast
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST]


def test_a_torn_mirror_line_is_dropped_then_brought_up(bench: Bench) -> None:
    booth = bench.opened()
    cast_one(bench, VOTERS[0])
    lines = mirror_lines(bench)
    (bench.mirror_folder / MIRROR_NAME).write_bytes(b"".join(lines[:-1]) + lines[-1][:40])
    booth = bench.start()
    assert booth.storage_problem is None
    assert mirror_lines(bench) == lines


def test_store_one_behind_is_brought_up_from_the_mirror(bench: Bench) -> None:
    booth = bench.opened()
    cast_one(bench, VOTERS[0])
    booth.close()
    shutil.copytree(bench.root / "internal", bench.root / "internal-before")
    booth = bench.start()
    cast_one(bench, VOTERS[1], **{"17": Choice.BLANK})
    booth.close()
    bench.booth = None
    shutil.rmtree(bench.root / "internal")
    shutil.move(bench.root / "internal-before", bench.root / "internal")
    booth = bench.start()
    assert booth.storage_problem is None
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST, BallotState.CAST]
    written = booth.close_polls(PIN, bench.usb)
    assert written.counts.cast == 2


def test_a_cast_known_only_to_the_mirror_medium_still_reaches_the_poll_book(
    bench: Bench,
) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    booth.close()
    shutil.copytree(bench.root / "internal", bench.root / "internal-before")
    booth = bench.start()
    vote_until_deciding(bench, VOTERS[0])
    pb.reachable = False
    booth.cast()  # counted; S waits in both outboxes
    booth.close()
    bench.booth = None
    shutil.rmtree(bench.root / "internal")  # the store loses its last transaction
    shutil.move(bench.root / "internal-before", bench.root / "internal")
    pb.reachable = True
    booth = bench.start()
    assert booth.storage_problem is None
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST]
    assert pb.completed == pb.issued  # the S came back from the mirror medium
    assert booth.store.outbox() == [] and MirrorOutbox(bench.mirror_folder).read() == set()


def test_copies_two_apart_refuse_to_open_and_recover_from_the_mirror(bench: Bench) -> None:
    booth = bench.opened()
    booth.close()
    shutil.copytree(bench.root / "internal", bench.root / "internal-before")
    booth = bench.start()
    cast_one(bench, VOTERS[0])
    cast_one(bench, VOTERS[1])
    booth.pause(PIN)
    booth.close()
    bench.booth = None
    shutil.rmtree(bench.root / "internal")
    shutil.move(bench.root / "internal-before", bench.root / "internal")
    booth = bench.start()
    assert isinstance(booth.storage_problem, CopiesDisagree)
    assert "the store holds 1 records, the mirror 3" in booth.storage_problem.differences
    with pytest.raises(SessionRefused):
        booth.card_inserted()
    booth.pause(PIN)
    with pytest.raises(OpeningRefused, match="storage"):
        booth.resume(PIN)
    with pytest.raises(RecoveryRefused):
        booth.recover(Side.STORE, *WORKER_PINS)  # would lose the mirror's two casts
    assert booth.recover(Side.MIRROR, *WORKER_PINS) == 2
    assert booth.storage_problem is None
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST, BallotState.CAST]
    booth.resume(PIN)
    cast_one(bench, VOTERS[2])
    assert booth.close_polls(PIN, bench.usb).counts.cast == 3


def test_a_lost_mirror_medium_is_rebuilt_from_the_store(bench: Bench) -> None:
    booth = bench.opened()
    cast_one(bench, VOTERS[0])
    cast_one(bench, VOTERS[1])
    (bench.mirror_folder / MIRROR_NAME).unlink()  # a new, empty medium
    booth = bench.start()
    assert isinstance(booth.storage_problem, CopiesDisagree)
    with pytest.raises(RecoveryRefused, match="mirror"):
        booth.recover(Side.MIRROR, *WORKER_PINS)
    assert booth.recover(Side.STORE, *WORKER_PINS) == 3
    assert len(mirror_lines(bench)) == 3


def test_an_altered_mirror_is_set_aside_never_deleted(bench: Bench) -> None:
    booth = bench.opened()
    cast_one(bench, VOTERS[0])
    path = bench.mirror_folder / MIRROR_NAME
    data = path.read_bytes()
    altered = data.replace(b'"fate":"cast"', b'"fate":"void"', 1)
    assert altered != data
    path.write_bytes(altered)
    booth = bench.start()
    assert isinstance(booth.storage_problem, MirrorCorrupt)
    booth.recover(Side.STORE, *WORKER_PINS)
    assert (bench.mirror_folder / f"{MIRROR_NAME}.set-aside-1").read_bytes() == altered
    assert path.read_bytes() == data


def test_a_fork_cannot_be_recovered_either_way(election: Election, tmp_path: Path) -> None:
    bench = Bench(election, tmp_path / "b")
    try:
        booth = bench.opened()
        booth.close()
        shutil.copytree(bench.root / "internal", bench.root / "internal-0")
        shutil.copytree(bench.mirror_folder, bench.root / "mirror-0")
        bench.booth = None
        bench.start()
        cast_one(bench, VOTERS[0])
        mirror_a = (bench.mirror_folder / MIRROR_NAME).read_bytes()
        bench.booth.close()  # type: ignore[union-attr]
        bench.booth = None
        for name, saved in (("internal", "internal-0"), ("mirror", "mirror-0")):
            shutil.rmtree(bench.root / name)
            shutil.copytree(bench.root / saved, bench.root / name)
        bench.start()
        cast_one(bench, VOTERS[1])  # another history from the same opening
        bench.booth.close()  # type: ignore[union-attr]
        bench.booth = None
        (bench.mirror_folder / MIRROR_NAME).write_bytes(mirror_a)
        booth = bench.start()
        assert isinstance(booth.storage_problem, CopiesDisagree)
        assert "record 1 differs" in booth.storage_problem.differences
        for side in Side:
            with pytest.raises(RecoveryRefused):
                booth.recover(side, *WORKER_PINS)
        assert (bench.mirror_folder / MIRROR_NAME).read_bytes() == mirror_a
    finally:
        bench.stop()


def test_a_pulled_mirror_medium_at_cast_counts_nothing_and_stops_the_booth(
    bench: Bench,
) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench, VOTERS[0])
    shutil.rmtree(bench.mirror_folder)  # the medium is pulled out
    with pytest.raises(MirrorWriteFailed):
        booth.cast()
    assert booth.view().state is SessionState.STORAGE_FAULT  # type: ignore[union-attr]
    assert [e.fate for e in booth.store.entries()] == [BallotState.VOID]
    assert pb.aborted == pb.issued and booth.store.outbox() == []  # the voter may vote again
    with pytest.raises(SessionRefused, match="stopped"):
        booth.card_inserted()
    bench.mirror_folder.mkdir()  # a new, empty medium
    booth = bench.start()
    assert isinstance(booth.storage_problem, CopiesDisagree)
    booth.recover(Side.STORE, *WORKER_PINS)
    assert len(mirror_lines(bench)) == 2


def test_a_mirror_failure_after_the_store_keeps_the_cast_and_its_s(bench: Bench) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench, VOTERS[0])
    original = Mirror.append

    def fail(self, record):  # type: ignore[no-untyped-def]
        raise MirrorWriteFailed("the medium failed")

    Mirror.append = fail  # type: ignore[method-assign]
    try:
        with pytest.raises(MirrorWriteFailed):
            booth.cast()
    finally:
        Mirror.append = original  # type: ignore[method-assign]
    assert booth.view().state is SessionState.STORAGE_FAULT  # type: ignore[union-attr]
    assert pb.aborted == []  # a cast is never aborted: its S is in both outboxes
    assert booth.store.outbox() == pb.issued
    assert MirrorOutbox(bench.mirror_folder).read() == set(pb.issued)
    booth = bench.start()  # the mirror is one behind: brought up; S completed, then dropped
    assert booth.storage_problem is None
    assert pb.completed == pb.issued and MirrorOutbox(bench.mirror_folder).read() == set()
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST]


def test_the_mirror_medium_lists_s_until_acknowledged(bench: Bench) -> None:
    """What a poll worker reads from a dead booth's mirror medium (station release)."""
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench, VOTERS[0])
    pb.reachable = False
    booth.cast()
    outbox = bench.mirror_folder / OUTBOX_NAME
    assert outbox.read_text() == f"{pb.issued[0].hex()}\n"  # the station's release format
    pb.reachable = True
    booth.retry_outbox()
    assert outbox.read_text() == ""
    assert pb.reports == [frozenset()]  # idle, all acknowledged: the booth's answer


def test_a_crash_before_the_casts_transaction_releases_the_voter(bench: Bench) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench, VOTERS[0])
    original = BallotStore.decide

    def crash(self, entry, session=None):  # type: ignore[no-untyped-def]
        raise Crash

    BallotStore.decide = crash  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            booth.cast()
    finally:
        BallotStore.decide = original  # type: ignore[method-assign]
    assert MirrorOutbox(bench.mirror_folder).read() == set(pb.issued)  # listed, not cast
    booth = bench.start()
    assert [e.fate for e in booth.store.entries()] == [BallotState.VOID]
    assert MirrorOutbox(bench.mirror_folder).read() == set()
    assert pb.completed == [] and pb.releasable == set(pb.issued)


def test_store_write_failure_stops_the_booth(bench: Bench) -> None:
    booth = bench.opened()
    vote_until_deciding(bench, VOTERS[0])
    booth.store.db.conn.execute("PRAGMA query_only = ON")
    from booth.errors import StoreWriteFailed

    with pytest.raises(StoreWriteFailed):
        booth.cast()
    assert booth.storage_problem is not None
    booth.store.db.conn.execute("PRAGMA query_only = OFF")
    booth = bench.start()  # the undecided ballot is voided at start-up
    assert [e.fate for e in booth.store.entries()] == [BallotState.VOID]


def test_a_fresh_store_on_a_used_mirror(bench: Bench, election: Election) -> None:
    """The internal disk was replaced: configure, then rebuild the store from the mirror."""
    booth = bench.opened()
    cast_one(bench, VOTERS[0])
    booth.close()
    bench.booth = None
    shutil.rmtree(bench.root / "internal")
    (bench.root / "internal").mkdir()
    booth = bench.start()
    assert isinstance(booth.storage_problem, CopiesDisagree)
    booth.configure(election.folder, election.fingerprint, PIN)
    assert booth.recover(Side.MIRROR, *WORKER_PINS) == 2
    booth.store.polls_state()
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST]


# Nothing secret or linkable in any file the booth wrote ---------------------------------------


def test_no_identifier_roll_hash_session_or_plaintext_in_any_file(
    bench: Bench, election: Election
) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    cast_choices = []
    for n, voter in enumerate(VOTERS[:6]):
        choices = {"17": [Choice.YES, Choice.NO, Choice.BLANK][n % 3], "18": Choice.NO}
        if n == 1:
            choices["18"] = None
        vote_until_deciding(bench, voter, **choices)
        if n == 2:
            booth.challenge()  # its reveal is public by design
            booth.review()
            booth.confirm()
        if n == 3:
            bench.slot.pull()
            booth.card_removed()  # void
            continue
        booth.cast()
        cast_choices.append(choices)
    for voter in (REVOKED, STRANGER):
        bench.slot.insert(election, voter)
        booth.card_inserted()
        booth.enter_pin(CARD_PIN)
    pb.codes.add("777111")
    booth.start_with_code("777111")
    booth.answer("18", Choice.YES)
    booth.review()
    booth.confirm()
    booth.cast()
    cast_choices.append({"18": Choice.YES})
    written = booth.close_polls(PIN, bench.usb)
    running = bench.written_files()  # while the booth runs: its -wal is there
    assert "ballots.sqlite-wal" in {p.name for p in running}
    blob = b"".join(p.read_bytes() for p in running)
    booth.close()
    bench.booth = None
    files = bench.written_files()
    assert {"ballots.sqlite", MIRROR_NAME, written.path.name} <= {p.name for p in files}
    blob += b"".join(p.read_bytes() for p in files)
    secrets: list[bytes] = []
    for voter in [*VOTERS, REVOKED, STRANGER]:
        secrets += [voter.encode(), voter.encode("utf-16-le")]
        h = roll_hash(election.roll_key, voter)
        secrets += [h, h.hex().encode()]
    assert len(pb.issued) == 7
    for s in pb.issued:
        secrets += [s, s.hex().encode()]
    definition = booth.package.definition
    from ballots.ballot import PlaintextBallot

    for choices in cast_choices:
        qr = paper_qr(definition, PlaintextBallot({k: v for k, v in choices.items() if v}))
        secrets.append(qr.encode())
    for word in ("同意", "不同意", '"yes"', '"no"', '"blank"', "777111"):
        secrets.append(word.encode())
    found = [s for s in secrets if s in blob]
    assert found == []
    # Reveals: only for the challenged ballot, in the store, the mirror and the export.
    export = BoothExport.from_json(written.path.read_bytes())
    assert sum(b.reveal is not None for b in export.ballots) == 1
    assert written.path.read_bytes().count(b'"m":') == 2


def test_ballot_rows_are_not_in_cast_order(bench: Bench) -> None:
    booth = bench.opened()
    for voter in VOTERS[:8]:
        cast_one(bench, voter)
    file_order = [
        bytes(r[0])
        for r in booth.store.db.conn.execute("SELECT ballot_hash FROM ballots").fetchall()
    ]
    chain_order = [e.ballot_hash for e in booth.store.entries()]
    assert sorted(file_order) == sorted(chain_order)
    ids = [bytes(r[0]) for r in booth.store.db.conn.execute("SELECT ballot_id FROM ballots")]
    assert ids == sorted(ids)  # the table's own order is the random key's


def test_mirror_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"")
    (tmp_path / MIRROR_NAME).symlink_to(tmp_path / "real")
    with pytest.raises(MirrorCorrupt, match="regular"):
        Mirror(tmp_path).read()


def test_store_refuses_a_second_undecided_ballot(bench: Bench) -> None:
    booth = bench.opened()
    vote_until_deciding(bench, VOTERS[0])
    pending = booth.store.pending()
    assert pending is not None
    from booth.errors import StorageError

    with pytest.raises(StorageError):
        booth.store.fix(pending.ballot, pending.ballot_hash)
    assert isinstance(booth.store, BallotStore)


def test_only_one_booth_process_per_store_and_mirror(bench: Bench) -> None:
    from booth.errors import StoreWriteFailed

    bench.opened()
    with pytest.raises(StoreWriteFailed, match="another booth process"):
        BallotStore(bench.store_path)
    other = Mirror(bench.mirror_folder)
    with pytest.raises(StoreWriteFailed, match="another booth process"):
        other.lock()
    assert bench.booth is not None
    bench.booth.close()
    BallotStore(bench.store_path).close()  # released with the booth
    bench.booth = None
