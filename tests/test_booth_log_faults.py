"""An event-log write failure (disk full, I/O error) is a storage fault like any other: the
booth stops taking voters with a named fault, a durable cast stays cast for its voter, and a
session whose start could not be logged is not left behind (docs/booth.md, Storage faults)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from booth.core.ballot import BallotState
from booth.core.polls import PollsState
from booth.core.session import SessionState
from booth.errors import EventLogFailed, OpeningRefused, SessionRefused
from booth.eventlog import EventCode, read_log
from tests.booth_core_helpers import CARD_PIN, VOTERS, WORKER_PINS, Bench, Election
from tests.test_booth_core import election, vote_until_deciding  # noqa: F401  (fixture)

PIN = WORKER_PINS[0]


@pytest.fixture
def bench(election: Election, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    b = Bench(election, tmp_path / "booth")
    yield b
    b.stop()


def fail_log_writes(bench: Bench, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Every write to the event log's file fails with `code` (the disk is full or failing);
    other files (store, mirror, media) are written as usual."""
    log = bench.log.file
    assert log is not None
    real = os.write

    def write(fd: int, data: bytes) -> int:
        if fd == log._fd:  # the log's own descriptor, while it is open
            raise OSError(code, os.strerror(code))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


def assert_stopped_for_voters(bench: Bench, code: int) -> None:
    booth = bench.booth
    assert booth is not None
    assert isinstance(booth.storage_problem, EventLogFailed)
    assert os.strerror(code) in str(booth.storage_problem)
    assert "restart the booth" in str(booth.storage_problem)
    bench.slot.insert(bench.election, VOTERS[1])
    if booth.polls is PollsState.OPEN:
        with pytest.raises(SessionRefused, match=r"stopped taking voters: .*event log"):
            booth.card_inserted()
        assert booth.session is None or booth.session.ended


def assert_log_verifies_after_restart(bench: Bench) -> list[EventCode]:
    bench.stop()
    booth = bench.start()
    assert booth.storage_problem is None
    return [e.code for e in read_log(bench.root / "internal" / "events.log").entries]


CODES = [errno.ENOSPC, errno.EIO]


@pytest.mark.parametrize("code", CODES, ids=errno.errorcode.get)
def test_a_durable_cast_is_cast_for_the_voter_when_its_log_entry_fails(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    booth = bench.opened()
    vote_until_deciding(bench)
    fail_log_writes(bench, monkeypatch, code)
    booth.cast()  # the ballot is on the store and the mirror: the voter is told it counts
    view = booth.view()
    assert view is not None and view.state is SessionState.CAST and view.reason == "counted"
    assert [e.fate for e in booth.store.entries()][-1] is BallotState.CAST
    assert len(booth.mirror.records()) == len(booth.store.entries()) + 1  # + the opening
    assert_stopped_for_voters(bench, code)
    # No session is left in progress: the poll worker may pause (the log fails again, named).
    with pytest.raises(EventLogFailed):
        booth.pause(PIN)
    assert booth.polls is PollsState.PAUSED
    monkeypatch.undo()
    codes = assert_log_verifies_after_restart(bench)
    assert EventCode.BALLOT_CAST not in codes  # the entry that failed is not in the log
    assert bench.booth is not None
    assert [e.fate for e in bench.booth.store.entries()] == [BallotState.CAST]


@pytest.mark.parametrize("code", CODES, ids=errno.errorcode.get)
def test_a_session_whose_start_cannot_be_logged_is_not_left_behind(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    booth = bench.opened()
    bench.slot.insert(bench.election, VOTERS[0])
    fail_log_writes(bench, monkeypatch, code)
    with pytest.raises(EventLogFailed, match=os.strerror(code)):
        booth.card_inserted()
    assert booth.session is None and booth.view() is None
    assert booth.store.entries() == [] and booth.store.counter("checked_in") == 0
    assert_stopped_for_voters(bench, code)
    with pytest.raises(EventLogFailed):  # not "a voter session is in progress"
        booth.pause(PIN)
    assert booth.polls is PollsState.PAUSED
    with pytest.raises(OpeningRefused, match=r"storage needs a poll worker: .*event log"):
        booth.resume(PIN)
    monkeypatch.undo()
    assert EventCode.SESSION_STARTED not in assert_log_verifies_after_restart(bench)
    restarted = bench.booth
    assert restarted is not None
    restarted.resume(PIN)  # after the restart the booth takes voters again
    bench.slot.insert(bench.election, VOTERS[0])
    restarted.card_inserted()
    restarted.enter_pin(CARD_PIN)
    assert restarted.view().state is SessionState.QUESTIONS  # type: ignore[union-attr]


@pytest.mark.parametrize("action", ["open", "pause", "close"])
def test_a_log_failure_at_a_poll_worker_action_is_the_named_storage_fault(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    booth = bench.configured() if action == "open" else bench.opened()
    fail_log_writes(bench, monkeypatch, errno.ENOSPC)
    with pytest.raises(EventLogFailed, match="No space left on device"):
        match action:
            case "open":
                booth.open_polls(PIN)
            case "pause":
                booth.pause(PIN)
            case _:
                booth.close_polls(PIN, bench.usb)
    assert_stopped_for_voters(bench, errno.ENOSPC)
    assert booth.view() is None
    match action:
        case "open":
            assert booth.polls is PollsState.OPEN  # the store says open; no voter is taken
        case "pause":
            with pytest.raises(OpeningRefused, match="event log"):
                booth.resume(PIN)
        case _:
            assert booth.polls is PollsState.CLOSED
            assert not (bench.usb / booth.export_name()).exists()
    monkeypatch.undo()
    assert_log_verifies_after_restart(bench)
    if action == "close":  # after the restart the export is written (its close is sealed)
        assert bench.booth is not None
        assert bench.booth.write_export(PIN, bench.usb).medium_may_be_removed


def test_a_booth_whose_log_fails_can_still_be_shut_down(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll worker shuts down a booth whose log medium failed: no EventLogFailed stops it,
    the booth closes, and a restart on a working medium checks out."""
    booth = bench.opened()
    booth.pause(PIN)
    fail_log_writes(bench, monkeypatch, errno.EIO)
    booth.shut_down(PIN)  # on the old code: EventLogFailed, the booth left open
    assert isinstance(booth.storage_problem, EventLogFailed)
    monkeypatch.undo()
    bench.booth = None  # closed by shut_down: the bench must not close it again
    assert_log_verifies_after_restart(bench)
