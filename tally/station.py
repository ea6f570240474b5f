"""The air-gapped tally station's workspace: import, prepare, collect shares, publish.

    workspace/
      package/                 the verified public election package
      imports/<booth_id>.json  each accepted booth export, byte for byte as it arrived
      pollbook/<station_id>.json  each station's checked poll-book count, as it arrived
      shares/trustee-NN.json   each trustee's checked decryption shares (NN as in the record)
      trustee-media/…          (only in rehearsals and the demo)

Every write is to a temporary file, flushed to disk, then renamed: a crash leaves either the
old state or the new one. Nothing enters the workspace unverified.
"""

from __future__ import annotations

import enum
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ballots.export import BoothExport, Status
from ballots.package import VerifiedPackage, verify_package
from ballots.pollbook_count import PollBookCount, open_pollbook_count
from ballots.record import (
    DecryptedCount,
    RecordIndex,
    Results,
    SharesFile,
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
from crypto.errors import CryptoError, ThresholdError, TrusteeFault
from crypto.signing import SigningKey
from crypto.threshold import PackedTable, ThresholdDecryption
from tally.verify import (
    Seen,
    VerificationFailed,
    check_chain,
    check_chain_membership,
    check_challenged,
    check_export_identity,
    check_proofs,
    check_validity,
)

MAX_EXPORT_BYTES = 256 << 20


class ImportRejected(Exception):
    """A booth export that adds nothing: the message says exactly why."""


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


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file, fsync, rename, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    temp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class TallyStation:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self._package: VerifiedPackage | None = None
        # Per-process caches, so importing n exports costs O(n), not O(n²): the imported
        # exports (parsed once), the ballot IDs and α they hold, and the sums (until an import).
        self._imported: dict[str, BoothExport] | None = None
        self._seen: Seen | None = None
        self._sums: list[SumSpec] | None = None
        # Trustees whose stored shares the last `publish` left out, and why.
        self.left_out: dict[int, str] = {}

    # Setup ---------------------------------------------------------------------------------

    def init(self, package_folder: Path, authority: str | None) -> VerifiedPackage:
        """Verify the election package and copy its public part into a new workspace."""
        if (self.workspace / "package").exists():
            raise ImportRejected(f"{self.workspace} already holds an election package")
        verified = verify_package(package_folder, authority)
        target = self.workspace / "package"
        target.mkdir(parents=True)
        for name in ("package.json", "definition.json"):
            shutil.copy2(package_folder / name, target / name)
        shutil.copytree(package_folder / "ceremony", target / "ceremony")
        return verified

    @property
    def package(self) -> VerifiedPackage:
        if self._package is None:
            if not (self.workspace / "package").is_dir():
                raise ImportRejected(
                    f"{self.workspace} is not a tally workspace: run `refvote tally init`"
                )
            self._package = verify_package(self.workspace / "package")
        return self._package

    def imported(self) -> dict[str, BoothExport]:
        if self._imported is not None:
            return dict(self._imported)
        folder = self.workspace / "imports"
        if not folder.is_dir():
            self._imported = {}
            return {}
        self._imported = {
            p.stem: BoothExport.from_json(p.read_bytes(), p.name)
            for p in sorted(folder.glob("*.json"))
        }
        return dict(self._imported)

    # Import --------------------------------------------------------------------------------

    def import_export(self, data: bytes) -> ImportResult:
        """Verify a booth export completely before anything is added (V4–V9, and uniqueness
        of ballot IDs and α across every export imported so far)."""
        pkg = self.package
        if len(data) > MAX_EXPORT_BYTES:
            raise ImportRejected("the export is larger than any booth can produce")
        try:
            probe = BoothExport.from_json(data, "booth export")
        except CryptoError as exc:
            raise ImportRejected(f"not a valid booth export: {exc}") from None
        booth_id = probe.booth_id
        target = self.workspace / "imports" / f"{booth_id}.json"
        if target.exists():
            if target.read_bytes() == data:
                c = probe.counts
                return ImportResult(
                    ImportStatus.UNCHANGED, booth_id, c.cast, c.challenged, c.voided
                )
            raise ImportRejected(
                f"booth {booth_id}: a different export of this booth was already imported; "
                "a booth closes once, so this one is refused"
            )
        try:
            export = check_export_identity(pkg, booth_id, data, f"export of booth {booth_id}")
            check_chain(export)
            fresh = Seen()  # this export alone; the record-wide sets change only on success
            check_validity(pkg, export, fresh)
            self._check_unique(export)
            self._check_turnout(export)
            check_proofs(pkg, export)
            check_chain_membership(pkg, export)
            check_challenged(pkg, export)
        except VerificationFailed as exc:
            raise ImportRejected(str(exc)) from None
        write_atomically(target, data)
        seen = self._record_seen()
        seen.ballot_ids |= fresh.ballot_ids
        seen.alphas |= fresh.alphas
        assert self._imported is not None
        self._imported[booth_id] = export
        self._sums = None
        c = export.counts
        return ImportResult(ImportStatus.ADDED, booth_id, c.cast, c.challenged, c.voided)

    def _record_seen(self) -> Seen:
        """Ballot IDs and α of every export imported so far (built once per process)."""
        if self._seen is None:
            seen = Seen()
            for other in self.imported().values():
                check_validity(self.package, other, seen)
            self._seen = seen
        return self._seen

    def _check_unique(self, export: BoothExport) -> None:
        """No ballot ID or α of `export` may already be in an imported export."""
        seen = self._record_seen()
        for b in export.ballots:
            label = f"ballot {b.ballot.ballot_id.hex()} (booth {export.booth_id})"
            if b.ballot.ballot_id in seen.ballot_ids:
                raise VerificationFailed(f"{label}: ballot_id appears twice in the record")
            for q in b.ballot.questions:
                if q.ciphertext.alpha in seen.alphas:
                    raise VerificationFailed(
                        f"{label}: question {q.question_id}: α appears twice in the record"
                    )

    def _check_turnout(self, export: BoothExport) -> None:
        """The export's station may not reach more cast ballots than eligible voters.

        Only the station's own booths are looked at (its imported exports' verified counts),
        so importing every booth of a national election stays linear.
        """
        station = self.package.definition.station(export.station_id)
        imported = self._imported if self._imported is not None else self.imported()
        cast = export.counts.cast + sum(
            imported[b].counts.cast
            for b in station.booths
            if b in imported and b != export.booth_id
        )
        if cast > station.eligible:
            raise VerificationFailed(
                str(TurnoutExceeded(station.station_id, cast, station.eligible))
            )

    # Poll-book counts ----------------------------------------------------------------------

    def import_pollbook_count(self, data: bytes) -> tuple[ImportStatus, PollBookCount]:
        """Check a station's signed poll-book count against the package's station key and keep
        it (byte for byte) for the record; a station closes once, so a different second count
        is refused."""
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
        if target.exists():
            if target.read_bytes() == data:
                return ImportStatus.UNCHANGED, count
            raise ImportRejected(
                f"station {sid}: a different poll-book count was already imported; "
                "a station closes once, so this one is refused"
            )
        write_atomically(target, data)
        return ImportStatus.ADDED, count

    def pollbook_counts(self) -> dict[str, PollBookCount]:
        """The imported counts, in definition order of their stations."""
        folder = self.workspace / "pollbook"
        counts = {}
        for station in self.package.definition.stations:
            path = folder / f"{station.station_id}.json"
            if path.is_file():
                counts[station.station_id] = PollBookCount.from_json(path.read_bytes())
        return counts

    def _check_pollbook(self) -> list[PollBookCount]:
        """Every imported count must equal its station's cast ballots (V15), or nothing is
        written: the officials resolve the difference before the record is published."""
        counts = self.pollbook_counts()
        cast: dict[str, int] = {}
        for e in self.imported().values():
            cast[e.station_id] = cast.get(e.station_id, 0) + e.counts.cast
        for sid, count in counts.items():
            if count.voted != cast.get(sid, 0):
                raise ImportRejected(
                    f"station {sid}: the poll book counts {count.voted:,} voters; its booths' "
                    f"exports hold {cast.get(sid, 0):,} cast ballots"
                )
        return list(counts.values())

    def missing_booths(self) -> list[str]:
        imported = self.imported()
        return [b for b in self.package.definition.booth_ids() if b not in imported]

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
        return [imported[b] for b in self.package.definition.booth_ids()]

    # Decryption ----------------------------------------------------------------------------

    def prepare(self, out: Path, tally_key: SigningKey) -> RecordIndex:
        """The pre-decryption record for the trustees (every booth must be imported)."""
        missing = self.missing_booths()
        if missing:
            raise ImportRejected(
                f"{len(missing)} booths not imported yet: {', '.join(missing[:5])}"
            )
        return write_record(
            out,
            self.workspace / "package",
            self._exports_in_order(),
            self.sums(),
            tally_key,
            pollbook=self._check_pollbook(),
        )

    def accept_shares(self, data: bytes) -> int:
        """Check a trustee's shares file against the sums; store it if every proof holds.

        Raises TrusteeFault naming the trustee for a bad signature or proof.
        """
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
        number = trustee_number(t, pkg.joint_key.n)
        write_atomically(self.workspace / "shares" / f"trustee-{number}.json", data)
        return t

    def shares(self) -> dict[int, SharesFile]:
        folder = self.workspace / "shares"
        files = {}
        for path in sorted(folder.glob("trustee-*.json")) if folder.is_dir() else []:
            f = SharesFile.from_json(path.read_bytes())
            files[f.trustee] = f
        return files

    def valid_shares(self) -> ValidShares:
        """The stored shares files that verify against the current sums, and why others do not.

        A record publishes only valid shares (docs/protocol.md §7): a file accepted before a
        later import changed the sums, or altered in the workspace, is left out and named.
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
        all_totals = totals(
            pkg.definition, [StationCount(d.station_id, d.question_id, d.count) for d in decrypted]
        )
        quorum = tuple(sorted(decryption.valid)[: pkg.joint_key.k])
        return Results(
            pkg.public.base,
            quorum,
            tuple(decrypted),
            tuple(all_totals),
            tuple(outcomes(pkg.definition, all_totals)),
        )

    def publish(
        self, out: Path, tally_key: SigningKey, on_table_row: Callable[[], None] | None = None
    ) -> tuple[RecordIndex, Results]:
        """Decrypt with the valid shares collected and write the final record with them only."""
        missing = self.missing_booths()
        if missing:
            raise ImportRejected(
                f"{len(missing)} booths not imported yet: {', '.join(missing[:5])}"
            )
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
        )
        return index, results


@dataclass(frozen=True)
class ValidShares:
    decryption: ThresholdDecryption  # holds exactly the valid trustees' shares
    files: dict[int, SharesFile]  # trustee → its valid shares file
    faults: dict[int, str]  # trustee → why its stored file was left out


__all__ = [
    "ImportRejected",
    "ImportResult",
    "ImportStatus",
    "TallyStation",
    "ValidShares",
    "write_atomically",
]
