"""The booth's durable state: the ballot store (SQLite) and its mirror on a second medium.

Ballot store (internal disk), SQLite through sqlite-utils, WAL, synchronous=FULL,
secure_delete=ON:

    settings (name PRIMARY KEY, value)              polls state, package, pinned authority,
                                                    the opening record  — WITHOUT ROWID
    counters (name PRIMARY KEY, value)              checked in, card-less  — WITHOUT ROWID
    ballots  (ballot_id PRIMARY KEY, state, ballot_hash, ballot, reveal)   — WITHOUT ROWID
    chain    (position PRIMARY KEY, fate, ballot_hash UNIQUE, link)  the published chain order
    outbox   (session PRIMARY KEY)                  S of cast ballots the poll book has not
                                                    acknowledged  — WITHOUT ROWID

Ballots are keyed by their random ballot_id in a WITHOUT ROWID table, so the file's order is
not the cast order. No time, no session id beside a ballot, no sequence number but the chain's.
A cast is one transaction (ballot cast + chain entry + S into the outbox). An acknowledged S
and a voided ballot's contents are deleted (secure_delete zeroes them) and the WAL is
checkpointed and truncated, so no WAL frame keeps them.

Mirror (second medium): an append-only file, one line per record (the opening, then one per
chain entry with its decision), each line hash-chained to the one before and fsynced:

    {"hash", "n", "prev", "record"}   hash = H("booth-mirror", prev, n, canonical record)

On start-up `reconcile` compares the two copies record by record (and replays the chain's
links): equal, or one ahead by exactly its last record (a crash between the two writes: the
other is brought up to it); anything else is `CopiesDisagree`, and `recover` is the poll
worker's way out (docs/booth.md, Recovery).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from ballots.ballot import EncryptedBallot, QuestionReveal
from booth.core import tracking
from booth.core.ballot import BALLOT, BallotState
from booth.core.polls import PollsState
from booth.errors import (
    CopiesDisagree,
    MirrorCorrupt,
    MirrorWriteFailed,
    RecoveryRefused,
    StorageError,
    StoreWriteFailed,
)
from crypto.encoding import canonical_json, from_hex, parse_canonical_json, to_hex
from crypto.errors import CryptoError
from crypto.fields import Fields
from crypto.hashing import fingerprint

MIRROR_NAME = "booth-mirror.jsonl"
OUTBOX_NAME = "booth-outbox.txt"
MAX_OUTBOX = 1 << 20
MAX_MIRROR = 256 << 20
_ZERO = bytes(32)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ballots (
    ballot_id BLOB PRIMARY KEY,
    state TEXT NOT NULL,
    ballot_hash BLOB NOT NULL,
    ballot BLOB NOT NULL,
    reveal BLOB
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chain (
    position INTEGER PRIMARY KEY,
    fate TEXT NOT NULL,
    ballot_hash BLOB NOT NULL UNIQUE,
    link BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (session BLOB PRIMARY KEY) WITHOUT ROWID;
"""


# Records: what both copies hold, in chain order ---------------------------------------------


@dataclass(frozen=True)
class OpeningRecord:
    """The chain's start, drawn at poll opening."""

    manifest_hash: bytes
    base: bytes
    station_id: str
    booth_id: str
    opening_nonce: bytes

    def to_obj(self) -> dict[str, Any]:
        return {
            "kind": "opening",
            "manifest_hash": to_hex(self.manifest_hash),
            "base": to_hex(self.base),
            "station_id": self.station_id,
            "booth_id": self.booth_id,
            "opening_nonce": to_hex(self.opening_nonce),
        }

    @property
    def first_link(self) -> bytes:
        return tracking.first_link(self.base, self.booth_id, self.opening_nonce)


