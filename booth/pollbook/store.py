"""The poll book's storage: one SQLite file per station (WAL, synchronous=FULL, secure_delete).

    meta(name, value)                       station_id, manifest_hash, polls (open | closed)
    voters(roll_hash, state, session, booth_id, via, evidence)    a row per roll entry
    codes(code_hash, roll_hash, state)      one-time codes: SHA-256 of the code, its voter
    released(session, booth_id, evidence, completed)   releases, kept to recognise a late complete
    events(seq, code, detail, chain)        the log: chain = H("pollbook-event", previous chain,
                                            code, detail), from 32 zero bytes

Tables are WITHOUT ROWID and keyed by random values, so the file's order is not check-in order.
No row holds a time, a ballot ID or a tracking code; nothing from the booth but S and its ID.

Every request is one transaction opened with BEGIN IMMEDIATE (the write lock first), and every
state change is one UPDATE conditional on the state the table allows it from: two booths
racing one voter both run `UPDATE … WHERE roll_hash = ? AND state = 'eligible'`, and exactly
one changes a row.
"""

from __future__ import annotations

import enum
import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from booth.pollbook.errors import CodeInvalid, PollBookError, ReleaseRefused
from crypto.hashing import fingerprint
from crypto.randomness import SYSTEM, RandomSource

SESSION_BYTES = 16
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 12  # 31^12 ≈ 2^59


class VoterState(enum.Enum):
    ELIGIBLE = "eligible"
    IN_PROGRESS = "in_progress"
    VOTED = "voted"


class Action(enum.Enum):
    CHECK_IN = "check_in"
    COMPLETE = "complete"
    ABORT = "abort"
    RELEASE = "release"
    SETTLE_CAST = "settle_cast"  # a mirror reading shows S cast: the voter voted


# The voter row's state table: (action, from) → to. Anything else is refused by the SQL itself.
TRANSITIONS: Mapping[Action, tuple[VoterState, VoterState]] = {
    Action.CHECK_IN: (VoterState.ELIGIBLE, VoterState.IN_PROGRESS),
    Action.COMPLETE: (VoterState.IN_PROGRESS, VoterState.VOTED),
    Action.ABORT: (VoterState.IN_PROGRESS, VoterState.ELIGIBLE),
    Action.RELEASE: (VoterState.IN_PROGRESS, VoterState.ELIGIBLE),
    Action.SETTLE_CAST: (VoterState.IN_PROGRESS, VoterState.VOTED),
}


