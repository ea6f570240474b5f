"""`refvote tally …`: the air-gapped tally station."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from refvote.passphrase import PassphraseUnavailable, read_passphrases
from refvote.progress import Progress

if TYPE_CHECKING:
    from tally.station import TallyStation

MAX_DEFINITION_BYTES = 16 << 20
PARALLEL_REPORTS_FROM = 64  # stations


def _fail(message: str, code: int = 1) -> int:
    print(f"refvote tally: {message}", file=sys.stderr)
    return code


def _read_definition(path: str):  # type: ignore[no-untyped-def]
    from ballots.definition import Definition
    from crypto.files import read_file

    return Definition.from_json(read_file(Path(path), MAX_DEFINITION_BYTES))


# Errors a workspace command reports as one line (each names its path or its cause).
def _station_errors(*more: type[Exception]) -> tuple[type[Exception], ...]:
    from crypto.errors import CryptoError
    from tally.station import ImportRejected, WorkspaceDamaged, WrongTallyKey

    return (CryptoError, ImportRejected, WorkspaceDamaged, WrongTallyKey, OSError, *more)


# The ceremony ----------------------------------------------------------------------------


def ceremony_open(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from crypto.keyfile import read_public_key
    from tally.ceremony import describe, open_ceremony

    try:
        definition = _read_definition(args.definition)
        trustees = []
        for item in args.trustee:
            name, _, path = item.partition("=")
            if not name or not path:
                return _fail(f"--trustee {item!r}: expected NAME=identity.pub.json", 2)
            trustees.append((name, read_public_key(Path(path), "trustee")[1]))
        params = open_ceremony(Path(args.out), definition.manifest_hash(), args.k, trustees)
    except (CryptoError, OSError) as exc:
        return _fail(str(exc))
    print(f"ceremony opened in {args.out}/ for {definition.referendum_id}")
    for line in describe(params):
        print(f"  {line}")
    print(
        "read these aloud, write them into the minutes; "
        "each trustee then runs `refvote trustee step`"
    )
    return 0


def ceremony_collect(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.ceremony import collect

    try:
        report = collect(Path(args.ceremony), [Path(m) for m in args.media])
    except (CryptoError, OSError) as exc:
        return _fail(f"REFUSED: {exc}")
    for name in report.accepted:
        print(f"  accepted {name}")
    print(f"{len(report.accepted)} files accepted, {report.unchanged} already published")
    print(f"status: {report.status}")
    if report.joint is not None:
        from crypto.hashing import group_for_reading

        print(f"joint public key K: {group_for_reading(report.joint.public_key.point.to_bytes())}")
        print(f"base:               {group_for_reading(report.joint.base)}")
    return 1 if report.named is not None else 0


def ceremony_restart(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.ceremony import describe, restart

    try:
        params = restart(Path(args.ceremony), Path(args.out), set(args.exclude))
    except (CryptoError, OSError) as exc:
        return _fail(str(exc))
    print(f"new ceremony in {args.out}/ without trustee(s) {', '.join(map(str, args.exclude))}:")
    for line in describe(params):
        print(f"  {line}")
    return 0


def ceremony_rehearse(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from crypto.hashing import group_for_reading
    from tally.ceremony import rehearse

    print(
        "REHEARSAL: every trustee runs on this one machine, which sees every passphrase and share."
    )
    print("Never use a rehearsal's keys for an election.")
    try:
        definition = _read_definition(args.definition)
        passphrases = read_passphrases(args.passphrase_file, "passphrase", args.n)
        with Progress("ceremony", 4 * args.n) as bar:
            joint = rehearse(
                Path(args.out),
                Path(args.media),
                definition.manifest_hash(),
                args.n,
                args.k,
                passphrases,
                on_step=bar.advance,
            )
    except (CryptoError, PassphraseUnavailable, OSError) as exc:
        return _fail(str(exc))
    print(f"ceremony {args.k} of {args.n} complete in {args.out}/; trustee media in {args.media}/")
    print(f"joint public key K: {group_for_reading(joint.public_key.point.to_bytes())}")
    return 0


# The count -------------------------------------------------------------------------------


def init(args: argparse.Namespace) -> int:
    from tally.station import TallyStation

    try:
        verified = TallyStation(Path(args.workspace)).init(Path(args.package), args.authority)
    except _station_errors() as exc:
        return _fail(f"REFUSED: {exc}")
    d = verified.definition
    print(
        f"workspace {args.workspace}: election package verified for {d.referendum_id} "
        f"({len(d.stations)} stations, {len(d.booth_ids())} booths)"
    )
    if not verified.authority_pinned:
        print("NOTE: no --authority given: the package's own authority key was trusted")
    return 0


def _media_files(media: list[str], suffix: str, inside: str = "") -> list[Path]:
    """Files given, or found in media folders (never following a symlinked folder)."""
    from crypto.files import FileError, regular_files

    paths: list[Path] = []
    for m in media:
        p = Path(m)
        if not os.path.lexists(p):
            raise FileError(p, "no such file or folder: check the medium is mounted")
        paths += regular_files(p / inside, suffix) if p.is_dir() else [p]
    return paths


def _import_pollbook(station: TallyStation, path: Path) -> int:
    """Import one poll-book count; 1 if it was rejected."""
    from crypto.errors import CryptoError
    from crypto.files import read_file
    from tally.station import MAX_POLLBOOK_BYTES, ImportRejected

    try:
        status, count = station.import_pollbook_count(read_file(path, MAX_POLLBOOK_BYTES))
    except (ImportRejected, CryptoError) as exc:
        print(f"  {path}: REJECTED, nothing added: {exc}")
        return 1
    print(f"  station {count.station_id}: poll-book count {status.value}: voted {count.voted}")
    return 0


def import_(args: argparse.Namespace) -> int:
    from tally.station import TallyStation

    station = TallyStation(Path(args.workspace))
    try:
        files = _media_files(args.media, ".json")
        if not files:
            return _fail("no booth export found on the media given", 2)
        with station.locked():
            rejected = _import_files(station, files)
            missing = station.missing_booths()
    except _station_errors() as exc:
        return _fail(str(exc))
    print(
        f"{len(files) - rejected} accepted, {rejected} rejected; "
        f"{len(missing)} booths still to import"
    )
    return 1 if rejected else 0


def _import_files(station: TallyStation, files: list[Path]) -> int:
    from crypto.errors import CryptoError
    from crypto.files import read_file
    from tally.station import MAX_EXPORT_BYTES, ImportRejected, ImportStatus

    rejected = 0
    with Progress("import", len(files)) as bar:
        for path in files:
            if path.name.startswith("pollbook-"):  # `refvote station close` writes these
                rejected += _import_pollbook(station, path)
                bar.advance()
                continue
            try:
                result = station.import_export(read_file(path, MAX_EXPORT_BYTES))
            except (ImportRejected, CryptoError) as exc:
                print(f"  {path}: REJECTED, nothing added: {exc}")
                rejected += 1
            else:
                what = (
                    "added"
                    if result.status is ImportStatus.ADDED
                    else "unchanged (byte-identical to the export already imported)"
                )
                print(
                    f"  booth {result.booth_id}: {what}: {result.cast} cast, "
                    f"{result.challenged} challenged, "
                    f"{result.voided} voided"
                )
            bar.advance()
    return rejected


def prepare(args: argparse.Namespace) -> int:
    from crypto.keyfile import read_signing_key
    from tally.station import TallyStation

    try:
        _, key = read_signing_key(Path(args.tally_key), "tally")
        index = TallyStation(Path(args.workspace)).prepare(Path(args.out), key)
    except _station_errors() as exc:
        return _fail(str(exc))
    print(
        f"pre-decryption record written to {args.out}/ ({len(index.files)} files): "
        "each trustee runs `refvote trustee decrypt --record` on it"
    )
    return 0


def decrypt(args: argparse.Namespace) -> int:
    from tally.station import TallyStation

    station = TallyStation(Path(args.workspace))
    try:
        files = _media_files(args.media, ".json", "outbox/shares")
        with station.locked():
            # Before any trustee's file is judged: is this the workspace the record came from?
            station.check_matches_prepared()
            _accept_files(station, files)
            k = station.package.joint_key.k
            valid = sorted(station.shares())
    except _station_errors() as exc:
        return _fail(str(exc))
    print(f"valid shares from trustees {valid or 'none'}; k = {k}")
    if len(valid) < k:
        return _fail(f"{k - len(valid)} more trustee(s) needed before the count can be decrypted")
    return 0


def _accept_files(station: TallyStation, files: list[Path]) -> None:
    from crypto.errors import CryptoError, TrusteeFault
    from crypto.files import read_file
    from tally.station import MAX_SHARES_BYTES, ImportRejected

    for path in files:
        try:
            t = station.accept_shares(read_file(path, MAX_SHARES_BYTES))
        except TrusteeFault as fault:
            print(f"  {path}: trustee {fault.trustee} REFUSED: {fault.reason}")
        except (ImportRejected, CryptoError) as exc:
            print(f"  {path}: REFUSED: {exc}")
        else:
            print(f"  trustee {t}: every share's proof verified")


def publish(args: argparse.Namespace) -> int:
    from crypto.files import read_file
    from crypto.hashing import file_fingerprint, group_for_reading
    from crypto.keyfile import read_signing_key
    from tally.report_figures import outcome_word, reasons
    from tally.reports import MAX_TABLE_BYTES, ReportError, publish_context, write_reports
    from tally.station import TallyStation
    from tally.verify import verify_record

    out = Path(args.out)
    reports = Path(args.reports) if args.reports else out.with_name(out.name + "-reports")
    station = TallyStation(Path(args.workspace))
    try:
        _, key = read_signing_key(Path(args.tally_key), "tally")
        with station.locked():
            resumed = os.path.lexists(out)
            with Progress("dlog table", 256) as bar:
                _, results = station.publish(out, key, bar.advance)
            # The reports come from the record as written (re-derived on a re-run).
            fingerprint = file_fingerprint(read_file(out / "index.json", MAX_TABLE_BYTES))
            package = station.package
            # Many stations: their reports in one process per core (spawning costs ~1 s each).
            many = len(package.definition.stations) >= PARALLEL_REPORTS_FROM
            written = write_reports(
                publish_context(out, package, results, fingerprint, args.official),
                reports,
                workers=(os.cpu_count() or 1) if many else 1,
            )
    except _station_errors(ReportError) as exc:
        return _fail(str(exc))
    for t, reason in sorted(station.left_out.items()):
        print(f"  trustee {t}'s shares left out of the record: {reason}")
    done = "already complete (checked, not rewritten)" if resumed else "written"
    print(f"election record {done} in {out}/, fingerprint {group_for_reading(fingerprint)}")
    print(f"reports: {len(written)} files in {reports}/")
    for qid, o in results.outcomes:
        case = package.definition.question(qid).case_number
        why = "；".join(reasons(o))
        print(
            f"  {case}: 同意 {o.yes:,}  不同意 {o.no:,}  門檻 {o.threshold:,}  "
            f"{outcome_word(o)}{f'（{why}）' if why else ''}"
        )
    print("verifying the record as anyone will:")
    if not verify_record(out, args.authority):
        return 1
    if args.authority is None:
        # The site tells voters their ballots were counted: it rests on a fingerprint read
        # aloud, never on the key the workspace's own package names.
        print(
            "public site not written: give --authority (the fingerprint read aloud), or run "
            "`refvote site RECORD --authority FP --out DIR`"
        )
        return 0
    from refvote.cmd_site import site_after_publish

    return site_after_publish(out, args.authority)


def rule(args: argparse.Namespace) -> int:
    from ballots.rule import article29

    try:
        o = article29(args.eligible, args.yes, args.no)
    except ValueError as exc:
        return _fail(str(exc), 2)
    if args.json:
        print(json.dumps(o.to_obj()))
        return 0
    print("PASSED" if o.passed else "FAILED")
    print(f"threshold (ceil(eligible / 4)): {o.threshold:,}")
    print(f"yes votes missing for the threshold: {o.yes_missing_for_threshold:,}")
    print(f"yes votes missing to exceed no:      {o.yes_missing_for_majority:,}")
    return 0