@dataclass(frozen=True)
class EntryRecord:
    """One chain entry with its decision; a void entry keeps only the ballot's hash."""

    fate: BallotState  # CAST, CHALLENGED or VOID
    ballot_hash: bytes
    link: bytes  # the chain's link after this entry
    ballot: EncryptedBallot | None  # None for a void entry
    reveal: tuple[QuestionReveal, ...] | None  # only for a challenged ballot

    def __post_init__(self) -> None:
        if not self.fate.decided:
            raise ValueError("a chain entry records a decided ballot")
        if (self.fate is BallotState.VOID) != (self.ballot is None):
            raise ValueError("a void entry has no ballot; every other entry has one")
        if (self.fate is BallotState.CHALLENGED) != (self.reveal is not None):
            raise ValueError("a reveal is kept exactly for a challenged ballot")

    def to_obj(self) -> dict[str, Any]:
        return {
            "kind": "entry",
            "fate": self.fate.value,
            "ballot_hash": to_hex(self.ballot_hash),
            "link": to_hex(self.link),
            "ballot": None if self.ballot is None else self.ballot.to_obj(),
            "reveal": None if self.reveal is None else [r.to_obj() for r in self.reveal],
        }


Record = OpeningRecord | EntryRecord


def record_bytes(record: Record) -> bytes:
    return canonical_json(record.to_obj())


def record_from_obj(obj: object, what: str) -> Record:
    f = Fields(obj, what)
    kind = f.text("kind", max_length=10)
    if kind == "opening":
        opening = OpeningRecord(
            f.hex("manifest_hash", 32),
            f.hex("base", 32),
            f.text("station_id", max_length=64),
            f.text("booth_id", max_length=64),
            f.hex("opening_nonce", 32),
        )
        f.finish()
        return opening
    if kind != "entry":
        raise f.error("kind", "must be 'opening' or 'entry'")
    fate_text = f.text("fate", max_length=12)
    fates = {s.value: s for s in BallotState if s.decided}
    if fate_text not in fates:
        raise f.error("fate", "must be cast, challenged or void")
    ballot_hash, link = f.hex("ballot_hash", 32), f.hex("link", 32)
    ballot = EncryptedBallot.from_obj(f.raw("ballot"), what) if f.optional("ballot") else None
    reveal = None
    if f.optional("reveal"):
        reveal = tuple(QuestionReveal.from_obj(r, what) for r in f.array("reveal"))
    f.finish()
    try:
        return EntryRecord(fates[fate_text], ballot_hash, link, ballot, reveal)
    except ValueError as exc:
        raise f.error("fate", str(exc)) from None


@dataclass(frozen=True)
class PendingBallot:
    """The one ballot fixed or printed and not yet decided."""

    ballot: EncryptedBallot
    ballot_hash: bytes
    state: BallotState


class Side(enum.Enum):
    """Which copy a poll worker trusts in a recovery."""

    STORE = "store"
    MIRROR = "mirror"


# The ballot store ------------------------------------------------------------------------------


