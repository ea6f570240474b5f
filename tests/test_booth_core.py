"""The booth core's state machines, walked through the Booth API: every allowed transition,
each refused one, and a restart in every persisted state."""

from __future__ import annotations

from pathlib import Path

import pytest

from ballots.ballot import Choice
from ballots.export import BoothExport
from ballots.pins import Role
from booth.core.ballot import BALLOT, BallotState
from booth.core.machine import Transitions
from booth.core.polls import POLLS, PollsState, ReportKind
from booth.core.session import SESSION, SessionState
from booth.errors import (
    AuthenticationFailed,
    ChallengeLimit,
    ClosingRefused,
    ConfigurationRefused,
    OpeningRefused,
    SessionRefused,
    TransitionRefused,
)
from booth.eventlog import EventCode as E
from tally.station import TallyStation
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

PIN = WORKER_PINS[0]


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return build_election(tmp_path_factory.mktemp("election"))


@pytest.fixture
def bench(election: Election, tmp_path: Path):  # type: ignore[no-untyped-def]
    b = Bench(election, tmp_path / "booth")
    yield b
    b.stop()


def vote_until_deciding(bench: Bench, voter: str = VOTERS[0], **choices: Choice | None) -> None:
    booth = bench.booth
    assert booth is not None
    bench.slot.insert(bench.election, voter)
    booth.card_inserted()
    booth.enter_pin(CARD_PIN)
    assert booth.view().state is SessionState.QUESTIONS  # type: ignore[union-attr]
    for qid, choice in (choices or {"17": Choice.YES, "18": Choice.NO}).items():
        booth.answer(qid, choice)
    booth.review()
    booth.confirm()


def state(bench: Bench) -> SessionState:
    view = bench.booth.view()  # type: ignore[union-attr]
    assert view is not None
    return view.state


# The tables themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("table", [POLLS, SESSION, BALLOT], ids=lambda t: t.machine)
def test_every_pair_not_in_the_table_is_refused(table: Transitions) -> None:  # type: ignore[type-arg]
    states = list(table.allowed)
    allowed = set(table.pairs())
    for a in states:
        for b in states:
            if (a, b) in allowed:
                assert table.check(a, b) is b
            else:
                with pytest.raises(TransitionRefused):
                    table.check(a, b)


def test_the_tables_say_what_the_design_says() -> None:
    assert set(POLLS.pairs()) == {
        (PollsState.UNCONFIGURED, PollsState.CONFIGURED),
        (PollsState.CONFIGURED, PollsState.OPEN),
        (PollsState.OPEN, PollsState.PAUSED),
        (PollsState.PAUSED, PollsState.OPEN),
        (PollsState.OPEN, PollsState.CLOSED),
        (PollsState.PAUSED, PollsState.CLOSED),
        (PollsState.CLOSED, PollsState.PAUSED),
    }
    assert set(BALLOT.pairs()) == {
        (BallotState.FIXED, BallotState.PRINTED),
        (BallotState.FIXED, BallotState.VOID),
        (BallotState.PRINTED, BallotState.CAST),
        (BallotState.PRINTED, BallotState.CHALLENGED),
        (BallotState.PRINTED, BallotState.VOID),
    }
    ends = [s for s in SessionState if s.ended]
    assert set(ends) == {
        SessionState.CAST,
        SessionState.DECLINED,
        SessionState.CARD_PULLED,
        SessionState.TIMED_OUT,
        SessionState.PRINTER_FAULT,
        SessionState.REFUSED,
        SessionState.LINK_DOWN,
        SessionState.STORAGE_FAULT,
    }
    # Nothing reaches the printing states without sealing, nor deciding without printing.
    assert {a for a, b in SESSION.pairs() if b is SessionState.DECIDING} == {
        SessionState.PRINTING_RECEIPT
    }
    assert {a for a, b in SESSION.pairs() if b is SessionState.QUESTIONS} == {
        SessionState.ELIGIBILITY,
        SessionState.REVIEW,
        SessionState.CHALLENGED,
    }


