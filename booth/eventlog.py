"""The booth's event log: hash-chained, structured, every event code declared once.

One file of canonical JSON lines (RFC 8785), one entry a line:

    {"code":"polls-opened","details":{},"prev":"<64 hex>","seq":3,"time":"2026-12-03T00:00:05Z"}

- `seq` is the entry's line number, from 1.
- `prev` is the hash of the line before: h_i = H("booth-log", line_i) as a fingerprint
  (`crypto.hashing.fingerprint`, the line's bytes without its newline); line 1 has `prev` =
  32 zero bytes. `head()` is the hash of the last line: it goes on the closing report and into
  the export, which is how the last line is vouched for.
- `time` is UTC to the second, taken from the log's clock, never from the caller, or `null`
  for the events of a voter's session and ballot (`timed=False` in the catalog): a time beside
  each cast, challenge or void would let anyone who watched the voters come and go map a
  voter to a position in the published chain, so those entries carry only their order.
- `details` hold only what the catalog declares for the code, each field typed as a count
  (an integer 0 … 2^32 − 1) or a member of a closed vocabulary below (reason codes). There is
  no text field and no byte field, so a choice, a card identifier, a roll hash, a session id,
  a ballot id or a tracking code cannot be written, whatever a caller passes: anything not
  declared is refused with `DetailRefused` before a byte is written.

Durability: the file is opened for appending and locked (one writer); each entry is written
with its newline in one `write` and fsynced before `append` returns. A crash can leave at most
one torn last line (no newline). On reopening, the chain is verified up to the last complete
line; a torn tail is truncated (the caller was never told it was logged) and a `recovery`
entry with kind `log-tail-truncated` and the count of bytes dropped is appended. A complete line
that does not verify is tampering or disk damage: `LogBroken` names the line, and the log
refuses to append to it.
"""

from __future__ import annotations

import enum
import errno
import fcntl
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from ballots.pins import Role  # the poll-worker roles are declared once, with the PIN format
from booth.reports import ReportKind
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import EncodingError
from crypto.fields import Fields
from crypto.hashing import FINGERPRINT_BYTES, fingerprint
from hardware.printer.escpos import PrinterState

HASH_PURPOSE = "booth-log"
GENESIS = bytes(FINGERPRINT_BYTES)
MAX_LOG_BYTES = 64 << 20  # a 500-voter day writes well under 1 MiB
MAX_COUNT = 2**32 - 1
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class EventLogError(Exception):
    """Base class of the event log's errors."""


class DetailRefused(EventLogError, ValueError):
    """An entry whose details are not exactly the ones its code declares, with their types."""