def _lock(path: Path, what: str) -> int:
    """An exclusive OS lock for this process's lifetime: one booth process per store and mirror."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise StoreWriteFailed(f"cannot lock {what} at {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreWriteFailed(
            f"another booth process has {what} open ({path}): only one may run"
        ) from None
    return fd


class BallotStore:
    """The SQLite ballot store on the booth's internal disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = _lock(path.with_name(path.name + ".lock"), "the ballot store")
        try:
            self.db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
            conn = self.db.conn
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            os.close(self._lock)
            raise StoreWriteFailed(f"cannot open the ballot store {path}: {exc}") from None
        modes = (
            conn.execute("PRAGMA journal_mode").fetchone()[0],
            conn.execute("PRAGMA synchronous").fetchone()[0],
            conn.execute("PRAGMA secure_delete").fetchone()[0],
        )
        if modes != ("wal", 2, 1):
            raise StoreWriteFailed(f"the ballot store {path} refuses WAL/FULL/secure_delete")

    def close(self) -> None:
        self.db.conn.close()
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                # SQLite has already rolled back after an interrupt, a full disk or an I/O
                # error: a second ROLLBACK would fail and hide that cause.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreWriteFailed(f"the ballot store could not be written: {exc}") from None

    def _forget_deleted(self) -> None:
        """Checkpoint and truncate the WAL so no frame keeps deleted rows."""
        try:
            self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise StoreWriteFailed(f"the ballot store could not be checkpointed: {exc}") from None

    # Settings and counters ------------------------------------------------------------------

    def setting(self, name: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_settings(self, values: dict[str, str]) -> None:
        with self._transaction() as conn:
            for name, value in values.items():
                conn.execute(
                    "INSERT INTO settings (name, value) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )

    def polls_state(self) -> PollsState:
        value = self.setting("polls")
        return PollsState.UNCONFIGURED if value is None else PollsState(value)

    def set_polls_state(self, state: PollsState, **settings: str) -> None:
        self.set_settings({"polls": state.value, **settings})

    def counter(self, name: str) -> int:
        row = self.db.conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def count(self, name: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1",
                (name,),
            )

    # The chain and its ballots --------------------------------------------------------------

    def opening(self) -> OpeningRecord | None:
        value = self.setting("opening")
        if value is None:
            return None
        record = record_from_obj(parse_canonical_json(value.encode(), what="opening"), "opening")
        assert isinstance(record, OpeningRecord)
        return record

    def set_opening(self, opening: OpeningRecord, polls: PollsState) -> None:
        """The opening record and the new polls state, in one transaction."""
        self.set_settings({"opening": record_bytes(opening).decode(), "polls": polls.value})

    def entries(self) -> list[EntryRecord]:
        rows = self.db.conn.execute(
            "SELECT c.fate, c.ballot_hash, c.link, b.ballot, b.reveal, b.state FROM chain c "
            "LEFT JOIN ballots b ON b.ballot_hash = c.ballot_hash ORDER BY c.position"
        ).fetchall()
        out = []
        for fate_text, ballot_hash, link, ballot_json, reveal_json, state in rows:
            fate = BallotState(fate_text)
            ballot = reveal = None
            if fate is not BallotState.VOID:
                if ballot_json is None or state != fate_text:
                    raise StorageError(
                        f"the ballot store lost the {fate_text} ballot of a chain entry"
                    )
                ballot = EncryptedBallot.from_obj(
                    parse_canonical_json(ballot_json, what="stored ballot")
                )
                if reveal_json is not None:
                    reveal = tuple(
                        QuestionReveal.from_obj(r, "stored reveal")
                        for r in _array(parse_canonical_json(reveal_json, what="stored reveal"))
                    )
            out.append(EntryRecord(fate, bytes(ballot_hash), bytes(link), ballot, reveal))
        return out

    def records(self) -> list[Record]:
        opening = self.opening()
        if opening is None:
            if self.entries():
                raise StorageError("the ballot store has chain entries but no opening")
            return []
        return [opening, *self.entries()]

    def last_link(self) -> bytes:
        row = self.db.conn.execute(
            "SELECT link FROM chain ORDER BY position DESC LIMIT 1"
        ).fetchone()
        if row is not None:
            return bytes(row[0])
        opening = self.opening()
        if opening is None:
            raise StorageError("the chain has not been opened")
        return opening.first_link

    def pending(self) -> PendingBallot | None:
        rows = self.db.conn.execute(
            "SELECT ballot, ballot_hash, state FROM ballots WHERE state IN (?, ?)",
            (BallotState.FIXED.value, BallotState.PRINTED.value),
        ).fetchall()
        if len(rows) > 1:
            raise StorageError("the ballot store holds more than one undecided ballot")
        if not rows:
            return None
        ballot_json, ballot_hash, state = rows[0]
        ballot = EncryptedBallot.from_obj(parse_canonical_json(ballot_json, what="stored ballot"))
        return PendingBallot(ballot, bytes(ballot_hash), BallotState(state))

    def is_empty(self) -> bool:
        conn = self.db.conn
        return (
            conn.execute("SELECT COUNT(*) FROM ballots").fetchone()[0] == 0
            and conn.execute("SELECT COUNT(*) FROM chain").fetchone()[0] == 0
            and conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
            and self.opening() is None
        )

    def fix(self, ballot: EncryptedBallot, ballot_hash: bytes) -> None:
        """Store a ballot whose tracking code was just fixed (before anything is printed)."""
        if self.pending() is not None:
            raise StorageError("a ballot is already fixed and undecided")
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO ballots (ballot_id, state, ballot_hash, ballot) VALUES (?, ?, ?, ?)",
                (
                    ballot.ballot_id,
                    BallotState.FIXED.value,
                    ballot_hash,
                    canonical_json(ballot.to_obj()),
                ),
            )

    def mark_printed(self, ballot_hash: bytes) -> None:
        pending = self._pending_with(ballot_hash)
        BALLOT.check(pending.state, BallotState.PRINTED)
        with self._transaction() as conn:
            conn.execute(
                "UPDATE ballots SET state = ? WHERE ballot_hash = ?",
                (BallotState.PRINTED.value, ballot_hash),
            )

    def _pending_with(self, ballot_hash: bytes) -> PendingBallot:
        pending = self.pending()
        if pending is None or pending.ballot_hash != ballot_hash:
            raise StorageError("that ballot is not the one fixed and undecided")
        return pending

    def decide(self, entry: EntryRecord, session: bytes | None = None) -> None:
        """Settle the pending ballot as `entry` says, in ONE transaction.

        cast: ballot row cast + chain entry + S into the outbox; challenged: ballot row
        challenged with its reveal + chain entry; void: ballot row deleted + chain entry.
        """
        pending = self._pending_with(entry.ballot_hash)
        BALLOT.check(pending.state, entry.fate)
        if (entry.fate is BallotState.CAST) != (session is not None):
            raise ValueError("exactly a cast carries the session S into the outbox")
        self._append(entry, session)
        if entry.fate is BallotState.VOID:
            self._forget_deleted()

    def _append(self, entry: EntryRecord, session: bytes | None) -> None:
        reveal = (
            None if entry.reveal is None else canonical_json([r.to_obj() for r in entry.reveal])
        )
        with self._transaction() as conn:
            existing = conn.execute(
                "SELECT state FROM ballots WHERE ballot_hash = ?", (entry.ballot_hash,)
            ).fetchone()
            if entry.fate is BallotState.VOID:
                conn.execute("DELETE FROM ballots WHERE ballot_hash = ?", (entry.ballot_hash,))
            elif existing is not None:
                conn.execute(
                    "UPDATE ballots SET state = ?, reveal = ? WHERE ballot_hash = ?",
                    (entry.fate.value, reveal, entry.ballot_hash),
                )
            else:  # brought up from the mirror: the row was never stored here
                assert entry.ballot is not None
                conn.execute(
                    "INSERT INTO ballots (ballot_id, state, ballot_hash, ballot, reveal) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        entry.ballot.ballot_id,
                        entry.fate.value,
                        entry.ballot_hash,
                        canonical_json(entry.ballot.to_obj()),
                        reveal,
                    ),
                )
            position = conn.execute("SELECT COUNT(*) FROM chain").fetchone()[0] + 1
            conn.execute(
                "INSERT INTO chain (position, fate, ballot_hash, link) VALUES (?, ?, ?, ?)",
                (position, entry.fate.value, entry.ballot_hash, entry.link),
            )
            if session is not None:
                conn.execute("INSERT INTO outbox (session) VALUES (?)", (session,))

    def outbox(self) -> list[bytes]:
        return [bytes(r[0]) for r in self.db.conn.execute("SELECT session FROM outbox")]

    def add_to_outbox(self, session: bytes) -> None:
        """Only when the store is brought up from the mirror: a cast's S the mirror medium kept."""
        with self._transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO outbox (session) VALUES (?)", (session,))

    def acknowledge(self, session: bytes) -> None:
        """The poll book answered complete(S): S is deleted and the WAL truncated."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM outbox WHERE session = ?", (session,))
        self._forget_deleted()

    def apply(self, record: Record) -> None:
        """Bring the store up by one record of the mirror (start-up or recovery)."""
        if isinstance(record, OpeningRecord):
            if self.opening() is not None:
                raise StorageError("the store already has an opening")
            state = self.polls_state()
            polls = PollsState.PAUSED if state is PollsState.CONFIGURED else state
            self.set_opening(record, polls)
            return
        pending = self.pending()
        if pending is not None and pending.ballot_hash == record.ballot_hash:
            BALLOT.check(pending.state, record.fate)
        elif pending is not None:
            raise StorageError("the store's undecided ballot is not the mirror's next entry")
        self._append(record, None)
        if record.fate is BallotState.VOID:
            self._forget_deleted()

    def reset_chain(self) -> None:
        """Empty the chain, ballots and opening (only a recovery that then replays a copy)."""
        with self._transaction() as conn:
            for table in ("ballots", "chain"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            conn.execute("DELETE FROM settings WHERE name = 'opening'")
        self._forget_deleted()


def _array(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise CryptoError("expected a JSON array")
    return value


# The mirror ----------------------------------------------------------------------------------


def _mirror_hash(prev: bytes, n: int, record: bytes) -> bytes:
    return fingerprint("booth-mirror", prev, n, record)


class Mirror:
    """The append-only, hash-chained, fsynced copy on the second medium."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MIRROR_NAME
        self._head: tuple[int, bytes] | None = None  # (records, last hash) once read
        self._lock = -1

    def lock(self) -> None:
        """Hold the medium for this process (a second booth process is refused)."""
        if self._lock < 0 and self.folder.is_dir():
            self._lock = _lock(self.folder / "booth-mirror.lock", "the mirror")

    def close(self) -> None:
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    def _read_bytes(self) -> bytes:
        if not self.folder.is_dir():
            raise MirrorWriteFailed(
                f"the mirror medium {self.folder} is not there: plug it in and restart"
            )
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return b""
        if not stat.S_ISREG(st.st_mode):
            raise MirrorCorrupt(f"{self.path} is not a regular file")
        if st.st_size > MAX_MIRROR:
            raise MirrorCorrupt(f"{self.path} is larger than {MAX_MIRROR} bytes")
        with open(self.path, "rb") as f:
            return f.read(MAX_MIRROR + 1)

    def read(self) -> tuple[list[Record], bool]:
        """The records, each line's hash chain checked; and whether a torn last line was
        found (a write cut short by a crash: it never counted, see `drop_torn_tail`)."""
        data = self._read_bytes()
        lines = data.split(b"\n")
        torn = lines[-1] != b""
        records: list[Record] = []
        prev = _ZERO
        for n, line in enumerate(lines[:-1]):
            what = f"{self.path.name} line {n + 1}"
            try:
                f = Fields(parse_canonical_json(line, what=what), what)
                if f.integer("n", 0, 1 << 32) != n or f.hex("prev", 32) != prev:
                    raise MirrorCorrupt(f"{what}: out of sequence")
                body = f.raw("record")
                record = record_from_obj(body, what)
                digest = f.hex("hash", 32)
                f.finish()
            except CryptoError as exc:
                raise MirrorCorrupt(f"{what}: {exc}") from None
            if digest != _mirror_hash(prev, n, record_bytes(record)):
                raise MirrorCorrupt(f"{what}: its hash does not hold (altered or damaged)")
            records.append(record)
            prev = digest
        self._head = (len(records), prev)
        return records, torn

    def records(self) -> list[Record]:
        return self.read()[0]

    def drop_torn_tail(self) -> None:
        """Cut a torn last line (no newline: the write never completed, nobody was told)."""
        data = self._read_bytes()
        keep = data.rfind(b"\n") + 1
        try:
            with open(self.path, "r+b") as f:
                f.truncate(keep)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise MirrorWriteFailed(f"cannot repair the mirror {self.path}: {exc}") from None
        self._head = None

    def append(self, record: Record) -> None:
        if self._head is None:
            _, torn = self.read()
            if torn:
                raise MirrorCorrupt(f"{self.path} ends in a torn line: restart the booth")
        assert self._head is not None
        n, prev = self._head
        body = record.to_obj()
        digest = _mirror_hash(prev, n, canonical_json(body))
        line = canonical_json(
            {"hash": to_hex(digest), "n": n, "prev": to_hex(prev), "record": body}
        )
        created = not self.path.exists()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(line + b"\n")
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                dir_fd = os.open(self.folder, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            self._head = None
            what = "is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "failed"
            raise MirrorWriteFailed(
                f"the mirror on {self.folder} {what} ({exc.strerror}): the booth stops taking "
                "voters; call the poll worker"
            ) from None
        self._head = (n + 1, digest)

    def set_aside(self) -> Path | None:
        """Rename the mirror file out of the way (kept, never deleted) for a rebuild."""
        if not self.path.exists():
            return None
        n = 1
        while (aside := self.folder / f"{MIRROR_NAME}.set-aside-{n}").exists():
            n += 1
        os.replace(self.path, aside)
        self._head = None
        return aside


class MirrorOutbox:
    """The unacknowledged S values, on the mirror medium: one hex per line, sorted.

    What `refvote station release --mirror-outbox` reads when the booth is dead: a check-in
    whose S is listed was cast. S is added BEFORE the cast's store transaction (a crash between
    leaves an S listed whose voter did not vote: the safe side, never a second vote) and removed
    after the poll book's acknowledgement. The file is rewritten whole (temp, fsync, rename), so
    it holds only the few S not yet acknowledged, in no particular order: never a cast order.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / OUTBOX_NAME

    def read(self) -> frozenset[bytes]:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return frozenset()
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_OUTBOX:
            raise MirrorCorrupt(f"{self.path} is not a regular file of the expected size")
        out = set()
        with open(self.path, "rb") as f:
            for n, line in enumerate(f.read(MAX_OUTBOX).splitlines(), start=1):
                try:
                    out.add(from_hex(line.decode("ascii"), 16, what=f"{self.path.name} line {n}"))
                except (UnicodeDecodeError, CryptoError) as exc:
                    raise MirrorCorrupt(f"{self.path}: {exc}") from None
        return frozenset(out)

    def write(self, sessions: Iterable[bytes]) -> None:
        data = "".join(f"{to_hex(s)}\n" for s in sorted(set(sessions))).encode("ascii")
        temp = self.folder / f".{OUTBOX_NAME}.partial"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, self.path)
            dir_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise MirrorWriteFailed(
                f"the outbox on the mirror medium {self.folder} could not be written "
                f"({exc.strerror}): the booth stops taking voters; call the poll worker"
            ) from None

    def add(self, session: bytes) -> None:
        self.write(self.read() | {session})

    def remove(self, session: bytes) -> None:
        current = self.read()
        if session in current:
            self.write(current - {session})


# Comparing the two copies ------------------------------------------------------------------


class Agreement(enum.Enum):
    AGREE = "the store and the mirror agree"
    MIRROR_BROUGHT_UP = "the mirror was one record behind and was brought up"
    STORE_BROUGHT_UP = "the store was one record behind and was brought up"


def check_links(records: Sequence[Record], what: str) -> list[str]:
    """Replay the chain's links from the opening; the differences found, if any."""
    if not records:
        return []
    opening = records[0]
    if not isinstance(opening, OpeningRecord):
        return [f"{what}: does not start with the opening"]
    link = opening.first_link
    problems = []
    for n, record in enumerate(records[1:], start=1):
        if not isinstance(record, EntryRecord):
            problems.append(f"{what}: record {n} is a second opening")
            break
        if record.ballot is not None and record.ballot.hash(opening.base) != record.ballot_hash:
            problems.append(f"{what}: entry {n} holds a ballot whose hash is not its entry's")
        link = tracking.link_after(link, record.ballot_hash, record.fate)
        if link != record.link:
            problems.append(f"{what}: entry {n}'s link does not follow from the chain")
            break
    return problems


def _differences(store: list[bytes], mirror: list[bytes]) -> tuple[str, ...]:
    out = [f"the store holds {len(store)} records, the mirror {len(mirror)}"]
    for n, (a, b) in enumerate(zip(store, mirror, strict=False)):
        if a != b:
            out.append(f"record {n} differs")
            break
    return tuple(out)


def reconcile(store: BallotStore, mirror: Mirror) -> Agreement:
    """Start-up comparison; raise CopiesDisagree (or MirrorCorrupt) unless they agree up to
    the last record, which is then copied to the copy that lacks it."""
    records, torn = mirror.read()
    if torn:
        mirror.drop_torn_tail()
    ours = store.records()
    problems = check_links(ours, "store") + check_links(records, "mirror")
    if problems:
        raise CopiesDisagree("the chain does not replay", tuple(problems))
    a, b = [record_bytes(r) for r in ours], [record_bytes(r) for r in records]
    if a == b:
        return Agreement.AGREE
    if len(a) == len(b) + 1 and a[:-1] == b:
        mirror.append(ours[-1])
        return Agreement.MIRROR_BROUGHT_UP
    if len(b) == len(a) + 1 and b[:-1] == a:
        store.apply(records[-1])
        return Agreement.STORE_BROUGHT_UP
    raise CopiesDisagree("the ballot store and the mirror disagree", _differences(a, b))


def recover(store: BallotStore, mirror: Mirror, trusted: Side) -> int:
    """A poll worker's recovery: rebuild the other copy from the `trusted` one.

    Refused (RecoveryRefused) unless the other copy's records are a prefix of the trusted
    copy's (a torn or damaged mirror counts as empty, and is set aside, never deleted): no
    cast ballot the other copy holds can be lost. Returns how many records were copied.
    """
    ours = store.records()
    try:
        theirs: list[Record] | None = mirror.records()
    except MirrorCorrupt:
        theirs = None
    if check_links(ours, "store"):
        raise RecoveryRefused("the store's own chain does not replay: it cannot be trusted")
    if theirs is not None and check_links(theirs, "mirror"):
        theirs = None  # an altered mirror is set aside below, like a damaged one
    a = [record_bytes(r) for r in ours]
    match trusted:
        case Side.STORE:
            b = [] if theirs is None else [record_bytes(r) for r in theirs]
            if b != a[: len(b)]:
                raise RecoveryRefused(
                    "the mirror holds records the store does not: trusting the store would "
                    "lose them; call the election office"
                )
            if theirs is None:
                mirror.set_aside()
                b = []
            for record in ours[len(b) :]:
                mirror.append(record)
            return len(ours) - len(b)
        case Side.MIRROR:
            if theirs is None:
                raise RecoveryRefused("the mirror is damaged: it cannot be the trusted copy")
            b = [record_bytes(r) for r in theirs]
            if a != b[: len(a)]:
                raise RecoveryRefused(
                    "the store holds records the mirror does not: trusting the mirror would "
                    "lose them; call the election office"
                )
            pending = store.pending()
            if pending is not None and len(theirs) > len(ours):
                nxt = theirs[len(ours)]
                if not isinstance(nxt, EntryRecord) or nxt.ballot_hash != pending.ballot_hash:
                    raise RecoveryRefused("the store's undecided ballot is not the mirror's next")
            for record in theirs[len(ours) :]:
                store.apply(record)
            return len(theirs) - len(ours)


__all__ = [
    "MIRROR_NAME",
    "OUTBOX_NAME",
    "Agreement",
    "BallotStore",
    "EntryRecord",
    "Mirror",
    "MirrorOutbox",
    "OpeningRecord",
    "PendingBallot",
    "Record",
    "Side",
    "check_links",
    "reconcile",
    "record_bytes",
    "recover",
]
