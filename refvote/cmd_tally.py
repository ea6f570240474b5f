"""`refvote tally …`: the air-gapped tally station."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from refvote.passphrase import PassphraseUnavailable, read_passphrases
from refvote.progress import Progress

if TYPE_CHECKING:
    from tally.station import TallyStation


def _fail(message: str, code: int = 1) -> int:
    print(f"refvote tally: {message}", file=sys.stderr)
    return code


# The ceremony ----------------------------------------------------------------------------


def ceremony_open(args: argparse.Namespace) -> int:
    from ballots.definition import Definition
    from crypto.errors import CryptoError
    from crypto.keyfile import read_public_key
    from tally.ceremony import describe, open_ceremony

    try:
        definition = Definition.from_json(Path(args.definition).read_bytes())
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
    from ballots.definition import Definition
    from crypto.errors import CryptoError
    from crypto.hashing import group_for_reading
    from tally.ceremony import rehearse

    print(
        "REHEARSAL: every trustee runs on this one machine, which sees every passphrase and share."
    )
    print("Never use a rehearsal's keys for an election.")
    try:
        definition = Definition.from_json(Path(args.definition).read_bytes())
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
    from crypto.errors import CryptoError
    from tally.station import ImportRejected, TallyStation

    try:
        verified = TallyStation(Path(args.workspace)).init(Path(args.package), args.authority)
    except (CryptoError, ImportRejected, OSError) as exc:
        return _fail(f"REFUSED: {exc}")
    d = verified.definition
    print(
        f"workspace {args.workspace}: election package verified for {d.referendum_id} "
        f"({len(d.stations)} stations, {len(d.booth_ids())} booths)"
    )
    if not verified.authority_pinned:
        print("NOTE: no --authority given: the package's own authority key was trusted")
    return 0


def _export_files(media: list[str]) -> list[Path]:
    paths: list[Path] = []
    for m in media:
        p = Path(m)
        paths += sorted(p.rglob("*.json")) if p.is_dir() else [p]
    return paths


def _import_pollbook(station: TallyStation, path: Path) -> int:
    """Import one poll-book count; 1 if it was rejected."""
    from crypto.errors import CryptoError
    from tally.station import ImportRejected

    try:
        status, count = station.import_pollbook_count(path.read_bytes())
    except (ImportRejected, CryptoError, OSError) as exc:
        print(f"  {path}: REJECTED, nothing added: {exc}")
        return 1
    print(f"  station {count.station_id}: poll-book count {status.value}: voted {count.voted}")
    return 0


def import_(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.station import ImportRejected, ImportStatus, TallyStation

    station = TallyStation(Path(args.workspace))
    files = _export_files(args.media)
    if not files:
        return _fail("no booth export found on the media given", 2)
    rejected = 0
    with Progress("import", len(files)) as bar:
        for path in files:
            if path.name.startswith("pollbook-"):  # `refvote station close` writes these
                rejected += _import_pollbook(station, path)
                bar.advance()
                continue
            try:
                result = station.import_export(path.read_bytes())
            except (ImportRejected, CryptoError, OSError) as exc:
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
    missing = station.missing_booths()
    print(
        f"{len(files) - rejected} accepted, {rejected} rejected; "
        f"{len(missing)} booths still to import"
    )
    return 1 if rejected else 0


def prepare(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from crypto.keyfile import read_signing_key
    from tally.station import ImportRejected, TallyStation

    try:
        _, key = read_signing_key(Path(args.tally_key), "tally")
        index = TallyStation(Path(args.workspace)).prepare(Path(args.out), key)
    except (CryptoError, ImportRejected, OSError) as exc:
        return _fail(str(exc))
    print(
        f"pre-decryption record written to {args.out}/ ({len(index.files)} files): "
        "each trustee runs `refvote trustee decrypt --record` on it"
    )
    return 0


def decrypt(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError, TrusteeFault
    from tally.station import ImportRejected, TallyStation

    station = TallyStation(Path(args.workspace))
    files: list[Path] = []
    for m in args.media:
        p = Path(m)
        files += sorted((p / "outbox" / "shares").glob("*.json")) if p.is_dir() else [p]
    for path in files:
        try:
            t = station.accept_shares(path.read_bytes())
        except TrusteeFault as fault:
            print(f"  {path}: trustee {fault.trustee} REFUSED: {fault.reason}")
        except (ImportRejected, CryptoError, OSError) as exc:
            print(f"  {path}: REFUSED: {exc}")
        else:
            print(f"  trustee {t}: every share's proof verified")
    k = station.package.joint_key.k
    valid = sorted(station.shares())
    print(f"valid shares from trustees {valid or 'none'}; k = {k}")
    if len(valid) < k:
        return _fail(f"{k - len(valid)} more trustee(s) needed before the count can be decrypted")
    return 0


def publish(args: argparse.Namespace) -> int:
    from ballots.package import verify_package
    from crypto.errors import CryptoError
    from crypto.hashing import file_fingerprint, group_for_reading
    from crypto.keyfile import read_signing_key
    from tally.reports import ReportContext, ReportError, write_reports
    from tally.station import ImportRejected, TallyStation
    from tally.verify import verify_record

    out = Path(args.out)
    try:
        _, key = read_signing_key(Path(args.tally_key), "tally")
        station = TallyStation(Path(args.workspace))
        with Progress("dlog table", 256) as bar:
            _, results = station.publish(out, key, bar.advance)
        package = verify_package(out / "package")
        fingerprint = file_fingerprint((out / "index.json").read_bytes())
        names = {t.index: t.name for t in package.joint_key.params.trustees}
        reports = Path(args.reports) if args.reports else out.with_name(out.name + "-reports")
        written = write_reports(
            ReportContext(
                package.definition,
                results,
                package.public.manifest_hash,
                fingerprint,
                names,
                args.official,
            ),
            reports,
        )
    except (CryptoError, ImportRejected, ReportError, OSError) as exc:
        return _fail(str(exc))
    for t, reason in sorted(station.left_out.items()):
        print(f"  trustee {t}'s shares left out of the record: {reason}")
    print(f"election record written to {out}/, fingerprint {group_for_reading(fingerprint)}")
    print(f"reports: {len(written)} files in {reports}/")
    for qid, o in results.outcomes:
        case = package.definition.question(qid).case_number
        print(
            f"  {case}: yes {o.yes:,}  no {o.no:,}  threshold {o.threshold:,}  "
            f"{'PASSED' if o.passed else 'FAILED'}"
        )
    print("verifying the record as anyone will:")
    return 0 if verify_record(out, None) else 1


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