# Polls ---------------------------------------------------------------------------------------


def test_polls_walk_with_reports_and_restarts(bench: Bench) -> None:
    booth = bench.start()
    assert booth.polls is PollsState.UNCONFIGURED
    for refused in (
        lambda: booth.open_polls(PIN),
        lambda: booth.pause(PIN),
        lambda: booth.resume(PIN),
        lambda: booth.close_polls(PIN, bench.usb),
        lambda: booth.reset_polls(*WORKER_PINS),
    ):
        with pytest.raises(TransitionRefused):
            refused()
    assert bench.start().polls is PollsState.UNCONFIGURED  # restart: unconfigured

    booth = bench.configured()
    assert booth.polls is PollsState.CONFIGURED
    with pytest.raises(TransitionRefused):
        booth.configure(bench.election.folder, bench.election.fingerprint, PIN)
    booth = bench.start()  # restart: configured, the package re-verified
    assert booth.polls is PollsState.CONFIGURED and booth.station_id == "S1"

    nonce = booth.open_polls(PIN)
    assert len(nonce) == 32
    zero = bench.reports.printed[-1]
    assert zero.kind is ReportKind.ZERO and zero.opening_nonce == nonce
    assert (zero.cast, zero.challenged, zero.voided, zero.checked_in) == (0, 0, 0, 0)
    booth = bench.start()  # restart: open
    assert booth.polls is PollsState.OPEN
    with pytest.raises(TransitionRefused):
        booth.resume(PIN)

    booth.pause(PIN)
    assert bench.reports.printed[-1].kind is ReportKind.PAUSE
    booth = bench.start()  # restart: paused
    assert booth.polls is PollsState.PAUSED
    with pytest.raises(SessionRefused):
        booth.card_inserted()
    booth.resume(PIN)
    assert booth.polls is PollsState.OPEN and bench.reports.printed[-1].kind is ReportKind.RESUME

    written = booth.close_polls(PIN, bench.usb)
    closing = bench.reports.printed[-1]
    assert closing.kind is ReportKind.CLOSING and closing.close_code == written.close_code
    assert written.path.read_bytes() == BoothExport.from_json(written.path.read_bytes()).to_json()
    # The event log's head at closing is on the closing report and in the signed export.
    # The log's own chain says what the head was after polls-closed: the next line's `prev`.
    import json

    export = BoothExport.from_json(written.path.read_bytes())
    lines = [json.loads(x) for x in (bench.root / "internal/events.log").read_bytes().splitlines()]
    closed_at = next(n for n, x in enumerate(lines) if x["code"] == "polls-closed")
    sealed = bytes.fromhex(lines[closed_at + 1]["prev"])
    assert export.log_head == closing.log_head == sealed
    booth = bench.start()  # restart: closed
    assert booth.polls is PollsState.CLOSED
    second = bench.root / "usb2"
    second.mkdir()
    again = booth.write_export(PIN, second)  # another copy, later: the same bytes
    assert again.path.read_bytes() == written.path.read_bytes()
    for refused in (lambda: booth.open_polls(PIN), lambda: booth.resume(PIN)):
        with pytest.raises(TransitionRefused):
            refused()
    with pytest.raises(SessionRefused):
        booth.card_inserted()
    with pytest.raises(AuthenticationFailed):
        booth.reset_polls(PIN, "000000")
    assert booth.polls is PollsState.CLOSED
    booth.reset_polls(*WORKER_PINS)
    assert booth.polls is PollsState.PAUSED and bench.reports.printed[-1].kind is ReportKind.RESET
    booth.close_polls(PIN, bench.usb)  # and again from paused
    assert booth.polls is PollsState.CLOSED


def test_configure_refuses_a_package_from_another_authority(bench: Bench) -> None:
    booth = bench.start()
    other = "AAAA BBBB CCCC DDDD EEEE FFFF GGGG HHHH"
    with pytest.raises(ConfigurationRefused, match="authority"):
        booth.configure(bench.election.folder, other, PIN)
    assert booth.polls is PollsState.UNCONFIGURED
    with pytest.raises(AuthenticationFailed):
        booth.configure(bench.election.folder, bench.election.fingerprint, "999999")
    assert booth.polls is PollsState.UNCONFIGURED and bench.workers.refused == 1