class LogBroken(EventLogError):
    """The log does not verify: `line` (1-based) is the first line that cannot be vouched for."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"event log line {line}: {reason}")
        self.line = line
        self.reason = reason


class LogUnavailable(EventLogError):
    """The log file cannot be opened, locked or written: the booth must stop taking voters."""


# The closed vocabularies that details draw from -----------------------------------------------


class Severity(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class SessionKind(enum.Enum):
    CARD = "card"  # the voter's eID card
    ONE_TIME_CODE = "one-time-code"  # a card-less voter, checked in by a poll worker


class SessionEnd(enum.Enum):
    CAST = "cast"
    NOTHING_TAKEN = "nothing-taken"  # the voter declined every question: no ballot
    CARD_PULLED = "card-pulled"
    TIMED_OUT = "timed-out"
    PRINTER_FAULT = "printer-fault"
    REFUSED = "refused"
    LINK_DOWN = "link-down"
    CHALLENGE_LIMIT = "challenge-limit"  # challenged twice: a poll worker is called
    STORE_FAULT = "store-fault"
    CANCELLED = "cancelled"  # by a poll worker


class Refusal(enum.Enum):
    PIN_WRONG = "pin-wrong"
    PIN_BLOCKED = "pin-blocked"
    CARD_EXPIRED = "card-expired"
    CARD_REVOKED = "card-revoked"
    CARD_UNKNOWN_CA = "card-unknown-ca"
    CARD_UNREADABLE = "card-unreadable"
    NOT_ON_ROLL = "not-on-roll"
    ALREADY_VOTED = "already-voted"
    IN_PROGRESS_ELSEWHERE = "in-progress-elsewhere"
    CODE_INVALID = "code-invalid"  # a one-time code that is wrong, used or expired


class VoidReason(enum.Enum):
    PRINT_FAILED = "print-failed"
    SESSION_ENDED = "session-ended"  # the session ended after the code was fixed, before Cast
    RESTART = "restart"  # fixed or printed, no decision, when the booth restarted


class OpenRefusal(enum.Enum):
    STORE_NOT_EMPTY = "store-not-empty"
    MIRROR_NOT_EMPTY = "mirror-not-empty"
    PRINTER_NOT_READY = "printer-not-ready"
    ZERO_REPORT_NOT_PRINTED = "zero-report-not-printed"
    OUTBOX_NOT_EMPTY = "outbox-not-empty"


class Medium(enum.Enum):
    STORE = "store"  # the ballot store on the internal disk
    MIRROR = "mirror"  # the mirror on the second medium
    EXPORT = "export"  # the removable medium of the export


class MediumFault(enum.Enum):
    MISSING = "missing"
    FULL = "full"
    CORRUPT = "corrupt"
    WRITE_FAILED = "write-failed"
    MISMATCH = "mismatch"  # store and mirror differ beyond the last entry


class RecoveryKind(enum.Enum):
    LOG_TAIL_TRUNCATED = "log-tail-truncated"  # count: bytes dropped
    MIRROR_CAUGHT_UP = "mirror-caught-up"  # count: entries copied to the mirror
    STORE_CAUGHT_UP = "store-caught-up"  # count: entries copied to the store
    OUTBOX_RESENT = "outbox-resent"  # count: completions resent to the poll book
    BALLOTS_VOIDED = "ballots-voided"  # count: undecided ballots voided at restart
    AUTH_STATE_UNREADABLE = "auth-state-unreadable"  # count: 0; PIN try state unreadable: locked


class ReadinessItem(enum.Enum):
    """What the poll workers' readiness check (before opening) tries, one at a time."""

    PRINTER = "printer"  # a test print
    CARD_READER = "card-reader"  # a test card read
    SPEAKER = "speaker"  # a phrase through the headphones
    KEYPAD = "keypad"  # every key of the tactile keypad pressed
    SWITCHES = "switches"  # both keys of the two-switch device pressed