class Polls(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"  # final


class Evidence(enum.Enum):
    BOOTH_ANSWER = "booth-answer"  # the booth, idle, said S is not in its outbox
    MIRROR_READING = "mirror-reading"  # a poll worker read the dead booth's mirror medium


class Event(enum.Enum):
    """The poll book's log events, declared once: (code, meaning). Never a roll hash, S or time."""

    CREATED = ("POLLBOOK_CREATED", "the poll book was made from the package's roll")
    CODE_ISSUED = ("CODE_ISSUED", "a poll worker issued a one-time code to a card-less voter")
    CHECKIN_RELEASED = ("CHECKIN_RELEASED", "a poll worker released stuck check-ins on evidence")
    COMPLETE_AFTER_RELEASE = ("COMPLETE_AFTER_RELEASE", "a booth reported a released check-in cast")
    PIN_WRONG = ("POLL_WORKER_PIN_WRONG", "a console action was refused: wrong poll-worker PIN")
    CLOSED = ("POLLBOOK_CLOSED", "a poll worker closed the poll book")

    @property
    def code(self) -> str:
        return self.value[0]


EVENT_CHAIN_START = bytes(32)


class StoreError(PollBookError):
    """The poll book's file is not this station's, or cannot be used."""


@dataclass(frozen=True)
class Outcome:
    answer: str  # a declared answer name (messages.ANSWERS)
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Counts:
    voted: int
    in_progress: int
    released: int
    cardless: int
    completed_after_release: int
    closed: bool


@dataclass(frozen=True)
class Released:
    released: int
    settled_cast: int


def code_key(code: str) -> bytes:
    return hashlib.sha256(("pollbook-code/" + normalise_code(code)).encode("ascii")).digest()


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS voters (
  roll_hash BLOB PRIMARY KEY CHECK (length(roll_hash) = 32),
  state TEXT NOT NULL CHECK (state IN ('eligible', 'in_progress', 'voted')),
  session BLOB UNIQUE CHECK (session IS NULL OR length(session) = 16),
  booth_id TEXT,
  via TEXT CHECK (via IS NULL OR via IN ('card', 'code')),
  evidence TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS codes (
  code_hash BLOB PRIMARY KEY,
  roll_hash BLOB NOT NULL REFERENCES voters (roll_hash),
  state TEXT NOT NULL CHECK (state IN ('issued', 'used'))
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS released (
  session BLOB PRIMARY KEY,
  booth_id TEXT NOT NULL,
  evidence TEXT NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, code TEXT NOT NULL, detail TEXT NOT NULL, chain BLOB NOT NULL
);
"""


class PollBookStore:
    """The station's poll book file. Thread-safe: each thread uses its own connection."""

    def __init__(self, path: Path, rng: RandomSource = SYSTEM) -> None:
        self.path = path
        self._rng = rng
        self._local = threading.local()

    # Connections and transactions --------------------------------------------------------

    def _db(self) -> sqlite_utils.Database:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA secure_delete = ON")
            db.execute("PRAGMA foreign_keys = ON")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite_utils.Database]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    # Setup ---------------------------------------------------------------------------------

    @classmethod
    def create_or_open(
        cls, path: Path, station_id: str, manifest_hash: bytes, roll: frozenset[bytes]
    ) -> PollBookStore:
        """A new file holds the station's roll; an existing one must be this station's."""
        store = cls(path)
        with store._transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
            if not meta:
                db.execute(
                    "INSERT INTO meta VALUES ('station_id', ?), ('manifest_hash', ?), "
                    "('polls', 'open')",
                    [station_id, manifest_hash.hex()],
                )
                db.conn.executemany(
                    "INSERT INTO voters (roll_hash, state) VALUES (?, 'eligible')",
                    [(h,) for h in sorted(roll)],
                )
                store._event(db, Event.CREATED, f"{len(roll)} voters on the roll")
            elif (meta.get("station_id"), meta.get("manifest_hash")) != (
                station_id,
                manifest_hash.hex(),
            ):
                raise StoreError(
                    f"{path} is the poll book of station {meta.get('station_id')} "
                    "or of another election: use this station's own file"
                )
            else:
                rows = {r[0] for r in db.execute("SELECT roll_hash FROM voters").fetchall()}
                if rows != set(roll):
                    raise StoreError(f"{path}: its roll is not the one in the election package")
        return store

    def _event(self, db: sqlite_utils.Database, event: Event, detail: str = "") -> None:
        last = db.execute("SELECT chain FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        chain = fingerprint(
            "pollbook-event", last[0] if last else EVENT_CHAIN_START, event.code, detail
        )
        db.execute(
            "INSERT INTO events (code, detail, chain) VALUES (?, ?, ?)", [event.code, detail, chain]
        )

    def _closed(self, db: sqlite_utils.Database) -> bool:
        row = db.execute("SELECT value FROM meta WHERE name = 'polls'").fetchone()
        return row is not None and row[0] == Polls.CLOSED.value

    def _move(
        self,
        db: sqlite_utils.Database,
        action: Action,
        where: str,
        params: list[Any],
        sets: str = "",
        set_params: tuple[Any, ...] = (),
    ) -> int:
        """One conditional UPDATE from the state the table allows; returns the rows changed."""
        start, end = TRANSITIONS[action]
        cursor = db.execute(
            f"UPDATE voters SET state = ?{sets} WHERE state = ? AND {where}",  # noqa: S608 (constants)
            [end.value, *set_params, start.value, *params],
        )
        return cursor.rowcount

    # Booth requests (each one transaction) ------------------------------------------------

    def check_in(self, roll_hash: bytes, booth_id: str) -> Outcome:
        with self._transaction() as db:
            return self._check_in(db, roll_hash, booth_id, "card")

    def _check_in(
        self, db: sqlite_utils.Database, roll_hash: bytes, booth_id: str, via: str
    ) -> Outcome:
        if self._closed(db):
            return Outcome("closed", {})
        session = self._rng.bytes(SESSION_BYTES)
        changed = self._move(
            db,
            Action.CHECK_IN,
            "roll_hash = ?",
            [roll_hash],
            ", session = ?, booth_id = ?, via = ?, evidence = NULL",
            (session, booth_id, via),
        )
        if changed == 1:
            return Outcome("eligible", {"session": session})
        row = db.execute(
            "SELECT state, booth_id FROM voters WHERE roll_hash = ?", [roll_hash]
        ).fetchone()
        if row is None:
            return Outcome("not_on_roll", {})
        if row[0] == VoterState.VOTED.value:
            return Outcome("already_voted", {})
        return Outcome("in_progress", {"booth_id": row[1]})

    def check_in_code(self, code: str, booth_id: str) -> Outcome:
        """A one-time code: used once, whatever follows; its voter must still be eligible."""
        with self._transaction() as db:
            if self._closed(db):
                return Outcome("closed", {})
            key = code_key(code)
            row = db.execute(
                "SELECT roll_hash FROM codes WHERE code_hash = ? AND state = 'issued'", [key]
            ).fetchone()
            if row is None:
                return Outcome("code_invalid", {})
            db.execute("UPDATE codes SET state = 'used' WHERE code_hash = ?", [key])
            outcome = self._check_in(db, row[0], booth_id, "code")
            return outcome if outcome.answer == "eligible" else Outcome("code_invalid", {})

    def complete(self, session: bytes) -> Outcome:
        """Idempotent: voted stays voted; a released S is counted apart, never lost."""
        with self._transaction() as db:
            if self._move(db, Action.COMPLETE, "session = ?", [session]) == 1:
                return Outcome("done", {})
            row = db.execute("SELECT state FROM voters WHERE session = ?", [session]).fetchone()
            if row is not None and row[0] == VoterState.VOTED.value:
                return Outcome("done", {})
            if db.execute(
                "UPDATE released SET completed = 1 WHERE session = ?", [session]
            ).rowcount:
                self._event(db, Event.COMPLETE_AFTER_RELEASE)
                return Outcome("done", {})
            return Outcome("error", {"reason": "unknown session"})

    def abort(self, session: bytes) -> Outcome:
        with self._transaction() as db:
            self._move(
                db,
                Action.ABORT,
                "session = ?",
                [session],
                ", session = NULL, booth_id = NULL, via = NULL, evidence = NULL",
            )
            row = db.execute("SELECT state FROM voters WHERE session = ?", [session]).fetchone()
            if row is not None and row[0] == VoterState.VOTED.value:
                return Outcome("already_voted", {})
            return Outcome("done", {})

    def report_outbox(self, booth_id: str, outbox: frozenset[bytes]) -> Outcome:
        """The booth, idle, says which S its outbox holds: its other check-ins were not cast."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT session FROM voters WHERE state = 'in_progress' AND booth_id = ?",
                [booth_id],
            ).fetchall()
            stuck = [r[0] for r in rows if r[0] not in outbox]
            for s in stuck:
                db.execute(
                    "UPDATE voters SET evidence = ? WHERE session = ? AND state = 'in_progress'",
                    [Evidence.BOOTH_ANSWER.value, s],
                )
            return Outcome("noted", {"stuck": len(stuck)})

    def status(self) -> Outcome:
        c = self.counts()
        return Outcome(
            "status",
            {
                "voted": c.voted,
                "in_progress": c.in_progress,
                "released": c.released,
                "cardless": c.cardless,
                "closed": int(c.closed),
            },
        )

    # Console actions (a poll worker, authenticated by the caller) -------------------------

    def counts(self) -> Counts:
        db = self._db()
        by_state = dict(db.execute("SELECT state, count(*) FROM voters GROUP BY state").fetchall())
        cardless = db.execute(
            "SELECT count(*) FROM voters WHERE state = 'voted' AND via = 'code'"
        ).fetchone()[0]
        released, late = db.execute(
            "SELECT count(*), coalesce(sum(completed), 0) FROM released"
        ).fetchone()
        return Counts(
            by_state.get("voted", 0),
            by_state.get("in_progress", 0),
            released,
            cardless,
            late,
            self._closed(db),
        )

    def stuck(self) -> list[tuple[str, str | None]]:
        """(booth_id, evidence) of every check-in in progress, for the console."""
        rows = self._db().execute(
            "SELECT booth_id, evidence FROM voters WHERE state = 'in_progress' ORDER BY booth_id"
        )
        return [(r[0], r[1]) for r in rows.fetchall()]

    def issue_code(self, roll_hash: bytes) -> str:
        """A one-time code for a card-less voter whom a poll worker checked on paper."""
        code = "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in self._unbiased(CODE_LENGTH))
        with self._transaction() as db:
            if self._closed(db):
                raise CodeInvalid("the poll book is closed")
            row = db.execute("SELECT state FROM voters WHERE roll_hash = ?", [roll_hash]).fetchone()
            if row is None:
                raise CodeInvalid("this voter is not on this station's roll")
            if row[0] != VoterState.ELIGIBLE.value:
                raise CodeInvalid(f"this voter cannot vote now ({row[0].replace('_', ' ')})")
            db.execute(
                "INSERT INTO codes (code_hash, roll_hash, state) VALUES (?, ?, 'issued')",
                [code_key(code), roll_hash],
            )
            self._event(db, Event.CODE_ISSUED)
        return f"{code[:4]}-{code[4:8]}-{code[8:]}"

    def _unbiased(self, n: int) -> list[int]:
        limit = 256 - 256 % len(CODE_ALPHABET)
        out: list[int] = []
        while len(out) < n:
            out += [b for b in self._rng.bytes(2 * n) if b < limit]
        return out[:n]

    def release(
        self, booth_id: str, evidence: Evidence, mirror_outbox: frozenset[bytes] | None = None
    ) -> Released:
        """Release the booth's stuck check-ins that the evidence shows were not cast.

        BOOTH_ANSWER: only the check-ins the booth itself reported absent from its outbox.
        MIRROR_READING: `mirror_outbox` is every S the dead booth's mirror holds unacknowledged;
        those were cast (the voter voted), every other check-in at that booth is released.
        Nothing at all to release on this evidence: ReleaseRefused.
        """
        with self._transaction() as db:
            rows = db.execute(
                "SELECT session, evidence FROM voters WHERE state = 'in_progress' AND booth_id = ?",
                [booth_id],
            ).fetchall()
            if evidence is Evidence.BOOTH_ANSWER:
                free = [s for s, e in rows if e == Evidence.BOOTH_ANSWER.value]
                cast: list[bytes] = []
            else:
                if mirror_outbox is None:
                    raise ReleaseRefused("a release on a mirror reading needs the reading")
                free = [s for s, _ in rows if s not in mirror_outbox]
                cast = [s for s, _ in rows if s in mirror_outbox]
            if not free and not cast:
                raise ReleaseRefused(
                    f"no check-in at booth {booth_id} can be released on this evidence: "
                    "restart the booth (it reports its outbox when idle) or read its mirror"
                )
            for s in free:
                self._move(
                    db,
                    Action.RELEASE,
                    "session = ?",
                    [s],
                    ", session = NULL, booth_id = NULL, via = NULL, evidence = NULL",
                )
                db.execute(
                    "INSERT INTO released (session, booth_id, evidence) VALUES (?, ?, ?)",
                    [s, booth_id, evidence.value],
                )
            for s in cast:
                self._move(db, Action.SETTLE_CAST, "session = ?", [s])
            self._event(
                db,
                Event.CHECKIN_RELEASED,
                f"booth {booth_id}: {len(free)} released, {len(cast)} settled as cast, "
                f"on {evidence.value}",
            )
            return Released(len(free), len(cast))

    def close_polls(self) -> Counts:
        """Closed is final; closing again gives the same counts."""
        with self._transaction() as db:
            if not self._closed(db):
                db.execute("UPDATE meta SET value = ? WHERE name = 'polls'", [Polls.CLOSED.value])
                self._event(db, Event.CLOSED)
        return self.counts()

    def log_event(self, event: Event, detail: str = "") -> None:
        with self._transaction() as db:
            self._event(db, event, detail)

    def events(self) -> list[tuple[str, str]]:
        """(code, detail) in order, after checking the hash chain from its start."""
        rows = self._db().execute("SELECT code, detail, chain FROM events ORDER BY seq")
        out, chain = [], EVENT_CHAIN_START
        for code, detail, stored in rows.fetchall():
            chain = fingerprint("pollbook-event", chain, code, detail)
            if stored != chain:
                raise StoreError(f"{self.path}: the event log's chain breaks at {code}")
            out.append((code, detail))
        return out

    def event_head(self) -> bytes:
        row = self._db().execute("SELECT chain FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return bytes(row[0]) if row else EVENT_CHAIN_START