def test_the_booth_checks_the_packages_two_pins_with_a_durable_try_limit(
    election: Election, tmp_path: Path
) -> None:
    """The real check (booth.auth.PollWorkerAuth over the package's records): wrong tries are
    limited and logged, a restart does not reset the count, a reset takes two people."""
    from booth.auth import AuthLocked, PinMalformed, PollWorkerAuth, SameWorkerTwice, WrongPin

    pins = election.station_pins["S1"]
    wrong = next(
        p for p in ("000000", "000001", "000002") if p not in (pins.officer, pins.supervisor)
    )
    b = Bench(election, tmp_path / "b", authenticator=PollWorkerAuth)
    try:
        booth = b.start()
        with pytest.raises(PinMalformed):
            booth.configure(election.folder, election.fingerprint, "12ab")  # costs no try
        for n in (1, 2, 3):
            with pytest.raises(WrongPin):
                booth.configure(election.folder, election.fingerprint, wrong)
            failed = [d for c, d in b.log.events if c is E.AUTH_FAILED]
            assert failed[-2:] == [
                {"role": Role.CHIEF_OFFICER, "failures": n},
                {"role": Role.CHIEF_SUPERVISOR, "failures": n},
            ]
        booth = b.start()  # a restart keeps the count: 4 and 5 lock
        with pytest.raises(WrongPin, match="1 tries left"):
            booth.configure(election.folder, election.fingerprint, wrong)
        with pytest.raises(AuthLocked):
            booth.configure(election.folder, election.fingerprint, wrong)
        assert (E.AUTH_LOCKED, {"minutes": 5}) in b.log.events
        booth = b.start()
        with pytest.raises(AuthLocked):  # even the right PIN, even after a restart
            booth.configure(election.folder, election.fingerprint, pins.officer)
        assert booth.polls is PollsState.UNCONFIGURED
        b.clock.t += 5 * 60
        booth.configure(election.folder, election.fingerprint, pins.officer)
        assert (E.AUTH_OK, {"role": Role.CHIEF_OFFICER}) in b.log.events
        booth.open_polls(pins.supervisor)
        assert b.log.events[-1][0] is E.POLLS_OPENED
        booth.close_polls(pins.officer, b.usb)
        for same in (pins.officer, pins.supervisor):
            with pytest.raises(SameWorkerTwice):
                booth.reset_polls(same, same)
        with pytest.raises(WrongPin):
            booth.reset_polls(pins.supervisor, pins.officer)  # each PIN names its role
        assert booth.polls is PollsState.CLOSED
        booth.reset_polls(pins.officer, pins.supervisor)
        assert booth.polls is PollsState.PAUSED
    finally:
        b.stop()


def test_configure_refuses_a_booth_whose_key_is_not_registered(
    election: Election, tmp_path: Path
) -> None:
    b = Bench(election, tmp_path / "b")
    b.election = Election(
        **{**election.__dict__, "booth_keys": {"S1-A": election.booth_keys["S1-B"]}}
    )
    try:
        booth = b.start()
        with pytest.raises(ConfigurationRefused, match="another key"):
            booth.configure(election.folder, election.fingerprint, PIN)
    finally:
        b.stop()


