"""The booth's event log: the chain, the catalog's detail whitelist, durability and recovery."""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from booth.eventlog import (
    CATALOG,
    GENESIS,
    Count,
    DetailRefused,
    EventCode,
    EventLog,
    LogBroken,
    LogUnavailable,
    OneOf,
    RecoveryKind,
    Refusal,
    Role,
    SessionEnd,
    SessionKind,
    VoidReason,
    read_log,
    verify,
)
from booth.reports import ReportKind
from hardware.printer.escpos import PrinterState


class Clock:
    """A clock the test moves by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 0, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "events.log"


@pytest.fixture
def log(log_path: Path) -> Iterator[EventLog]:
    with EventLog.open(log_path, Clock()) as opened:
        yield opened


def h(line: bytes) -> bytes:
    """H("booth-log", line) from scratch: SHA-512 over length-prefixed tag and line, 32 bytes."""
    tag = b"refvote/v2/booth-log"
    data = len(tag).to_bytes(4, "big") + tag + len(line).to_bytes(4, "big") + line
    return hashlib.sha512(data).digest()[:32]


def a_day(log: EventLog) -> None:
    log.append(EventCode.POLLS_CONFIGURED)
    log.append(EventCode.REPORT_PRINTED, kind=ReportKind.ZERO)
    log.append(EventCode.POLLS_OPENED)
    log.append(EventCode.SESSION_STARTED, kind=SessionKind.CARD)
    log.append(EventCode.BALLOT_CAST)
    log.append(EventCode.SESSION_ENDED, reason=SessionEnd.CAST)
    log.append(EventCode.SESSION_STARTED, kind=SessionKind.ONE_TIME_CODE)
    log.append(EventCode.PRINTER_FAULT, state=PrinterState.PAPER_OUT)
    log.append(EventCode.BALLOT_VOIDED, reason=VoidReason.PRINT_FAILED)
    log.append(EventCode.SESSION_ENDED, reason=SessionEnd.PRINTER_FAULT)
    log.append(EventCode.SESSION_REFUSED, reason=Refusal.ALREADY_VOTED)
    log.append(EventCode.AUTH_FAILED, role=Role.CHIEF_OFFICER, failures=1)
    log.append(EventCode.POLLS_CLOSED, cast=1, challenged=0, voided=1)


def test_lines_are_canonical_json_chained_by_an_independent_hash(
    log: EventLog, log_path: Path
) -> None:
    a_day(log)
    lines = log_path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every entry ends with its newline
    lines = lines[:-1]
    assert len(lines) == 14 == log.entries
    prev = bytes(32)
    for n, line in enumerate(lines, start=1):
        obj = json.loads(line)
        assert set(obj) == {"code", "details", "prev", "seq", "time"}
        assert obj["seq"] == n and bytes.fromhex(obj["prev"]) == prev
        assert json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False) == (
            line.decode()
        )
        prev = h(line)
    assert log.head() == prev
    first = json.loads(lines[0])
    assert first["code"] == "log-started" and first["time"] == "2026-12-03T00:00:01Z"
    assert json.loads(lines[5])["details"] == {}
    assert json.loads(lines[8])["details"] == {"state": "paper out"}
    assert json.loads(lines[-1])["details"] == {"cast": 1, "challenged": 0, "voided": 1}
    assert verify(log_path.read_bytes(), expected_head=prev).head == prev


def test_a_voters_session_and_ballot_events_carry_no_time(log: EventLog, log_path: Path) -> None:
    """A time beside each cast would map voters seen entering to chain positions."""
    a_day(log)
    lines = [json.loads(x) for x in log_path.read_bytes().split(b"\n")[:-1]]
    voter = {"session-started", "session-timeout-warning", "session-refused", "session-ended",
             "ballot-cast", "ballot-challenged", "ballot-voided"}  # fmt: skip
    seen = {x["code"] for x in lines} & voter
    assert {"ballot-cast", "ballot-voided"} <= seen  # a_day holds voter events
    for x in lines:
        assert (x["time"] is None) == (x["code"] in voter), x
    assert {c.value for c, spec in CATALOG.items() if not spec.timed} == voter


def test_a_time_written_onto_a_ballot_event_is_refused(log: EventLog, log_path: Path) -> None:
    log.append(EventCode.BALLOT_CAST)
    data = log_path.read_bytes()
    forged = data.replace(
        b'"code":"ballot-cast","details":{},', b'"code":"ballot-cast","details":{},', 1
    ).replace(b'"time":null', b'"time":"2026-12-03T08:00:00Z"', 1)
    assert forged != data
    with pytest.raises(LogBroken, match="carries no time"):
        verify(forged)


def test_every_code_is_declared_once_with_meanings_and_closed_detail_types() -> None:
    assert set(CATALOG) == set(EventCode)
    assert len({c.value for c in EventCode}) == len(EventCode)
    for code, spec in CATALOG.items():
        assert spec.meaning_zh and spec.meaning_en, code
        for name, kind in spec.details.items():
            # Only counts and closed vocabularies: nothing that can carry text or bytes.
            assert isinstance(kind, (Count, OneOf)), (code, name)
            if isinstance(kind, OneOf):
                assert issubclass(kind.vocabulary, enum.Enum)
    brief = {
        "polls-configured", "polls-opened", "polls-paused", "polls-resumed", "polls-closed",
        "polls-reset", "session-started", "session-ended", "session-refused", "link-down",
        "printer-fault", "ballot-cast", "ballot-challenged", "ballot-voided", "auth-ok",
        "auth-failed", "auth-locked", "report-printed", "report-reprinted", "export-written",
        "export-read-back", "medium-fault", "recovery",
    }  # fmt: skip
    assert brief <= {c.value for c in EventCode}
    reasons = {r.value for r in SessionEnd}
    assert {"card-pulled", "timed-out", "refused", "link-down", "printer-fault"} <= reasons


ROLL_HASH = "9f" * 32
SESSION_ID = "5e" * 16
BALLOT_ID = "0011223344556677" * 2
TRACKING = "7TQE 4XJN 2K5A WQ3R"


@pytest.mark.parametrize(
    "code, details",
    [
        # Undeclared fields, whatever their name or value.
        (EventCode.BALLOT_CAST, {"ballot_id": BALLOT_ID}),
        (EventCode.BALLOT_CAST, {"tracking_code": TRACKING}),
        (EventCode.BALLOT_CHALLENGED, {"choice": "yes"}),
        (EventCode.SESSION_STARTED, {"kind": SessionKind.CARD, "session": SESSION_ID}),
        (EventCode.SESSION_REFUSED, {"reason": Refusal.NOT_ON_ROLL, "roll_hash": ROLL_HASH}),
        (EventCode.SESSION_STARTED, {"kind": SessionKind.CARD, "card": "A123456789"}),
        # Declared fields given a value of another type.
        (EventCode.SESSION_ENDED, {"reason": "card-pulled"}),  # text, not the vocabulary
        (EventCode.SESSION_ENDED, {"reason": SESSION_ID}),
        (EventCode.SESSION_ENDED, {"reason": Refusal.NOT_ON_ROLL}),  # another vocabulary
        (EventCode.POLLS_CLOSED, {"cast": ROLL_HASH, "challenged": 0, "voided": 0}),
        (EventCode.POLLS_CLOSED, {"cast": 2**40, "challenged": 0, "voided": 0}),
        (EventCode.POLLS_CLOSED, {"cast": -1, "challenged": 0, "voided": 0}),
        (EventCode.POLLS_CLOSED, {"cast": True, "challenged": 0, "voided": 0}),
        (EventCode.POLLS_CLOSED, {"cast": b"\x01", "challenged": 0, "voided": 0}),
        # A declared field missing.
        (EventCode.POLLS_CLOSED, {"cast": 1, "challenged": 0}),
        (EventCode.SESSION_ENDED, {}),
    ],
)
def test_anything_but_the_declared_typed_details_is_refused_and_nothing_written(
    log: EventLog, log_path: Path, code: EventCode, details: dict[str, object]
) -> None:
    before, head = log_path.read_bytes(), log.head()
    with pytest.raises(DetailRefused):
        log.append(code, **details)
    assert log_path.read_bytes() == before and log.head() == head


def test_an_unknown_code_is_refused(log: EventLog) -> None:
    with pytest.raises(DetailRefused):
        log.append("ballot-cast")  # type: ignore[arg-type]


def test_tampering_with_a_middle_line_is_named(log: EventLog, log_path: Path) -> None:
    a_day(log)
    lines = log_path.read_bytes().split(b"\n")
    # Line 9 said paper out; make it say cover open (still a valid entry of the catalog).
    assert b'"paper out"' in lines[8]
    lines[8] = lines[8].replace(b'"paper out"', b'"cover open"')
    with pytest.raises(LogBroken) as info:
        verify(b"\n".join(lines))
    assert info.value.line == 9 and "line 9" in str(info.value)


@pytest.mark.parametrize(
    "damage, line",
    [
        (lambda ls: ls[:4] + ls[5:], 5),  # a line removed: line 5 is now another entry
        (lambda ls: [*ls[:3], ls[4], ls[3], *ls[5:]], 4),  # two lines swapped
        (lambda ls: [*ls[:6], b"not json", *ls[7:]], 7),
        (lambda ls: [*ls[:6], ls[6].replace(b'"seq":7', b'"seq":8'), *ls[7:]], 7),
        (lambda ls: [*ls[:2], ls[2].replace(b'"details":{', b'"details":{"x":1,'), *ls[3:]], 3),
        (
            lambda ls: [
                *ls[:1],
                ls[1].replace(b'"time":"2026-12-03', b'"time":"2026-12-3'),
                *ls[2:],
            ],
            2,
        ),
    ],
)
def test_other_damage_names_its_line(log: EventLog, log_path: Path, damage, line: int) -> None:  # type: ignore[no-untyped-def]
    a_day(log)
    lines = log_path.read_bytes().split(b"\n")[:-1]
    with pytest.raises(LogBroken) as info:
        verify(b"\n".join(damage(lines)) + b"\n")
    assert info.value.line == line


def test_the_last_line_is_vouched_for_by_the_head(log: EventLog, log_path: Path) -> None:
    a_day(log)
    head = log.head()
    lines = log_path.read_bytes().split(b"\n")[:-1]
    altered = lines[-1].replace(b'"cast":1', b'"cast":2')
    verify(b"\n".join([*lines[:-1], altered]) + b"\n")  # the chain alone cannot tell
    with pytest.raises(LogBroken, match="head"):
        verify(b"\n".join([*lines[:-1], altered]) + b"\n", expected_head=head)
    with pytest.raises(LogBroken, match="head"):  # a truncated log
        verify(b"\n".join(lines[:-1]) + b"\n", expected_head=head)
    assert read_log(log_path, expected_head=head).head == head


def test_reopening_continues_the_chain(log_path: Path) -> None:
    clock = Clock()
    with EventLog.open(log_path, clock) as log:
        log.append(EventCode.POLLS_OPENED)
        head = log.head()
    with EventLog.open(log_path, clock) as log:
        assert log.head() == head and log.entries == 2
        log.append(EventCode.POLLS_PAUSED)
    verified = read_log(log_path)
    assert [e.code for e in verified.entries] == [
        EventCode.LOG_STARTED,
        EventCode.POLLS_OPENED,
        EventCode.POLLS_PAUSED,
    ]
    assert verified.entries[2].prev == head and verified.torn_tail == 0


@pytest.mark.parametrize("torn", [b'{"code":"ballot-ca', b"\x00" * 17, b"{}"])
def test_a_torn_last_line_is_truncated_and_logged_as_recovery(log_path: Path, torn: bytes) -> None:
    clock = Clock()
    with EventLog.open(log_path, clock) as log:
        log.append(EventCode.POLLS_OPENED)
        head = log.head()
    with open(log_path, "ab") as f:  # the crash: part of a line, no newline
        f.write(torn)
    assert verify(log_path.read_bytes()).torn_tail == len(torn)
    with EventLog.open(log_path, clock) as log:
        assert log.entries == 3
    verified = read_log(log_path)
    assert verified.torn_tail == 0
    recovery = verified.entries[-1]
    assert recovery.code is EventCode.RECOVERY and recovery.prev == head
    assert recovery.details == {"kind": RecoveryKind.LOG_TAIL_TRUNCATED, "count": len(torn)}


def test_a_crash_before_the_first_line_starts_a_fresh_log(log_path: Path) -> None:
    log_path.write_bytes(b'{"code":"log-st')
    with EventLog.open(log_path, Clock()):
        pass
    codes = [e.code for e in read_log(log_path).entries]
    assert codes == [EventCode.LOG_STARTED, EventCode.RECOVERY]
    assert read_log(log_path).entries[0].prev == GENESIS


def test_a_broken_log_refuses_to_open(log: EventLog, log_path: Path) -> None:
    a_day(log)
    log.close()
    data = log_path.read_bytes().replace(b'"cast":1', b'"cast":7')
    log_path.write_bytes(data.replace(b'"kind":"zero"', b'"kind":"close"'))
    with pytest.raises(LogBroken) as info:
        EventLog.open(log_path, Clock())
    assert info.value.line == 3
    assert log_path.read_bytes() == data.replace(b'"kind":"zero"', b'"kind":"close"')


def test_one_writer_at_a_time(log: EventLog, log_path: Path) -> None:
    with pytest.raises(LogUnavailable, match="another"):
        EventLog.open(log_path, Clock())


def test_only_a_regular_file_is_read(tmp_path: Path) -> None:
    target = tmp_path / "real.log"
    with EventLog.open(target, Clock()):
        pass
    link = tmp_path / "link.log"
    link.symlink_to(target)
    with pytest.raises(LogUnavailable):
        EventLog.open(link, Clock())
    with pytest.raises(LogUnavailable):
        read_log(link)
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    with pytest.raises(LogUnavailable):
        read_log(fifo)


def test_entries_are_fsynced_before_append_returns(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    log.append(EventCode.POLLS_OPENED)
    assert synced  # a crash after append returns cannot lose the entry


def test_a_failing_disk_is_a_named_error_and_leaves_no_partial_line(
    log: EventLog, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log.append(EventCode.POLLS_OPENED)
    before = log_path.read_bytes()
    real = os.write
    calls: list[int] = []

    def half_then_full(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    head = log.head()
    with pytest.raises(LogUnavailable, match="No space"):
        log.append(EventCode.POLLS_PAUSED)
    monkeypatch.undo()
    assert log.head() == head and log_path.read_bytes() == before
    with pytest.raises(LogUnavailable, match="closed"):  # no more entries through this handle
        log.append(EventCode.POLLS_PAUSED)
    with EventLog.open(log_path, Clock()) as again:
        again.append(EventCode.POLLS_PAUSED)
    assert [e.code for e in read_log(log_path).entries][-2:] == [
        EventCode.POLLS_OPENED,
        EventCode.POLLS_PAUSED,
    ]


def test_a_partial_line_left_by_a_failed_write_is_cut_on_reopening(
    log: EventLog, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.write

    def half(fd: int, data: bytes) -> int:
        real(fd, bytes(data[: len(data) // 2]))
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "write", half)
    monkeypatch.setattr(os, "ftruncate", lambda fd, size: (_ for _ in ()).throw(OSError(5, "x")))
    with pytest.raises(LogUnavailable):
        log.append(EventCode.POLLS_PAUSED)
    monkeypatch.undo()
    assert verify(log_path.read_bytes()).torn_tail > 0
    with EventLog.open(log_path, Clock()):
        pass
    assert read_log(log_path).entries[-1].code is EventCode.RECOVERY


def test_a_naive_clock_is_refused(log_path: Path) -> None:
    with pytest.raises(Exception, match="aware"):
        EventLog.open(log_path, lambda: datetime(2026, 12, 3))


def test_a_crash_at_any_byte_loses_no_complete_entry(tmp_path: Path) -> None:
    """Cut a short day at every 11th byte (a power cut mid-write, at any point) and reopen it."""
    source = tmp_path / "day.log"
    with EventLog.open(source, Clock()) as log:
        a_day(log)
    data = source.read_bytes()
    ends = [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
    for cut in range(0, len(data) + 1, 11):
        path = tmp_path / f"cut-{cut}.log"
        path.write_bytes(data[:cut])
        complete = sum(1 for end in ends if end <= cut)
        with EventLog.open(path, Clock()) as reopened:
            assert reopened.entries >= complete
        entries = read_log(path).entries
        # Every complete line survives as it was; a torn one is replaced by a recovery entry.
        if complete:
            expected = data[: ends[complete - 1]].split(b"\n")[:-1]
            assert [e.line() for e in entries[:complete]] == expected
        torn = cut - (ends[complete - 1] if complete else 0)
        if torn:
            assert entries[-1].details == {"kind": RecoveryKind.LOG_TAIL_TRUNCATED, "count": torn}
        path.unlink()