class ReadinessResult(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"


# Detail types: a count, or one member of a vocabulary ----------------------------------------


@dataclass(frozen=True)
class Count:
    """A non-negative integer below 2^32 (never a bool)."""

    def encode(self, name: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            raise DetailRefused(f"detail {name!r} must be a count from 0 to {MAX_COUNT}")
        return value


@dataclass(frozen=True)
class OneOf:
    """A member of a closed vocabulary, written as its value."""

    vocabulary: type[enum.Enum]

    def encode(self, name: str, value: object) -> str:
        if not isinstance(value, self.vocabulary):
            raise DetailRefused(
                f"detail {name!r} must be a {self.vocabulary.__name__}, not {type(value).__name__}"
            )
        encoded = value.value
        assert isinstance(encoded, str)
        return encoded

    def decode(self, name: str, value: object) -> enum.Enum:
        try:
            return self.vocabulary(value)
        except ValueError:
            raise DetailRefused(
                f"detail {name!r}: {value!r} is not a {self.vocabulary.__name__}"
            ) from None


DetailType = Count | OneOf
COUNT = Count()


# The catalog ----------------------------------------------------------------------------------


class EventCode(enum.Enum):
    LOG_STARTED = "log-started"
    RECOVERY = "recovery"
    BOOTH_STARTED = "booth-started"
    POLLS_CONFIGURED = "polls-configured"
    POLLS_OPEN_REFUSED = "polls-open-refused"
    POLLS_OPENED = "polls-opened"
    POLLS_PAUSED = "polls-paused"
    POLLS_RESUMED = "polls-resumed"
    POLLS_CLOSED = "polls-closed"
    POLLS_RESET = "polls-reset"
    SESSION_STARTED = "session-started"
    SESSION_TIMEOUT_WARNING = "session-timeout-warning"
    SESSION_REFUSED = "session-refused"
    SESSION_ENDED = "session-ended"
    BALLOT_CAST = "ballot-cast"
    BALLOT_CHALLENGED = "ballot-challenged"
    BALLOT_VOIDED = "ballot-voided"
    LINK_DOWN = "link-down"
    LINK_RESTORED = "link-restored"
    PRINTER_FAULT = "printer-fault"
    PRINTER_READY = "printer-ready"
    AUTH_OK = "auth-ok"
    AUTH_FAILED = "auth-failed"
    AUTH_LOCKED = "auth-locked"
    REPORT_PRINTED = "report-printed"
    REPORT_REPRINTED = "report-reprinted"
    EXPORT_WRITTEN = "export-written"
    EXPORT_READ_BACK = "export-read-back"
    MEDIUM_FAULT = "medium-fault"
    READINESS_CHECKED = "readiness-checked"
    READINESS_REPORT_PRINTED = "readiness-report-printed"
    BOOTH_STOPPED = "booth-stopped"


@dataclass(frozen=True)
class EventSpec:
    severity: Severity
    meaning_zh: str
    meaning_en: str
    details: Mapping[str, DetailType]
    timed: bool = True  # False: a voter's session or ballot; the entry carries no time


def _spec(severity: Severity, zh: str, en: str, **details: DetailType) -> EventSpec:
    return EventSpec(severity, zh, en, MappingProxyType(details))


def _untimed(severity: Severity, zh: str, en: str, **details: DetailType) -> EventSpec:
    return EventSpec(severity, zh, en, MappingProxyType(details), timed=False)


INFO, WARNING, ERROR = Severity.INFO, Severity.WARNING, Severity.ERROR
CATALOG: Mapping[EventCode, EventSpec] = MappingProxyType(
    {
        EventCode.LOG_STARTED: _spec(INFO, "事件紀錄開始", "Event log started"),
        EventCode.RECOVERY: _spec(
            WARNING, "自故障中復原", "Recovered from a fault", kind=OneOf(RecoveryKind), count=COUNT
        ),
        EventCode.BOOTH_STARTED: _spec(INFO, "投票機程式啟動", "Booth software started"),
        EventCode.POLLS_CONFIGURED: _spec(
            INFO, "已載入並驗證選舉資料包", "Election package loaded and verified"
        ),
        EventCode.POLLS_OPEN_REFUSED: _spec(
            WARNING, "拒絕開始投票", "Opening the polls refused", reason=OneOf(OpenRefusal)
        ),
        EventCode.POLLS_OPENED: _spec(INFO, "開始投票", "Polls opened"),
        EventCode.POLLS_PAUSED: _spec(INFO, "暫停投票", "Polls paused"),
        EventCode.POLLS_RESUMED: _spec(INFO, "恢復投票", "Polls resumed"),
        EventCode.POLLS_CLOSED: _spec(
            INFO,
            "結束投票",
            "Polls closed",
            cast=COUNT,
            challenged=COUNT,
            voided=COUNT,
        ),
        EventCode.POLLS_RESET: _spec(
            WARNING,
            "經兩人授權重新開啟已結束之投票機",
            "Closed booth reset to paused by two poll workers",
        ),
        EventCode.SESSION_STARTED: _untimed(
            INFO, "選舉人開始投票", "Voter session started", kind=OneOf(SessionKind)
        ),
        EventCode.SESSION_TIMEOUT_WARNING: _untimed(
            INFO, "逾時警告", "Voter session timeout warning shown"
        ),
        EventCode.SESSION_REFUSED: _untimed(
            WARNING, "拒絕選舉人投票", "Voter refused", reason=OneOf(Refusal)
        ),
        EventCode.SESSION_ENDED: _untimed(
            INFO, "選舉人投票階段結束", "Voter session ended", reason=OneOf(SessionEnd)
        ),
        EventCode.BALLOT_CAST: _untimed(INFO, "選票已投入", "Ballot cast"),
        EventCode.BALLOT_CHALLENGED: _untimed(INFO, "選票已挑戰（不計票）", "Ballot challenged"),
        EventCode.BALLOT_VOIDED: _untimed(
            WARNING, "選票作廢", "Ballot voided", reason=OneOf(VoidReason)
        ),
        EventCode.LINK_DOWN: _spec(ERROR, "選舉人名冊連線中斷", "Poll book unreachable"),
        EventCode.LINK_RESTORED: _spec(INFO, "選舉人名冊連線恢復", "Poll book reachable again"),
        EventCode.PRINTER_FAULT: _spec(
            ERROR, "印表機故障", "Printer fault", state=OneOf(PrinterState)
        ),
        EventCode.PRINTER_READY: _spec(INFO, "印表機就緒", "Printer ready"),
        EventCode.AUTH_OK: _spec(
            INFO, "工作人員驗證成功", "Poll worker authenticated", role=OneOf(Role)
        ),
        EventCode.AUTH_FAILED: _spec(
            WARNING,
            "工作人員密碼錯誤",
            "Poll worker PIN wrong",
            role=OneOf(Role),
            failures=COUNT,
        ),
        EventCode.AUTH_LOCKED: _spec(
            ERROR,
            "工作人員密碼錯誤次數過多，暫時鎖定",
            "Too many wrong PINs: poll-worker actions locked",
            minutes=COUNT,
        ),
        EventCode.REPORT_PRINTED: _spec(
            INFO, "報表已列印", "Report printed", kind=OneOf(ReportKind)
        ),
        EventCode.REPORT_REPRINTED: _spec(
            INFO, "報表已補印", "Report reprinted", kind=OneOf(ReportKind)
        ),
        EventCode.EXPORT_WRITTEN: _spec(
            INFO,
            "匯出檔已寫入",
            "Export written",
            cast=COUNT,
            challenged=COUNT,
            voided=COUNT,
        ),
        EventCode.EXPORT_READ_BACK: _spec(
            INFO, "匯出檔讀回無誤，可移除媒體", "Export read back: the medium may be removed"
        ),
        EventCode.MEDIUM_FAULT: _spec(
            ERROR,
            "儲存媒體故障",
            "Storage fault",
            medium=OneOf(Medium),
            fault=OneOf(MediumFault),
        ),
        EventCode.READINESS_CHECKED: _spec(
            INFO,
            "整備檢查項目",
            "Readiness check item",
            item=OneOf(ReadinessItem),
            result=OneOf(ReadinessResult),
        ),
        EventCode.READINESS_REPORT_PRINTED: _spec(
            INFO, "整備檢查報表已列印", "Readiness report printed"
        ),
        EventCode.BOOTH_STOPPED: _spec(
            INFO, "工作人員關閉投票機程式", "Booth software shut down by a poll worker"
        ),
    }
)
assert set(CATALOG) == set(EventCode), "every event code is declared in the catalog"


def encode_details(code: EventCode, details: Mapping[str, object]) -> dict[str, object]:
    """The JSON form of `details`, exactly the fields `code` declares; else DetailRefused."""
    if not isinstance(code, EventCode):
        raise DetailRefused(f"{code!r} is not an event code of the catalog")
    declared = CATALOG[code].details
    extra = sorted(set(details) - set(declared))
    if extra:
        raise DetailRefused(f"event {code.value}: detail {extra[0]!r} is not declared for it")
    missing = sorted(set(declared) - set(details))
    if missing:
        raise DetailRefused(f"event {code.value}: detail {missing[0]!r} is missing")
    return {name: kind.encode(name, details[name]) for name, kind in declared.items()}


# Entries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    time: datetime | None  # None exactly for the catalog's untimed codes
    code: EventCode
    details: Mapping[str, object]  # int or vocabulary member, as declared
    prev: bytes

    def line(self) -> bytes:
        details = encode_details(self.code, self.details)  # checks the code first
        return canonical_json(
            {
                "code": self.code.value,
                "details": details,
                "prev": self.prev.hex(),
                "seq": self.seq,
                "time": None if self.time is None else self.time.strftime(TIME_FORMAT),
            }
        )


def entry_hash(line: bytes) -> bytes:
    """h = H("booth-log", line) as a fingerprint: what the next line's `prev` holds."""
    return fingerprint(HASH_PURPOSE, line)


def parse_line(line: bytes, seq: int) -> Entry:
    """One complete line (without its newline), checked against the catalog."""
    what = f"event log line {seq}"
    try:
        f = Fields(parse_canonical_json(line, what=what), what)
        try:
            code = EventCode(f.raw("code"))
        except ValueError:
            raise EncodingError(f"{what}: unknown event code") from None
        d = f.obj("details")
        details: dict[str, object] = {}
        for name, kind in CATALOG[code].details.items():
            if isinstance(kind, OneOf):
                details[name] = kind.decode(name, d.raw(name))
            else:
                details[name] = kind.encode(name, d.raw(name))
        d.finish()
        prev = f.hex("prev", FINGERPRINT_BYTES)
        if f.integer("seq", 1, 2**53 - 1) != seq:
            raise EncodingError(f"{what}: seq is not {seq}")
        time: datetime | None = None
        if not CATALOG[code].timed:
            if f.raw("time") is not None:
                raise EncodingError(f"{what}: a {code.value} entry carries no time")
        else:
            try:
                time = datetime.strptime(f.text("time", max_length=20), TIME_FORMAT).replace(
                    tzinfo=UTC
                )
            except ValueError:
                raise EncodingError(f"{what}: time is not YYYY-MM-DDTHH:MM:SSZ") from None
        f.finish()
    except (EncodingError, DetailRefused) as exc:
        raise LogBroken(seq, str(exc)) from None
    entry = Entry(seq, time, code, MappingProxyType(details), prev)
    if entry.line() != line:  # e.g. a time written "2026-12-3T0:0:1Z", which strptime accepts
        raise LogBroken(seq, "the line is not in the one form the log writes")
    return entry


@dataclass(frozen=True)
class Verified:
    entries: tuple[Entry, ...]
    head: bytes  # the hash of the last line (GENESIS for an empty log)
    torn_tail: int  # bytes after the last newline (0 for a log closed cleanly)


def verify(data: bytes, expected_head: bytes | None = None) -> Verified:
    """Replay the chain over a log's bytes.

    Every complete line must parse against the catalog, carry its line number as `seq`, and
    carry the hash of the line before as `prev`. Bytes after the last newline are a torn tail
    (reported, not verified). With `expected_head` (from the closing report or the export),
    the last line must hash to it, which is what vouches for the last line. Raises LogBroken
    naming the first line that cannot be vouched for.
    """
    complete, _, tail = data.rpartition(b"\n")
    lines = complete.split(b"\n") if complete or data.startswith(b"\n") else []
    prev = GENESIS
    entries = []
    for n, line in enumerate(lines, start=1):
        entry = parse_line(line, n)
        if entry.prev != prev:
            raise LogBroken(
                n - 1 if n > 1 else n,
                f"its hash is not what line {n} records as prev: line {n - 1} or {n} was altered"
                if n > 1
                else "line 1 must have prev = 32 zero bytes",
            )
        entries.append(entry)
        prev = entry_hash(line)
    if expected_head is not None and prev != expected_head:
        raise LogBroken(
            max(len(lines), 1),
            "the log's head is not the one recorded on the report or in the export: "
            "the last line was altered or lines were removed",
        )
    return Verified(tuple(entries), prev, len(tail))


def utc_now() -> datetime:
    return datetime.now(UTC)


class EventLog:
    """An open, locked, append-only event log.

    `EventLog.open(path)` creates the file (first entry `log-started`) or reopens it: the
    chain is verified, a torn tail is truncated and a `recovery` entry appended.
    """

    def __init__(
        self, path: Path, fd: int, head: bytes, seq: int, size: int, clock: Callable[[], datetime]
    ) -> None:
        self.path = path
        self._fd = fd
        self._size = size  # bytes of the complete entries
        self._head = head
        self._seq = seq
        self._clock = clock

    @classmethod
    def open(cls, path: Path, clock: Callable[[], datetime] = utc_now) -> EventLog:
        try:
            fd = os.open(
                path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600
            )
        except OSError as exc:
            raise LogUnavailable(f"{path}: cannot open the event log ({exc.strerror})") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise LogUnavailable(
                        f"{path}: another booth process has the event log open"
                    ) from None
                raise
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise LogUnavailable(f"{path}: the event log is not a regular file")
            if info.st_size > MAX_LOG_BYTES:
                raise LogUnavailable(
                    f"{path}: {info.st_size:,} bytes, more than an event log may hold"
                )
            data = os.pread(fd, info.st_size, 0)
            verified = verify(data)
            if verified.torn_tail:
                os.ftruncate(fd, len(data) - verified.torn_tail)
                os.fsync(fd)
            size = len(data) - verified.torn_tail
            log = cls(path, fd, verified.head, len(verified.entries), size, clock)
            if not verified.entries:
                _fsync_folder(path.parent)
                log.append(EventCode.LOG_STARTED)
            if verified.torn_tail:
                log.append(
                    EventCode.RECOVERY,
                    kind=RecoveryKind.LOG_TAIL_TRUNCATED,
                    count=min(verified.torn_tail, MAX_COUNT),
                )
            return log
        except BaseException:
            os.close(fd)
            raise

    def append(self, code: EventCode, **details: object) -> bytes:
        """Append one entry durably (written and fsynced); returns the new head."""
        if self._fd < 0:
            raise LogUnavailable(f"{self.path}: the event log is closed")
        if code not in CATALOG:
            raise DetailRefused(f"{code!r} is not an event code")
        time: datetime | None = None
        if CATALOG[code].timed:
            now = self._clock()
            if now.tzinfo is None:
                raise EventLogError("the log's clock must give aware (UTC) times")
            time = now.astimezone(UTC).replace(microsecond=0)
        entry = Entry(
            self._seq + 1,
            time,
            code,
            dict(details),
            self._head,
        )
        line = entry.line()  # DetailRefused here: nothing written
        try:
            view = memoryview(line + b"\n")
            while view:  # O_APPEND: one write almost always; a short write continues at the end
                view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
        except OSError as exc:
            # Part of the line may be on disk: cut it off if we can, and take no more entries
            # through this handle (after a failed fsync nothing about the file is certain).
            # Reopening verifies the chain and truncates a torn tail.
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:
                pass
            self.close()
            raise LogUnavailable(
                f"{self.path}: event log write failed ({exc.strerror}); the booth stops "
                "taking voters until the log is reopened"
            ) from None
        self._size += len(line) + 1
        self._seq += 1
        self._head = entry_hash(line)
        return self._head

    def head(self) -> bytes:
        """The hash of the last entry: for the closing report and the export."""
        return self._head

    @property
    def entries(self) -> int:
        return self._seq

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_log(path: Path, expected_head: bytes | None = None) -> Verified:
    """Verify a log file (regular, bounded) without opening it for writing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise LogUnavailable(f"{path}: cannot read the event log ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LOG_BYTES:
            raise LogUnavailable(f"{path}: not a regular file of at most {MAX_LOG_BYTES:,} bytes")
        return verify(os.pread(fd, info.st_size, 0), expected_head)
    finally:
        os.close(fd)