def test_configure_refuses_an_altered_confidential_part(election: Election, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "package"
    shutil.copytree(election.folder, folder)
    data = (folder / "confidential.json").read_bytes()
    (folder / "confidential.json").write_bytes(
        data.replace(b'"roll_key":"', b'"roll_key":"0', 1)[:-1]
    )
    b = Bench(election, tmp_path / "b")
    try:
        with pytest.raises(ConfigurationRefused, match="confidential"):
            b.start().configure(folder, election.fingerprint, PIN)
    finally:
        b.stop()


def test_open_is_refused_unless_printer_ready_report_printed_and_copies_empty(
    bench: Bench,
) -> None:
    booth = bench.configured()
    assert bench.virtual is not None
    bench.virtual.set_cover_open()
    with pytest.raises(OpeningRefused, match="printer"):
        booth.open_polls(PIN)
    bench.virtual.set_cover_open(False)
    bench.reports.fail = True
    with pytest.raises(OpeningRefused, match="zero report"):
        booth.open_polls(PIN)
    bench.reports.fail = False
    (bench.mirror_folder / "booth-mirror.jsonl").write_bytes(b"")
    (bench.mirror_folder / "booth-mirror.jsonl").unlink()
    with pytest.raises(AuthenticationFailed):
        booth.open_polls("123")
    assert booth.polls is PollsState.CONFIGURED and booth.store.opening() is None
    booth.open_polls(PIN)
    # A store that already holds a chain is refused (a booth used before).
    booth.store.set_polls_state(PollsState.CONFIGURED)
    with pytest.raises(OpeningRefused, match="not empty"):
        booth.open_polls(PIN)


def test_open_is_refused_with_a_used_mirror(election: Election, tmp_path: Path) -> None:
    first = Bench(election, tmp_path / "first")
    first.opened()
    first.stop()
    second = Bench(election, tmp_path / "second")
    try:
        import shutil

        shutil.copy(first.mirror_folder / "booth-mirror.jsonl", second.mirror_folder)
        booth = second.start()  # the mirror is ahead of an empty store: not ours
        booth.configure(election.folder, election.fingerprint, PIN)
        with pytest.raises(OpeningRefused):
            booth.open_polls(PIN)
    finally:
        second.stop()


def test_pause_and_close_are_refused_during_a_session(bench: Bench) -> None:
    booth = bench.opened()
    bench.slot.insert(bench.election, VOTERS[0])
    booth.card_inserted()
    with pytest.raises(ClosingRefused):
        booth.pause(PIN)
    with pytest.raises(ClosingRefused):
        booth.close_polls(PIN, bench.usb)
    booth.card_removed()
    booth.pause(PIN)


# The voter session ----------------------------------------------------------------------------


def test_cast_challenge_and_the_export_imports(bench: Bench, tmp_path: Path) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench, VOTERS[0], **{"17": Choice.YES, "18": None})
    assert state(bench) is SessionState.DECIDING
    code = booth.view().short_code  # type: ignore[union-attr]
    assert code is not None
    assert booth.store.pending().state is BallotState.PRINTED  # type: ignore[union-attr]
    booth.challenge()
    assert state(bench) is SessionState.QUESTIONS
    assert booth.view().answers == {"17": Choice.YES, "18": None}  # type: ignore[union-attr]
    booth.review()
    booth.back_to_questions()
    booth.answer("18", Choice.BLANK)
    booth.review()
    booth.confirm()
    booth.cast()
    assert state(bench) is SessionState.CAST
    assert booth.view().answers == {}  # type: ignore[union-attr]  # plaintext dropped
    assert pb.completed == pb.issued and booth.store.outbox() == []
    entries = booth.store.entries()
    assert [e.fate for e in entries] == [BallotState.CHALLENGED, BallotState.CAST]
    assert entries[0].reveal is not None and entries[1].reveal is None
    # Paper: record, receipt, CHALLENGED slip, record, receipt.
    assert bench.virtual is not None and len(bench.virtual.pieces) == 5

    written = booth.close_polls(PIN, bench.usb)
    assert (written.counts.cast, written.counts.challenged, written.counts.voided) == (1, 1, 0)
    station = TallyStation(tmp_path / "tally")
    station.init(bench.election.folder, bench.election.fingerprint)
    result = station.import_export(written.path.read_bytes())
    assert (result.booth_id, result.cast, result.challenged) == ("S1-A", 1, 1)


