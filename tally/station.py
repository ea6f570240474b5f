"""The air-gapped tally station's workspace: import, prepare, collect shares, publish.

    workspace/
      package/                 the verified public election package
      imports/<booth_id>.json  each accepted booth export, byte for byte as it arrived
      pollbook/<station_id>.json  each station's checked poll-book count, as it arrived
      manual/<booth_id>.json   a lost booth's hand count, signed by the authority, as it arrived
      shares/trustee-NN.json   each trustee's checked decryption shares (NN as in the record)
      prepared.json            the fingerprints of the pre-decryption record's sums and index
      index.sqlite             derived: the imported exports, their ballot IDs and α (below)
      authority.json           the authority fingerprint read aloud at `tally init` (pinned)
      .lock                    the workspace's OS lock (crypto.files.workspace_lock)
      trustee-media/…          (only in rehearsals and the demo)

Every write goes through crypto.files (a unique temporary file, fsynced, renamed; a record
built in a staging folder unique to the process and renamed whole): a crash leaves either
the old state or the new one. Every command that changes the workspace holds its lock, so
two operators never interleave. Nothing enters the workspace unverified, and everything a
command is given is checked (the tally key, the workspace's completeness) before anything is
written.

index.sqlite is derived state (sqlite-utils): each accepted export's booth, station, size and
counts, and every ballot ID and α it holds, so that an import checks uniqueness and turnout
without re-reading the exports imported before (incremental across runs, linear overall). It
is written in one transaction after the export file is in place, and reconciled with
imports/ whenever a command takes the lock (rows of a file that is gone are dropped; a file
without rows, as after a crash between the two, is read once and indexed). Deleting it is
harmless: it is rebuilt from the files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from ballots.errors import PackageError, RecordError
from ballots.export import BoothExport, Status
from ballots.manual_count import MAX_MANUAL_FILE, ManualCount, add_manual, open_manual_count
from ballots.package import VerifiedPackage, normalise_fingerprint, verify_package
from ballots.pollbook_count import PollBookCount, open_pollbook_count
from ballots.record import (
    FINAL,
    MAX_RECORD_FILE,
    DecryptedCount,
    RecordIndex,
    Results,
    SharesFile,
    sums_to_json,
    trustee_number,
    write_record,
)
from ballots.results import (
    Count,
    StationCount,
    SumSpec,
    TurnoutExceeded,
    compute_sums,
    outcomes,
    totals,
)
from crypto.encoding import PROTOCOL_VERSION, canonical_json, parse_canonical_json, to_hex
from crypto.errors import CryptoError, ThresholdError, TrusteeFault
from crypto.fields import open_document
from crypto.files import (
    AlreadyExists,
    FileError,
    make_folder,
    read_file,
    regular_files,
    staged_folder,
    workspace_lock,
    write_atomic,
)
from crypto.hashing import file_fingerprint
from crypto.signing import SigningKey
from crypto.threshold import PackedTable, ThresholdDecryption
from tally.verify import (
    ExportJob,
    ExportOutcome,
    Runner,
    Seen,
    SharedPackage,
    VerificationFailed,
    ballot_keys,
    check_validity_keys,
    question_order,
    shared_package,
    verify_export,
)

MAX_EXPORT_BYTES = 256 << 20
MAX_SHARES_BYTES = 256 << 20
MAX_POLLBOOK_BYTES = 4096
PREPARED = "prepared.json"
INDEX = "index.sqlite"
INDEX_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS exports (booth_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, "
    "size INTEGER NOT NULL, cast_ INTEGER NOT NULL, challenged INTEGER NOT NULL, "
    "voided INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ballots (ballot_id BLOB PRIMARY KEY, booth_id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alphas (alpha BLOB PRIMARY KEY, booth_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ballots_booth ON ballots (booth_id)",
    "CREATE INDEX IF NOT EXISTS alphas_booth ON alphas (booth_id)",
)
AUTHORITY = "authority.json"


class ImportRejected(Exception):
    """A booth export that adds nothing: the message says exactly why."""


class WorkspaceDamaged(Exception):
    """A file inside the workspace itself is unreadable or invalid (not what is imported)."""


class WrongTallyKey(Exception):
    """The tally key given is not the one the election package names."""


class ImportStatus(enum.Enum):
    ADDED = "added"
    UNCHANGED = "unchanged"  # byte-identical to what was already imported


@dataclass(frozen=True)
class ImportResult:
    status: ImportStatus
    booth_id: str
    cast: int
    challenged: int
    voided: int


class TallyStation:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self._package: VerifiedPackage | None = None
        # Per-process caches, so importing n exports costs O(n), not O(n²): the imported
        # exports (parsed once), the ballot IDs and α they hold, and the sums (until an import).
        self._imported: dict[str, BoothExport] | None = None
        self._sums: list[SumSpec] | None = None
        self._db: sqlite_utils.Database | None = None  # index.sqlite, while the lock is held
        self._reconciled = False
        self._lock_depth = 0
        # Trustees whose stored shares the last `publish` left out, and why.
        self.left_out: dict[int, str] = {}

    # The lock ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workspace's OS lock (re-entrant within this object).

        Every method that changes the workspace takes it; a command takes it once for its
        whole run, so what it read stays true until it ends. Another process holding it:
        crypto.files.WorkspaceBusy at once, naming that process.
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self._require_workspace()
        with workspace_lock(self.workspace):
            # Another process may have changed the workspace since these were read.
            self._imported = self._sums = None
            self._reconciled = False
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                self._close_index()

    def _require_workspace(self) -> None:
        if not (self.workspace / "package").is_dir():
            raise ImportRejected(
                f"{self.workspace} is not a tally workspace: run `refvote tally init`"
            )

    def _read_workspace_file(self, path: Path, limit: int) -> bytes:
        try:
            return read_file(path, limit)
        except FileError as exc:
            raise WorkspaceDamaged(
                f"the workspace is damaged: {exc}; restore it from its backup"
            ) from None

    def check_tally_key(self, tally_key: SigningKey) -> None:
        """The key must be the tally key the package names: checked before anything is written."""
        if tally_key.verify_key.raw != self.package.public.tally_key.raw:
            raise WrongTallyKey(
                "the tally key given is not the one the election package names: "
                "give this tally station's own key file; nothing was written"
            )

    # Setup ---------------------------------------------------------------------------------

    def init(self, package_folder: Path, authority: str | None) -> VerifiedPackage:
        """Verify the election package and copy its public part into a new workspace.

        The copy is staged and renamed whole; the package is verified again from the copy.
        """
        if (self.workspace / "package").exists():
            raise ImportRejected(f"{self.workspace} already holds an election package")
        verified = verify_package(package_folder, authority)
        make_folder(self.workspace)
        with workspace_lock(self.workspace):
            target = self.workspace / "package"
            if target.exists():
                raise ImportRejected(f"{self.workspace} already holds an election package")
            if authority is not None:
                # Pinned before the package is copied: every later command verifies the
                # workspace's package against it (`package`), `publish` the record too.
                pinned = {
                    "type": "refvote/tally-authority",
                    "version": PROTOCOL_VERSION,
                    "fingerprint": normalise_fingerprint(authority),
                }
                write_atomic(self.workspace / AUTHORITY, canonical_json(pinned))
            with staged_folder(target) as staging:
                names = ["package.json", "definition.json"]
                names += [
                    str(p.relative_to(package_folder))
                    for p in regular_files(package_folder / "ceremony", "")
                ]
                for name in names:
                    make_folder((staging / name).parent)
                    write_atomic(staging / name, read_file(package_folder / name, MAX_EXPORT_BYTES))
                verify_package(staging, authority)
        return verified

    @property
    def package(self) -> VerifiedPackage:
        if self._package is None:
            if not (self.workspace / "package").is_dir():
                raise ImportRejected(
                    f"{self.workspace} is not a tally workspace: run `refvote tally init`"
                )
            self._package = verify_package(self.workspace / "package", self.pinned_authority())
        return self._package

    def pinned_authority(self) -> str | None:
        """The authority fingerprint pinned at `init` (None: a workspace made without one)."""
        self._require_workspace()
        path = self.workspace / AUTHORITY
        if not os.path.lexists(path):
            return None
        data = self._read_workspace_file(path, 4096)
        try:
            f = open_document(data, "refvote/tally-authority", AUTHORITY)
            fingerprint = normalise_fingerprint(f.text("fingerprint", max_length=19))
            f.finish()
        except (CryptoError, PackageError) as exc:
            raise WorkspaceDamaged(f"the workspace is damaged: {exc}") from None
        return fingerprint

    def imported(self) -> dict[str, BoothExport]:
        if self._imported is not None:
            return dict(self._imported)
        folder = self.workspace / "imports"
        if not folder.is_dir():
            self._imported = {}
            return {}
        imported = {}
        for p in sorted(folder.glob("*.json")):
            data = self._read_workspace_file(p, MAX_EXPORT_BYTES)
            try:
                imported[p.stem] = BoothExport.from_json(data, p.name)
            except CryptoError as exc:
                raise WorkspaceDamaged(
                    f"the workspace is damaged: {p}: {exc}; restore it from its backup"
                ) from None
        self._imported = imported
        return dict(self._imported)

    # Import --------------------------------------------------------------------------------

    def import_export(self, data: bytes) -> ImportResult:
        """Verify a booth export completely before anything is added (V4–V9, and uniqueness
        of ballot IDs and α across every export imported so far), holding the lock."""
        with self.locked():
            return self._import_export(data)

    def import_many(
        self, exports: list[bytes], runner: Runner | None = None
    ) -> list[ImportResult | ImportRejected]:
        """Import several exports as `import_export` would one after another, with their
        per-export checks (V4, V5, V7–V9) run on `runner` (tally.parallel) first; each result
        (or the rejection) in the order given. The checks across exports (uniqueness, turnout,
        a booth imported once) are made here, in that order, against the index."""
        with self.locked():
            jobs = [n for n, data in enumerate(exports) if self._needs_checks(data)]
            outcomes: dict[int, ExportOutcome] = {}
            if runner is not None and len(jobs) > 1:  # one export: no pool for it
                shared = self._shared_package()
                done = runner.map(
                    run_import_job, [_import_job(exports[n]) for n in jobs], shared, None
                )
                outcomes = dict(zip(jobs, done, strict=True))
            results: list[ImportResult | ImportRejected] = []
            for n, data in enumerate(exports):
                try:
                    results.append(self._import_export(data, outcomes.get(n)))
                except ImportRejected as exc:
                    results.append(exc)
            return results

    def _needs_checks(self, data: bytes) -> bool:
        """Worth verifying on a worker: not oversized, of a booth not imported yet."""
        if len(data) > MAX_EXPORT_BYTES:
            return False
        booth_id = _booth_id_of(data)
        return booth_id is None or not os.path.lexists(
            self.workspace / "imports" / f"{booth_id}.json"
        )

    def _shared_package(self) -> SharedPackage:
        folder = self.workspace / "package"
        files = tuple(
            (str(p.relative_to(folder)), self._read_workspace_file(p, MAX_EXPORT_BYTES))
            for p in sorted(regular_files(folder, ""))
        )
        return SharedPackage(
            files, _authority(self.package), file_fingerprint(dict(files)["package.json"])
        )

    def _import_export(self, data: bytes, outcome: ExportOutcome | None = None) -> ImportResult:
        pkg = self.package
        if len(data) > MAX_EXPORT_BYTES:
            raise ImportRejected("the export is larger than any booth can produce")
        booth_id = _booth_id_of(data)
        if booth_id is not None:
            target = self.workspace / "imports" / f"{booth_id}.json"
            if os.path.lexists(target):
                return self._same_or_refused(target, data, booth_id)
        if outcome is None:
            outcome = import_checks(pkg, data)
        if outcome.failure is not None and outcome.failure[0] == "parse":
            raise ImportRejected(f"not a valid booth export: {outcome.failure[1]}")
        booth_id = outcome.booth_id
        if booth_id not in pkg.definition.booth_ids():
            # Before the name becomes a path: an export's own booth_id is untrusted text.
            raise ImportRejected(
                f"booth export: booth {booth_id[:64]!r} is not registered in the election package"
            )
        target = self.workspace / "imports" / f"{booth_id}.json"
        if os.path.lexists(target):
            return self._same_or_refused(target, data, booth_id)
        if booth_id in self.manual_counts():
            raise ImportRejected(
                f"booth {booth_id} was counted by hand (manual/{booth_id}.json): its box is "
                "counted once; an export found later goes to the election office, not the count"
            )
        # The order of the serial import: V4, V5, V6 on this export, uniqueness across the
        # imported exports, turnout, then V7–V9.
        failure = outcome.failure
        try:
            if failure is not None and failure[0] in ("V4", "V5"):
                raise VerificationFailed(failure[1])
            check_validity_keys(
                question_order(pkg), booth_id, outcome.station_id, outcome.ballots, Seen()
            )
            self._check_unique(booth_id, outcome)
            self._check_turnout(booth_id, outcome)
            if failure is not None:
                raise VerificationFailed(failure[1])
        except VerificationFailed as exc:
            raise ImportRejected(str(exc)) from None
        make_folder(target.parent)
        try:
            # Written once, never replaced: even a writer that bypassed the lock cannot make
            # one booth's export silently replace another.
            write_atomic(target, data, replace=False)
        except AlreadyExists:
            return self._same_or_refused(target, data, booth_id)
        counts: tuple[int, int, int] = outcome.extra
        self._index_add(booth_id, outcome.station_id, len(data), counts, outcome.ballots)
        if self._imported is not None:
            self._imported[booth_id] = BoothExport.from_json(data, target.name)
        self._sums = None
        return ImportResult(ImportStatus.ADDED, booth_id, *counts)

    def _same_or_refused(self, target: Path, data: bytes, booth_id: str) -> ImportResult:
        if self._read_workspace_file(target, MAX_EXPORT_BYTES) == data:
            row = (
                self._index()
                .execute(
                    "SELECT cast_, challenged, voided FROM exports WHERE booth_id = ?", [booth_id]
                )
                .fetchone()
            )
            if row is None:  # indexed when reconciling: never absent under the lock
                raise WorkspaceDamaged(f"the workspace is damaged: {target} is not indexed")
            return ImportResult(ImportStatus.UNCHANGED, booth_id, *row)
        raise ImportRejected(
            f"booth {booth_id}: a different export of this booth was already imported; "
            "a booth closes once, so this one is refused"
        )

    # The index (derived state) -------------------------------------------------------------

    def _index(self) -> sqlite_utils.Database:
        """index.sqlite, reconciled with imports/ once per lock (see the module docstring)."""
        assert self._lock_depth, "the index is used under the workspace lock"
        if self._db is None:
            conn = sqlite3.connect(self.workspace / INDEX, isolation_level=None)
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("PRAGMA synchronous = FULL")
            for statement in INDEX_SCHEMA:
                db.execute(statement)
            self._db = db
        if not self._reconciled:
            self._reconciled = True
            self._reconcile(self._db)
        return self._db

    def _close_index(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None

    @contextlib.contextmanager
    def _transaction(self, db: sqlite_utils.Database) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _index_add(
        self,
        booth_id: str,
        station_id: str,
        size: int,
        counts: tuple[int, int, int],
        ballots: tuple[Any, ...],
    ) -> None:
        """One accepted export into the index: one transaction, after its file is in place."""
        db = self._index()
        with self._transaction(db):
            _index_rows(db, booth_id, station_id, size, counts, ballots)

    def _reconcile(self, db: sqlite_utils.Database) -> None:
        """Make the index say exactly what imports/ holds (the files are the truth)."""
        folder = self.workspace / "imports"
        files = {p.stem: p for p in folder.glob("*.json") if p.is_file()} if folder.is_dir() else {}
        sizes = {b: os.lstat(path).st_size for b, path in files.items()}
        indexed = dict(db.execute("SELECT booth_id, size FROM exports").fetchall())
        stale = [b for b, size in indexed.items() if sizes.get(b) != size]
        missing = sorted(b for b in files if indexed.get(b) != sizes[b])
        if not stale and not missing:
            return
        with self._transaction(db):
            for booth_id in stale:
                for table in ("exports", "ballots", "alphas"):
                    db.execute(f"DELETE FROM {table} WHERE booth_id = ?", [booth_id])  # noqa: S608
            for booth_id in missing:
                path = files[booth_id]
                data = self._read_workspace_file(path, MAX_EXPORT_BYTES)
                try:
                    export = BoothExport.from_json(data, path.name)
                except CryptoError as exc:
                    raise WorkspaceDamaged(
                        f"the workspace is damaged: {path}: {exc}; restore it from its backup"
                    ) from None
                c = export.counts
                _index_rows(
                    db,
                    booth_id,
                    export.station_id,
                    len(data),
                    (c.cast, c.challenged, c.voided),
                    ballot_keys(export),
                )

    def index_consistent(self) -> bool:
        """The index says exactly what imports/ holds, recomputed from the files."""
        with self.locked():
            db = self._index()
            exports, ballots, alphas = set(), set(), set()
            for booth_id, e in self.imported().items():
                c = e.counts
                path = self.workspace / "imports" / f"{booth_id}.json"
                size = len(self._read_workspace_file(path, MAX_EXPORT_BYTES))
                exports.add((booth_id, e.station_id, size, c.cast, c.challenged, c.voided))
                for key in ballot_keys(e):
                    ballots.add((key[0], booth_id))
                    alphas |= {(alpha, booth_id) for _, alpha, _ in key[3]}
            return (
                set(db.execute("SELECT * FROM exports").fetchall()) == exports
                and set(db.execute("SELECT * FROM ballots").fetchall()) == ballots
                and set(db.execute("SELECT * FROM alphas").fetchall()) == alphas
            )

    def _check_unique(self, booth_id: str, outcome: ExportOutcome) -> None:
        """No ballot ID or α of the export may already be in an imported export (the index)."""
        db = self._index()
        ids = _present(db, "ballots", "ballot_id", [b[0] for b in outcome.ballots])
        alphas = _present(db, "alphas", "alpha", [a for b in outcome.ballots for _, a, _ in b[3]])
        if not ids and not alphas:
            return
        for ballot_id, _, _, questions in outcome.ballots:
            label = f"ballot {ballot_id.hex()} (booth {booth_id})"
            if ballot_id in ids:
                raise VerificationFailed(f"{label}: ballot_id appears twice in the record")
            for question_id, alpha, _ in questions:
                if alpha in alphas:
                    raise VerificationFailed(
                        f"{label}: question {question_id}: α appears twice in the record"
                    )

    def _check_turnout(self, booth_id: str, outcome: ExportOutcome) -> None:
        """The export's station may not reach more cast ballots than eligible voters.

        Only the station's own booths are looked at (their indexed counts), so importing
        every booth of a national election stays linear.
        """
        station = self.package.definition.station(outcome.station_id)
        (others,) = (
            self._index()
            .execute(
                "SELECT COALESCE(SUM(cast_), 0) FROM exports "
                "WHERE station_id = ? AND booth_id != ?",
                [station.station_id, booth_id],
            )
            .fetchone()
        )
        # A lost booth's hand count stands for its export (its papers are cast ballots).
        hand = sum(
            m.papers
            for b, m in self.manual_counts().items()
            if b in station.booths and b != booth_id
        )
        cast = outcome.extra[0] + others + hand
        if cast > station.eligible:
            raise VerificationFailed(
                str(TurnoutExceeded(station.station_id, cast, station.eligible))
            )

    # Poll-book counts ----------------------------------------------------------------------

    def import_pollbook_count(self, data: bytes) -> tuple[ImportStatus, PollBookCount]:
        """Check a station's signed poll-book count against the package's station key and keep
        it (byte for byte) for the record; a station closes once, so a different second count
        is refused."""
        with self.locked():
            pkg = self.package
            try:
                probe = PollBookCount.from_json(data)
                pkg.definition.station(probe.station_id)
            except CryptoError as exc:
                raise ImportRejected(f"not a valid poll-book count: {exc}") from None
            except KeyError:
                raise ImportRejected(
                    f"poll-book count of {probe.station_id}: not a station of the definition"
                ) from None
            sid = probe.station_id
            try:
                count = open_pollbook_count(data, pkg.public.station_key(sid), pkg.public.base, sid)
            except CryptoError as exc:
                raise ImportRejected(str(exc)) from None
            target = self.workspace / "pollbook" / f"{sid}.json"
            if not os.path.lexists(target):
                make_folder(target.parent)
                try:
                    write_atomic(target, data, replace=False)
                    return ImportStatus.ADDED, count
                except AlreadyExists:
                    pass
            if self._read_workspace_file(target, MAX_POLLBOOK_BYTES) == data:
                return ImportStatus.UNCHANGED, count
            raise ImportRejected(
                f"station {sid}: a different poll-book count was already imported; "
                "a station closes once, so this one is refused"
            )

    def pollbook_counts(self) -> dict[str, PollBookCount]:
        """The imported counts, in definition order of their stations."""
        folder = self.workspace / "pollbook"
        counts = {}
        for station in self.package.definition.stations:
            path = folder / f"{station.station_id}.json"
            if os.path.lexists(path):
                data = self._read_workspace_file(path, MAX_POLLBOOK_BYTES)
                try:
                    counts[station.station_id] = PollBookCount.from_json(data)
                except CryptoError as exc:
                    raise WorkspaceDamaged(
                        f"the workspace is damaged: {path}: {exc}; restore it from its backup"
                    ) from None
        return counts

    def _check_pollbook(self) -> list[PollBookCount]:
        """Every imported count must equal its station's cast ballots (V15), or nothing is
        written: the officials resolve the difference before the record is published."""
        counts = self.pollbook_counts()
        cast: dict[str, int] = {}
        for e in self.imported().values():
            cast[e.station_id] = cast.get(e.station_id, 0) + e.counts.cast
        for hand in self.manual_counts().values():
            cast[hand.station_id] = cast.get(hand.station_id, 0) + hand.papers
        for sid, count in counts.items():
            if count.voted != cast.get(sid, 0):
                raise ImportRejected(
                    f"station {sid}: the poll book counts {count.voted:,} voters; its booths' "
                    f"exports (and hand counts) hold {cast.get(sid, 0):,} cast ballots"
                )
        return list(counts.values())

    def missing_booths(self) -> list[str]:
        """Booths with neither an imported export nor a hand count: `prepare` waits for them."""
        imported, manual = self.imported(), self.manual_counts()
        return [
            b for b in self.package.definition.booth_ids() if b not in imported and b not in manual
        ]

    # A lost booth's hand count ---------------------------------------------------------------

    def import_manual_count(self, data: bytes) -> ManualCount:
        """Keep a lost booth's hand count, signed by the authority (the package's key), in
        place of its export: only for a booth with no export imported, before `prepare`, and
        within its station's eligible voters. A booth is counted once: different bytes for a
        booth already counted by hand are refused."""
        with self.locked():
            pkg = self.package
            if len(data) > MAX_MANUAL_FILE:
                raise ImportRejected("the manual count is larger than any can be")
            try:
                hand = open_manual_count(
                    data, pkg.public.authority_key, pkg.public.base, pkg.definition
                )
            except CryptoError as exc:
                raise ImportRejected(str(exc)) from None
            booth_id = hand.booth_id
            target = self.workspace / "manual" / f"{booth_id}.json"
            if os.path.lexists(target):
                if self._read_workspace_file(target, MAX_MANUAL_FILE) == data:
                    return hand
                raise ImportRejected(
                    f"booth {booth_id}: a different hand count was already imported; a box "
                    "is counted once, so this one is refused"
                )
            if os.path.lexists(self.workspace / PREPARED):
                raise ImportRejected(
                    "the pre-decryption record was already prepared from this workspace: a hand "
                    "count comes before `prepare` (the trustees must see it)"
                )
            if booth_id in self.imported():
                raise ImportRejected(
                    f"booth {booth_id}: its export was imported, so its ballots are counted "
                    "electronically; a hand count replaces only a booth whose export and mirror "
                    "are both lost"
                )
            station = pkg.definition.station(hand.station_id)
            others = self.imported()
            cast = (
                hand.papers
                + sum(others[b].counts.cast for b in station.booths if b in others)
                + sum(
                    m.papers
                    for b, m in self.manual_counts().items()
                    if b in station.booths and b != booth_id
                )
            )
            if cast > station.eligible:
                exceeded = TurnoutExceeded(station.station_id, cast, station.eligible)
                raise ImportRejected(str(exceeded))
            make_folder(target.parent)
            try:
                write_atomic(target, data, replace=False)
            except AlreadyExists:
                raise ImportRejected(
                    f"booth {booth_id}: a hand count was imported meanwhile; run again"
                ) from None
            return hand

    def manual_counts(self) -> dict[str, ManualCount]:
        """The imported hand counts, in definition order of their booths."""
        folder = self.workspace / "manual"
        counts: dict[str, ManualCount] = {}
        if not folder.is_dir():
            return counts  # no lost booth: every import asks, so this stays one system call
        for booth_id in self.package.definition.booth_ids():
            path = folder / f"{booth_id}.json"
            if os.path.lexists(path):
                data = self._read_workspace_file(path, MAX_MANUAL_FILE)
                try:
                    counts[booth_id] = ManualCount.from_json(data, path.name)
                except CryptoError as exc:
                    raise WorkspaceDamaged(
                        f"the workspace is damaged: {path}: {exc}; restore it from its backup"
                    ) from None
        return counts

    def sums(self) -> list[SumSpec]:
        if self._sums is not None:
            return list(self._sums)
        cast = [
            b.ballot for e in self.imported().values() for b in e.ballots if b.status is Status.CAST
        ]
        self._sums = compute_sums(self.package.definition, cast)
        return list(self._sums)

    def _exports_in_order(self) -> list[BoothExport]:
        imported = self.imported()
        return [imported[b] for b in self.package.definition.booth_ids() if b in imported]

    # Decryption ----------------------------------------------------------------------------

    def prepare(self, out: Path, tally_key: SigningKey) -> RecordIndex:
        """The pre-decryption record for the trustees (every booth must be imported).

        The tally key and the output folder are checked before anything is written; the
        record is staged and renamed whole; then prepared.json remembers its sums, so that
        `accept_shares` can tell a workspace that changed from a trustee at fault.
        """
        with self.locked():
            self.check_tally_key(tally_key)
            self._check_complete()
            _check_new_folder(out)
            sums = self.sums()
            index = write_record(
                out,
                self.workspace / "package",
                self._exports_in_order(),
                sums,
                tally_key,
                pollbook=self._check_pollbook(),
                manual=list(self.manual_counts().values()),
            )
            prepared = {
                "type": "refvote/tally-prepared",
                "version": PROTOCOL_VERSION,
                "index": to_hex(file_fingerprint(index.to_json())),
                "sums": to_hex(file_fingerprint(sums_to_json(self.package.public.base, sums))),
            }
            write_atomic(self.workspace / PREPARED, canonical_json(prepared))
            return index

    def _check_complete(self) -> None:
        missing = self.missing_booths()
        if missing:
            raise ImportRejected(
                f"{len(missing)} booths not imported yet: {', '.join(missing[:5])}"
            )

    def check_matches_prepared(self) -> None:
        """The workspace must hold what the pre-decryption record the trustees signed holds."""
        missing = self.missing_booths()
        if missing:
            raise ImportRejected(
                "this workspace does not match the pre-decryption record: "
                f"{len(missing)} booths are not imported ({', '.join(missing[:5])}); "
                "use the workspace the record was prepared from (no trustee is at fault)"
            )
        path = self.workspace / PREPARED
        if not os.path.lexists(path):
            raise ImportRejected(
                "no pre-decryption record was prepared from this workspace: "
                "run `refvote tally prepare` here first (no trustee is at fault)"
            )
        data = self._read_workspace_file(path, 4096)
        try:
            f = open_document(data, "refvote/tally-prepared", PREPARED)
            f.hex("index", 32)
            prepared_sums = f.hex("sums", 32)
            f.finish()
        except CryptoError as exc:
            raise WorkspaceDamaged(f"the workspace is damaged: {exc}") from None
        sums = sums_to_json(self.package.public.base, self.sums())
        if file_fingerprint(sums) != prepared_sums:
            raise ImportRejected(
                "this workspace does not match the pre-decryption record prepared from it: "
                "its sums changed since (no trustee is at fault); restore it from its backup"
            )

    def accept_shares(self, data: bytes) -> int:
        """Check a trustee's shares file against the sums; store it if every proof holds.

        Raises TrusteeFault naming the trustee for a bad signature or proof, but first checks
        that the workspace matches the pre-decryption record, so an incomplete or changed
        workspace is never blamed on an honest trustee.
        """
        with self.locked():
            self.check_matches_prepared()
            return self._accept_shares(data)

    def _accept_shares(self, data: bytes) -> int:
        pkg = self.package
        sums = self.sums()
        try:
            file = SharesFile.from_json(data)
        except CryptoError as exc:
            raise ImportRejected(f"not a decryption shares file: {exc}") from None
        t = file.trustee
        if t > pkg.joint_key.n or file.base != pkg.public.base:
            raise ImportRejected(f"shares of trustee {t}: not for this election")
        try:
            pkg.joint_key.params.key_of(t).verify(file.signature, "share", *file.payload(sums))
        except CryptoError:
            raise TrusteeFault(t, "the shares file's signature does not verify") from None
        ThresholdDecryption(pkg.joint_key, [(s.ciphertext, s.ballots) for s in sums]).add(
            t, file.shares
        )
        make_folder(self.workspace / "shares")
        number = trustee_number(t, pkg.joint_key.n)
        write_atomic(self.workspace / "shares" / f"trustee-{number}.json", data)
        return t

    def shares(self) -> dict[int, SharesFile]:
        folder = self.workspace / "shares"
        files = {}
        for path in sorted(folder.glob("trustee-*.json")) if folder.is_dir() else []:
            try:
                f = SharesFile.from_json(self._read_workspace_file(path, MAX_SHARES_BYTES))
            except CryptoError as exc:
                raise WorkspaceDamaged(f"the workspace is damaged: {path}: {exc}") from None
            files[f.trustee] = f
        return files

    def valid_shares(self) -> ValidShares:
        """The stored shares files that verify against the current sums, and why others do not.

        A record publishes only valid shares (docs/protocol.md §7): a file that does not verify
        (altered in the workspace, or for other sums) is left out and named.
        """
        pkg = self.package
        sums = self.sums()  # TurnoutExceeded: more cast ballots than eligible in a station
        decryption = ThresholdDecryption(pkg.joint_key, [(s.ciphertext, s.ballots) for s in sums])
        files: dict[int, SharesFile] = {}
        faults: dict[int, str] = {}
        for t, f in sorted(self.shares().items()):
            if not 1 <= t <= pkg.joint_key.n or f.base != pkg.public.base:
                faults[t] = "not a trustee of this election"
                continue
            try:
                pkg.joint_key.params.key_of(t).verify(f.signature, "share", *f.payload(sums))
                decryption.add(t, f.shares)
            except TrusteeFault as fault:
                faults[t] = fault.reason
            except CryptoError:
                faults[t] = "the shares file does not verify against the current sums"
            else:
                files[t] = f
        return ValidShares(decryption, files, faults)

    def results(self, on_table_row: Callable[[], None] | None = None) -> Results:
        return self._results(self.valid_shares(), on_table_row)

    def _results(self, shares: ValidShares, on_table_row: Callable[[], None] | None) -> Results:
        pkg = self.package
        sums = self.sums()
        decryption = shares.decryption
        if not decryption.ready():
            left_out = "".join(f"; trustee {t} left out: {r}" for t, r in shares.faults.items())
            raise ThresholdError(
                f"{len(decryption.valid)} trustees have given valid shares; "
                f"k = {pkg.joint_key.k} are needed{left_out}"
            )
        table = PackedTable(max((s.ballots for s in sums), default=0), on_row=on_table_row)
        decrypted = [
            DecryptedCount(s.station_id, s.question_id, d.packed, Count(d.ballots, d.yes, d.no))
            for s, d in zip(sums, decryption.decrypt(table), strict=True)
        ]
        manual = self.manual_counts()
        all_totals = totals(
            pkg.definition,
            add_manual(
                [StationCount(d.station_id, d.question_id, d.count) for d in decrypted],
                list(manual.values()),
            ),
        )
        quorum = tuple(sorted(decryption.valid)[: pkg.joint_key.k])
        return Results(
            pkg.public.base,
            quorum,
            tuple(decrypted),
            tuple(all_totals),
            tuple(outcomes(pkg.definition, all_totals)),
            tuple(manual),
        )

    def publish(
        self, out: Path, tally_key: SigningKey, on_table_row: Callable[[], None] | None = None
    ) -> tuple[RecordIndex, Results]:
        """Decrypt with the valid shares collected and write the final record with them only.

        Checked before anything is written: the tally key, every booth imported, the poll-book
        counts, the output folder's parent. The record is staged and renamed whole. If `out`
        already holds this workspace's complete final record (a re-run after a crash while
        writing reports), it is checked and its index and results are returned, so the reports
        can be derived again. Trustees whose stored shares were left out: `left_out`.
        """
        with self.locked():
            self.check_tally_key(tally_key)
            self._check_complete()
            if os.path.lexists(out):
                return self.published_record(out)
            _check_new_folder(out)
            pollbook = self._check_pollbook()
            shares = self.valid_shares()
            self.left_out = dict(shares.faults)
            results = self._results(shares, on_table_row)
            index = write_record(
                out,
                self.workspace / "package",
                self._exports_in_order(),
                self.sums(),
                tally_key,
                [f for _, f in sorted(shares.files.items())],
                results,
                pollbook,
                list(self.manual_counts().values()),
            )
            return index, results

    def published_record(self, out: Path) -> tuple[RecordIndex, Results]:
        """The final record in `out`, checked to be complete and this workspace's count.

        Checked: the index is signed by the package's tally key and final; the files present
        are exactly those it lists, each with its fingerprint; the sums are this workspace's.
        (`refvote verify` then re-checks everything else from the record alone.)
        """
        pkg = self.package
        try:
            index = RecordIndex.from_json(read_file(out / "index.json", MAX_RECORD_FILE))
            index.verify_signature(pkg.public.tally_key)
            if index.state != FINAL or (index.manifest_hash, index.base) != (
                pkg.public.manifest_hash,
                pkg.public.base,
            ):
                raise RecordError("it is not a final record of this election")
            present = sorted(str(p.relative_to(out)) for p in regular_files(out, ""))
            if present != sorted(["index.json", *(p for p, _ in index.files)]):
                raise RecordError("its files are not exactly those index.json lists")
            for relative, expected in index.files:
                if file_fingerprint(read_file(out / relative, MAX_RECORD_FILE)) != expected:
                    raise RecordError(f"{relative} does not match index.json")
            sums = read_file(out / "tally/sums.json", MAX_RECORD_FILE)
            if sums != sums_to_json(pkg.public.base, self.sums()):
                raise RecordError("its sums are not this workspace's")
            results = Results.from_json(read_file(out / "tally/results.json", MAX_RECORD_FILE))
        except CryptoError as exc:
            raise RecordError(
                f"{out} already exists and is not this workspace's complete final record "
                f"({exc}): publish into a new folder"
            ) from None
        return index, results


@dataclass(frozen=True)
class ValidShares:
    decryption: ThresholdDecryption  # holds exactly the valid trustees' shares
    files: dict[int, SharesFile]  # trustee → its valid shares file
    faults: dict[int, str]  # trustee → why its stored file was left out


def _index_rows(
    db: sqlite_utils.Database,
    booth_id: str,
    station_id: str,
    size: int,
    counts: tuple[int, int, int],
    ballots: tuple[Any, ...],
) -> None:
    db.execute(
        "INSERT INTO exports VALUES (?, ?, ?, ?, ?, ?)", [booth_id, station_id, size, *counts]
    )
    db.conn.executemany("INSERT INTO ballots VALUES (?, ?)", [(b[0], booth_id) for b in ballots])
    db.conn.executemany(
        "INSERT INTO alphas VALUES (?, ?)",
        [(alpha, booth_id) for b in ballots for _, alpha, _ in b[3]],
    )


def _present(db: sqlite_utils.Database, table: str, column: str, values: list[bytes]) -> set[bytes]:
    """Those of `values` already in `table` (asked in slices of 500)."""
    found: set[bytes] = set()
    for start in range(0, len(values), 500):
        part = values[start : start + 500]
        marks = ",".join("?" * len(part))
        sql = f"SELECT {column} FROM {table} WHERE {column} IN ({marks})"  # noqa: S608
        found |= {row[0] for row in db.execute(sql, part).fetchall()}
    return found


def _authority(pkg: VerifiedPackage) -> str:
    from ballots.package import key_fingerprint

    return key_fingerprint(pkg.public.authority_key)


def _booth_id_of(data: bytes) -> str | None:
    """The booth an export says it is from, read cheaply (no point decoded); None if the
    bytes do not say (the full reading then refuses them, naming why)."""
    try:
        obj = parse_canonical_json(data, what="booth export")
    except CryptoError:
        return None
    booth_id = obj.get("booth_id") if isinstance(obj, dict) else None
    if not isinstance(booth_id, str) or not booth_id or "/" in booth_id or booth_id[0] == ".":
        return None
    return booth_id if booth_id.isprintable() and len(booth_id) <= 64 else None


def _import_job(data: bytes) -> ExportJob:
    return ExportJob("", "booth export", data, b"")


def import_checks(pkg: VerifiedPackage, data: bytes) -> ExportOutcome:
    """An import's per-export checks: the export read (a "parse" failure: not an export), then
    V4, V5, V7–V9 (`tally.verify.verify_export`) for the booth it names; `extra` holds its
    counts (cast, challenged, voided)."""
    try:
        probe = BoothExport.from_json(data, "booth export")
    except CryptoError as exc:
        return ExportOutcome("", ("parse", str(exc)))
    booth_id = probe.booth_id
    job = ExportJob(booth_id, f"export of booth {booth_id}", data, file_fingerprint(data))
    c = probe.counts
    outcome = verify_export(pkg, job)
    return dataclasses.replace(
        outcome, station_id=probe.station_id, extra=(c.cast, c.challenged, c.voided)
    )


def run_import_job(job: ExportJob, shared: SharedPackage, extra: Any) -> ExportOutcome:
    """A worker's task for `import_many`: `import_checks` against the package it verified."""
    try:
        pkg = shared_package(shared)
    except Exception as exc:
        from tally.verify import failure_message

        return ExportOutcome("", ("parse", failure_message(exc)))
    return import_checks(pkg, job.data)


def _check_new_folder(out: Path) -> None:
    """Before the work: a record goes into a new folder whose parent exists."""
    if os.path.lexists(out):
        raise AlreadyExists(out, "already exists: a record is written once, into a new folder")
    if not out.parent.is_dir():
        raise FileError(out.parent, "no such folder: create it first, or give another --out")


__all__ = [
    "ImportRejected",
    "ImportResult",
    "ImportStatus",
    "TallyStation",
    "ValidShares",
    "WorkspaceDamaged",
    "WrongTallyKey",
]