def test_challenge_limit_calls_a_poll_worker_and_cast_still_works(bench: Bench) -> None:
    booth = bench.opened()
    vote_until_deciding(bench)
    booth.challenge()
    booth.review()
    booth.confirm()
    booth.challenge()
    booth.review()
    booth.confirm()
    with pytest.raises(ChallengeLimit):
        booth.challenge()
    view = booth.view()
    assert view is not None and view.worker_called and view.state is SessionState.DECIDING
    booth.cast()
    assert [e.fate for e in booth.store.entries()].count(BallotState.CHALLENGED) == 2


def test_wrong_pin_then_blocked(bench: Bench) -> None:
    booth = bench.opened()
    bench.slot.insert(bench.election, VOTERS[1])
    booth.card_inserted()
    booth.enter_pin("9999")
    view = booth.view()
    assert view is not None and view.state is SessionState.CARD and view.tries_left == 2
    booth.enter_pin("9998")
    booth.enter_pin("9997")
    assert state(bench) is SessionState.REFUSED
    assert bench.poll_book is not None and bench.poll_book.seen_roll_hashes == []


@pytest.mark.parametrize(
    ("voter", "prepare", "expected", "reason"),
    [
        (REVOKED, None, SessionState.REFUSED, "revoked"),
        (STRANGER, None, SessionState.REFUSED, "roll"),
        (VOTERS[2], "voted", SessionState.REFUSED, "already voted"),
        (VOTERS[2], "in_progress", SessionState.REFUSED, "another booth"),
        (VOTERS[2], "down", SessionState.LINK_DOWN, "cannot be reached"),
    ],
)
def test_refusals_end_the_session_before_any_question(
    bench: Bench, voter: str, prepare: str | None, expected: SessionState, reason: str
) -> None:
    from ballots.package import roll_hash

    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    if prepare in ("voted", "in_progress"):
        pb.state[roll_hash(bench.election.roll_key, voter)] = prepare
    if prepare == "down":
        pb.reachable = False
    bench.slot.insert(bench.election, voter)
    booth.card_inserted()
    booth.enter_pin(CARD_PIN)
    view = booth.view()
    assert view is not None and view.state is expected and reason in view.reason
    assert booth.store.entries() == [] and booth.store.pending() is None
    with pytest.raises(TransitionRefused):
        booth.answer("17", Choice.YES)
    booth.card_removed()  # ignored once ended
    pb.reachable = True
    bench.slot.insert(bench.election, VOTERS[3])
    booth.card_inserted()  # the next voter may start
    assert state(bench) is SessionState.CARD


@pytest.mark.parametrize("where", ["card", "checks", "questions", "review", "deciding"])
def test_card_pulled_ends_the_session_and_voids_an_undecided_ballot(
    bench: Bench, where: str
) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None and bench.virtual is not None
    bench.slot.insert(bench.election, VOTERS[0])
    booth.card_inserted()
    if where == "checks":
        bench.slot.pull()
        booth.enter_pin(CARD_PIN)
    else:
        if where != "card":
            booth.enter_pin(CARD_PIN)
            booth.answer("17", Choice.NO)
        if where in ("review", "deciding"):
            booth.review()
        if where == "deciding":
            booth.confirm()
        bench.slot.pull()
        booth.card_removed()
    assert state(bench) is SessionState.CARD_PULLED
    fates = [e.fate for e in booth.store.entries()]
    assert fates == ([BallotState.VOID] if where == "deciding" else [])
    assert booth.store.pending() is None
    if where == "deciding":
        assert len(bench.virtual.pieces) == 3  # record, receipt, VOID slip
    assert pb.aborted == pb.issued  # the voter may check in again
    assert booth.view().answers == {}  # type: ignore[union-attr]


@pytest.mark.parametrize("where", ["card", "questions", "review", "deciding"])
def test_timeout_warns_first_then_ends(bench: Bench, where: str) -> None:
    booth = bench.opened()
    bench.slot.insert(bench.election, VOTERS[0])
    booth.card_inserted()
    if where != "card":
        booth.enter_pin(CARD_PIN)
        booth.answer("17", Choice.YES)
    if where in ("review", "deciding"):
        booth.review()
    if where == "deciding":
        booth.confirm()
    bench.clock.t += 59
    booth.tick()
    assert not booth.view().warning  # type: ignore[union-attr]
    bench.clock.t += 1
    booth.tick()
    assert booth.view().warning  # type: ignore[union-attr]
    booth.still_here()
    assert not booth.view().warning  # type: ignore[union-attr]
    bench.clock.t += 89
    booth.tick()
    assert state(bench).name == where.upper()
    bench.clock.t += 1
    booth.tick()
    assert state(bench) is SessionState.TIMED_OUT
    assert [e.fate for e in booth.store.entries()] == (
        [BallotState.VOID] if where == "deciding" else []
    )


@pytest.mark.parametrize("what", ["record", "receipt"])
def test_printer_fault_voids_and_stops_voters_until_attended(bench: Bench, what: str) -> None:
    booth = bench.opened()
    assert bench.virtual is not None
    v = bench.virtual
    if what == "record":
        v.paper_out_at = v.received + 400  # mid-record
    else:
        import hardware.printer.driver as drv

        real = drv.ThermalPrinter.print_job
        calls = {"n": 0}

        def second_fails(self, job):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 2:
                v.set_paper_out()
            return real(self, job)

        drv.ThermalPrinter.print_job = second_fails  # type: ignore[method-assign]
    try:
        vote_until_deciding(bench)
    finally:
        if what == "receipt":
            drv.ThermalPrinter.print_job = real  # type: ignore[method-assign]
    view = booth.view()
    assert view is not None and view.state is SessionState.PRINTER_FAULT
    assert [e.fate for e in booth.store.entries()] == [BallotState.VOID]
    with pytest.raises(SessionRefused, match="printer"):
        booth.card_inserted()
    with pytest.raises(SessionRefused, match="not ready"):
        booth.printer_attended(PIN)
    pieces = len(v.pieces)
    v.replace_paper()
    booth.printer_attended(PIN)
    assert len(v.pieces) == pieces + 1  # the VOID slip
    vote_until_deciding(bench, VOTERS[1])
    booth.cast()
    assert [e.fate for e in booth.store.entries()] == [BallotState.VOID, BallotState.CAST]


def test_printer_fault_on_the_challenged_slip(bench: Bench) -> None:
    booth = bench.opened()
    vote_until_deciding(bench)
    assert bench.virtual is not None
    bench.virtual.set_cover_open()
    booth.challenge()
    assert state(bench) is SessionState.PRINTER_FAULT
    assert [e.fate for e in booth.store.entries()] == [BallotState.CHALLENGED]


def test_declining_every_question_casts_nothing(bench: Bench) -> None:
    booth = bench.opened()
    vote_until_deciding(bench, VOTERS[0], **{"17": None, "18": None})
    assert state(bench) is SessionState.DECLINED
    assert booth.store.entries() == []
    assert bench.poll_book is not None and bench.poll_book.aborted == bench.poll_book.issued


def test_cardless_voter_with_a_one_time_code(bench: Bench) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    pb.codes.add("483920")
    booth.start_with_code("483920")
    assert state(bench) is SessionState.QUESTIONS
    booth.card_removed()  # no card in a card-less session: ignored
    booth.answer("17", Choice.YES)
    booth.review()
    booth.confirm()
    booth.cast()
    assert state(bench) is SessionState.CAST
    booth.start_with_code("483920")  # used: refused by the poll book
    assert state(bench) is SessionState.REFUSED
    booth.pause(PIN)
    report = bench.reports.printed[-1]
    assert (report.checked_in, report.cardless, report.cast) == (1, 1, 1)


def test_refused_voter_actions(bench: Bench) -> None:
    booth = bench.opened()
    with pytest.raises(SessionRefused):
        booth.enter_pin(CARD_PIN)  # no session
    bench.slot.insert(bench.election, VOTERS[0])
    booth.card_inserted()
    with pytest.raises(SessionRefused):
        booth.card_inserted()  # one session at a time
    for refused in (booth.review, booth.confirm, booth.cast, booth.challenge):
        with pytest.raises(TransitionRefused):
            refused()
    booth.enter_pin(CARD_PIN)
    for refused in (booth.confirm, booth.cast, booth.challenge, booth.back_to_questions):
        with pytest.raises(TransitionRefused):
            refused()
    booth.answer("17", Choice.YES)
    booth.review()
    with pytest.raises(TransitionRefused):
        booth.answer("18", Choice.NO)
    with pytest.raises(TransitionRefused):
        booth.cast()
    booth.confirm()
    for refused in (booth.confirm, booth.review):
        with pytest.raises(TransitionRefused):
            refused()
    with pytest.raises(TransitionRefused):
        booth.enter_pin(CARD_PIN)
    booth.cast()
    with pytest.raises(TransitionRefused):
        booth.cast()  # never twice
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST]


# The ballot lifecycle across restarts -------------------------------------------------------


class Crash(BaseException):
    """The booth's process dies here."""


@pytest.mark.parametrize("at", ["fixed", "printed"])
def test_restart_voids_an_undecided_ballot(bench: Bench, at: str) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    if at == "fixed":
        printer = bench.printer
        assert printer is not None
        original = printer.print_job

        def crash(job):  # type: ignore[no-untyped-def]
            raise Crash

        printer.print_job = crash  # type: ignore[method-assign]
        with pytest.raises(Crash):
            vote_until_deciding(bench)
        printer.print_job = original  # type: ignore[method-assign]
    else:
        vote_until_deciding(bench)
    pending = booth.store.pending()
    assert pending is not None and pending.state.value == at
    booth = bench.start()  # restart
    assert booth.store.pending() is None
    entries = booth.store.entries()
    assert [e.fate for e in entries] == [BallotState.VOID] and entries[0].ballot is None
    assert entries[0].ballot_hash == pending.ballot_hash
    assert booth.void_slips_owed == 1
    with pytest.raises(SessionRefused):
        booth.card_inserted()
    booth.printer_attended(PIN)
    # The voter's check-in is still in progress at the poll book (a poll worker releases it
    # with this booth's answer); another voter votes.
    vote_until_deciding(bench, VOTERS[4])
    booth.cast()
    assert [e.fate for e in booth.store.entries()] == [BallotState.VOID, BallotState.CAST]


def test_restart_after_cast_and_challenge_keeps_them(bench: Bench) -> None:
    booth = bench.opened()
    vote_until_deciding(bench)
    booth.challenge()
    booth.review()
    booth.confirm()
    booth.cast()
    before = booth.store.entries()
    booth = bench.start()
    assert booth.store.entries() == before
    assert booth.polls is PollsState.OPEN and booth.void_slips_owed == 0
    vote_until_deciding(bench, VOTERS[1])
    booth.cast()
    assert len(booth.store.entries()) == 3


def test_the_outbox_is_resent_before_the_next_session_and_at_start_up(bench: Bench) -> None:
    booth = bench.opened()
    pb = bench.poll_book
    assert pb is not None
    vote_until_deciding(bench)
    pb.reachable = False
    booth.cast()
    assert state(bench) is SessionState.CAST  # counted: durable on both copies
    assert booth.store.outbox() == pb.issued
    with pytest.raises(SessionRefused, match="poll book"):
        booth.card_inserted()
    booth.pause(PIN)
    with pytest.raises(OpeningRefused, match="poll book"):
        booth.resume(PIN)
    booth = bench.start()  # restart while the link is still down: S stays
    assert booth.store.outbox() == pb.issued
    pb.reachable = True
    booth = bench.start()
    assert booth.store.outbox() == [] and pb.completed == pb.issued
    booth.resume(PIN)


# The event log and the reports ----------------------------------------------------------------


def test_the_event_log_says_what_happened_in_declared_codes(bench: Bench) -> None:
    from booth.eventlog import EventCode as E
    from booth.eventlog import OpenRefusal, Refusal, SessionEnd, VoidReason, verify

    booth = bench.configured()
    assert bench.virtual is not None
    bench.virtual.set_cover_open()
    with pytest.raises(OpeningRefused):
        booth.open_polls(PIN)
    bench.virtual.set_cover_open(False)
    booth.open_polls(PIN)
    bench.slot.insert(bench.election, STRANGER)
    booth.card_inserted()
    booth.enter_pin("0000")
    booth.enter_pin(CARD_PIN)
    vote_until_deciding(bench, VOTERS[0])
    booth.cast()
    vote_until_deciding(bench, VOTERS[1])
    bench.slot.pull()
    booth.card_removed()
    events = bench.log.events
    assert (E.POLLS_OPEN_REFUSED, {"reason": OpenRefusal.PRINTER_NOT_READY}) in events
    assert (E.SESSION_REFUSED, {"reason": Refusal.PIN_WRONG}) in events
    assert (E.SESSION_REFUSED, {"reason": Refusal.NOT_ON_ROLL}) in events
    ends = [d["reason"] for c, d in events if c is E.SESSION_ENDED]
    assert ends == [SessionEnd.REFUSED, SessionEnd.CAST, SessionEnd.CARD_PULLED]
    assert bench.log.codes().count(E.BALLOT_CAST) == 1
    assert (E.BALLOT_VOIDED, {"reason": VoidReason.SESSION_ENDED}) in events
    assert bench.log.file is not None
    data = bench.log.file.path.read_bytes()
    assert verify(data).head == bench.log.head()


def test_reports_print_on_the_thermal_printer_and_save_as_pdf(bench: Bench) -> None:
    from booth.report_printer import ThermalAndPdfReports
    from booth.reports import ReportKind as Printed

    assert bench.printer is not None and bench.virtual is not None
    reports = ThermalAndPdfReports(bench.printer, bench.root / "internal", False, bench.log)
    bench.reports = reports  # type: ignore[assignment]
    booth = bench.opened()
    vote_until_deciding(bench, VOTERS[0], **{"17": Choice.YES, "18": None})
    booth.cast()
    bench.slot.insert(bench.election, VOTERS[1])
    booth.card_inserted()
    booth.enter_pin(CARD_PIN)
    booth.card_removed()  # checked in, not cast
    pieces = len(bench.virtual.pieces)
    written = booth.close_polls(PIN, bench.usb)
    assert len(bench.virtual.pieces) == pieces + 1  # the closing report
    zero, closing = reports.printed
    assert zero.kind is Printed.ZERO and zero.counts.is_zero()
    assert closing.kind is Printed.CLOSE and closing.close_code == written.close_code
    c = closing.counts
    assert (c.checked_in, c.cast, c.not_cast, c.challenged, c.voided) == (2, 1, 1, 0, 0)
    assert [(q.taken, q.declined) for q in c.questions] == [(1, 0), (0, 1)]
    assert closing.opening_nonce == zero.opening_nonce
    assert len(list((bench.root / "internal").glob("report-S1-A-*.pdf"))) == 2


@pytest.mark.parametrize("step", ["fix", "mark_printed"])
def test_a_store_failure_while_sealing_or_printing_ends_in_storage_fault(
    bench: Bench, step: str
) -> None:
    from booth.errors import StoreWriteFailed
    from booth.store import BallotStore

    booth = bench.opened()
    original = getattr(BallotStore, step)

    def fail(self, *args):  # type: ignore[no-untyped-def]
        raise StoreWriteFailed("the internal disk failed")

    setattr(BallotStore, step, fail)
    try:
        with pytest.raises(StoreWriteFailed):
            vote_until_deciding(bench)
    finally:
        setattr(BallotStore, step, original)
    assert state(bench) is SessionState.STORAGE_FAULT
    assert booth.storage_problem is not None
    assert bench.poll_book is not None and bench.poll_book.aborted == bench.poll_book.issued
    fates = [e.fate for e in booth.store.entries()]
    assert fates == ([] if step == "fix" else [BallotState.VOID])
    with pytest.raises(SessionRefused):
        booth.card_inserted()
