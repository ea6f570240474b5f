"""`refvote tally …`: the air-gapped tally station."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from refvote.messages import refuse, say, t
from refvote.passphrase import PassphraseUnavailable, read_passphrases
from refvote.progress import Progress

if TYPE_CHECKING:
    from tally.station import ImportRejected, ImportResult, TallyStation
    from tally.verify import Runner

MAX_DEFINITION_BYTES = 16 << 20
PARALLEL_REPORTS_FROM = 64  # stations


def _fail(todo: str, detail: object = None, code: int = 1, **values: object) -> int:
    """A refusal: what to do (catalog key `todo`), then the detail."""
    return refuse("tally", todo, detail, code, **values)


def _tally_key(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The tally key: a demo file, or a sealed production key opened with its passphrase."""
    from refvote.passphrase import open_signing_key

    path = Path(args.tally_key)
    return open_signing_key(path, "tally", args.passphrase_file, t("key.prompt", path=path)).key


def _read_definition(path: str):  # type: ignore[no-untyped-def]
    from ballots.definition import Definition
    from crypto.files import read_file

    return Definition.from_json(read_file(Path(path), MAX_DEFINITION_BYTES))


# Errors a workspace command reports as one line (each names its path or its cause).
def _station_errors(*more: type[Exception]) -> tuple[type[Exception], ...]:
    from crypto.errors import CryptoError
    from tally.station import ImportRejected, WorkspaceDamaged, WrongTallyKey

    return (
        CryptoError,
        ImportRejected,
        WorkspaceDamaged,
        WrongTallyKey,
        OSError,
        PassphraseUnavailable,
        *more,
    )


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
                return _fail("tally.trustee_arg", code=2, item=item)
            trustees.append((name, read_public_key(Path(path), "trustee")[1]))
        params = open_ceremony(Path(args.out), definition.manifest_hash(), args.k, trustees)
    except (CryptoError, OSError) as exc:
        return _fail("tally.ceremony.open_refused", exc)
    say("tally.ceremony.opened", out=args.out, referendum=definition.referendum_id)
    for line in describe(params):
        print(f"  {line}")
    say("tally.ceremony.read_aloud")
    return 0


def ceremony_collect(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.ceremony import collect

    try:
        report = collect(Path(args.ceremony), [Path(m) for m in args.media])
    except (CryptoError, OSError) as exc:
        return _fail("tally.ceremony.collect_refused", exc)
    for name in report.accepted:
        say("tally.ceremony.accepted_file", name=name)
    say("tally.ceremony.collected", accepted=len(report.accepted), unchanged=report.unchanged)
    say("tally.ceremony.status", status=report.status)
    if report.joint is not None:
        from crypto.hashing import group_for_reading

        say("tally.joint_key", key=group_for_reading(report.joint.public_key.point.to_bytes()))
        say("tally.base", base=group_for_reading(report.joint.base))
    return 1 if report.named is not None else 0


def ceremony_restart(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from tally.ceremony import describe, restart

    try:
        params = restart(Path(args.ceremony), Path(args.out), set(args.exclude))
    except (CryptoError, OSError) as exc:
        return _fail("tally.ceremony.restart_refused", exc)
    say("tally.ceremony.restarted", out=args.out, excluded=", ".join(map(str, args.exclude)))
    for line in describe(params):
        print(f"  {line}")
    return 0


def ceremony_rehearse(args: argparse.Namespace) -> int:
    from crypto.errors import CryptoError
    from crypto.hashing import group_for_reading
    from tally.ceremony import rehearse

    say("tally.ceremony.rehearsal")
    try:
        definition = _read_definition(args.definition)
        passphrases = read_passphrases(args.passphrase_file, "passphrase", args.n)
        with Progress(t("progress.ceremony"), 4 * args.n) as bar:
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
        return _fail("tally.ceremony.rehearse_refused", exc)
    say("tally.ceremony.rehearsed", k=args.k, n=args.n, out=args.out, media=args.media)
    say("tally.joint_key", key=group_for_reading(joint.public_key.point.to_bytes()))
    return 0


# The count -------------------------------------------------------------------------------


def init(args: argparse.Namespace) -> int:
    from ballots.errors import PackageError
    from ballots.package import key_fingerprint
    from tally.station import TallyStation

    try:
        verified = TallyStation(Path(args.workspace)).init(Path(args.package), args.authority)
    except _station_errors(PackageError) as exc:
        return _fail("tally.init_refused", exc)
    d = verified.definition
    say(
        "tally.init_done",
        workspace=args.workspace,
        referendum=d.referendum_id,
        stations=len(d.stations),
        booths=len(d.booth_ids()),
    )
    say("tally.init_pinned", fingerprint=key_fingerprint(verified.public.authority_key))
    say("tally.package_kind_official" if verified.public.official else "tally.package_kind_test")
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
        say("tally.import.rejected", path=path, detail=exc)
        return 1
    say(
        "tally.import.pollbook_added"
        if status.value == "added"
        else "tally.import.pollbook_unchanged",
        station=count.station_id,
        voted=count.voted,
    )
    return 0


def import_(args: argparse.Namespace) -> int:
    from tally.parallel import RunnerUnavailable, close_runner, runner_for
    from tally.station import TallyStation

    station = TallyStation(Path(args.workspace))
    try:
        runner = runner_for(getattr(args, "workers", None), getattr(args, "dask", None))
    except RunnerUnavailable as exc:
        return _fail("runner.unavailable", exc, 2)
    try:
        files = _media_files(args.media, ".json")
        if not files:
            return _fail("tally.import.none", code=2)
        with station.locked():
            rejected = _import_files(station, files, runner)
            missing = station.missing_booths()
    except _station_errors(RunnerUnavailable) as exc:
        return _fail("tally.import_refused", exc)
    finally:
        close_runner(runner)
    say(
        "tally.import.summary",
        accepted=len(files) - rejected,
        rejected=rejected,
        missing=len(missing),
    )
    return 1 if rejected else 0


def _import_files(station: TallyStation, files: list[Path], runner: Runner | None = None) -> int:
    from crypto.errors import CryptoError
    from crypto.files import read_file
    from tally.station import MAX_EXPORT_BYTES, ImportRejected, ImportStatus

    # The exports' own checks first, on the workers (in this process without a runner); then
    # each file in its order, as one import after another (TallyStation.import_many).
    checked: dict[Path, ImportResult | ImportRejected] = {}
    if runner is not None:
        readable: dict[Path, bytes] = {}
        for path in files:
            if not path.name.startswith("pollbook-"):
                with contextlib.suppress(CryptoError):  # reported again below, in order
                    readable[path] = read_file(path, MAX_EXPORT_BYTES)
        done = station.import_many(list(readable.values()), runner)
        checked = dict(zip(readable, done, strict=True))
    rejected = 0
    with Progress(t("progress.import"), len(files)) as bar:
        for path in files:
            if path.name.startswith("pollbook-"):  # `refvote station close` writes these
                rejected += _import_pollbook(station, path)
                bar.advance()
                continue
            try:
                if path in checked:
                    outcome = checked[path]
                    if isinstance(outcome, ImportRejected):
                        raise outcome
                    result = outcome
                else:
                    result = station.import_export(read_file(path, MAX_EXPORT_BYTES))
            except (ImportRejected, CryptoError) as exc:
                say("tally.import.rejected", path=path, detail=exc)
                rejected += 1
            else:
                say(
                    "tally.import.booth_added"
                    if result.status is ImportStatus.ADDED
                    else "tally.import.booth_unchanged",
                    booth=result.booth_id,
                    cast=result.cast,
                    challenged=result.challenged,
                    voided=result.voided,
                )
            bar.advance()
    return rejected


def prepare(args: argparse.Namespace) -> int:
    from tally.station import TallyStation

    try:
        key = _tally_key(args)
        index = TallyStation(Path(args.workspace)).prepare(Path(args.out), key)
    except _station_errors() as exc:
        return _fail("tally.prepare_refused", exc)
    say("tally.prepared", out=args.out, files=len(index.files))
    return 0


def combine_shares(args: argparse.Namespace) -> int:
    from tally.station import TallyStation

    station = TallyStation(Path(args.workspace))
    try:
        per_medium = [(m, _media_files([m], ".json", "outbox/shares")) for m in args.media]
        with station.locked():
            # Before any trustee's file is judged: is this the workspace the record came from?
            station.check_matches_prepared()
            for medium, files in per_medium:
                if not files:
                    say("tally.shares.medium_empty", medium=medium)
                _accept_files(station, files)
            k = station.package.joint_key.k
            valid = sorted(station.shares())
    except _station_errors() as exc:
        return _fail("tally.shares_refused", exc)
    say("tally.shares.valid", trustees=valid or t("tally.none"), k=k)
    if len(valid) < k:
        return _fail("tally.shares.more_needed", more=k - len(valid))
    say("tally.next.publish")
    return 0


def decrypt_renamed(args: argparse.Namespace) -> int:
    """`refvote tally decrypt`: renamed, so it is never confused with `trustee decrypt`."""
    return _fail("tally.decrypt_renamed", code=2)


def _accept_files(station: TallyStation, files: list[Path]) -> None:
    from crypto.errors import CryptoError, TrusteeFault
    from crypto.files import read_file
    from tally.station import MAX_SHARES_BYTES, ImportRejected

    for path in files:
        try:
            trustee = station.accept_shares(read_file(path, MAX_SHARES_BYTES))
        except TrusteeFault as fault:
            say(
                "tally.shares.trustee_refused",
                path=path,
                trustee=fault.trustee,
                reason=fault.reason,
            )
        except (ImportRejected, CryptoError) as exc:
            say("tally.shares.file_refused", path=path, detail=exc)
        else:
            say("tally.shares.accepted", trustee=trustee)


def publish(args: argparse.Namespace) -> int:
    from ballots.errors import PackageError
    from ballots.package import normalise_fingerprint
    from crypto.files import read_file
    from crypto.hashing import file_fingerprint, group_for_reading
    from tally.report_figures import reasons
    from tally.reports import MAX_TABLE_BYTES, ReportError, publish_context, write_reports
    from tally.station import TallyStation

    out = Path(args.out)
    reports = Path(args.reports) if args.reports else out.with_name(out.name + "-reports")
    station = TallyStation(Path(args.workspace))
    try:
        # The record is verified, and the site written, against the fingerprint read aloud
        # at `tally init` and pinned in the workspace: never the package's own key.
        pinned = station.pinned_authority()
        if pinned is None:
            return _fail("tally.publish.unpinned", workspace=args.workspace)
        if args.authority is not None and normalise_fingerprint(args.authority) != pinned:
            return _fail("tally.publish.other_authority", pinned=pinned)
        key = _tally_key(args)
        with station.locked():
            resumed = os.path.lexists(out)
            with Progress(t("progress.dlog"), 256) as bar:
                _, results = station.publish(out, key, bar.advance)
            # The reports come from the record as written (re-derived on a re-run).
            fingerprint = file_fingerprint(read_file(out / "index.json", MAX_TABLE_BYTES))
            package = station.package
            # Many stations: their reports in one process per core (spawning costs ~1 s each).
            many = len(package.definition.stations) >= PARALLEL_REPORTS_FROM
            written = write_reports(
                publish_context(out, package, results, fingerprint, package.public.official),
                reports,
                workers=(os.cpu_count() or 1) if many else 1,
            )
    except _station_errors(ReportError, PackageError) as exc:
        return _fail("tally.publish_refused", exc)
    for trustee, reason in sorted(station.left_out.items()):
        say("tally.publish.left_out", trustee=trustee, reason=reason)
    say(
        "tally.publish.record_checked" if resumed else "tally.publish.record_written",
        out=out,
        fingerprint=group_for_reading(fingerprint),
    )
    say(
        "tally.publish.official" if package.public.official else "tally.publish.test",
    )
    say("tally.publish.reports", count=len(written), reports=reports)
    for qid, o in results.outcomes:
        case = package.definition.question(qid).case_number
        say(
            "tally.publish.outcome",
            case=case,
            yes=o.yes,
            no=o.no,
            threshold=o.threshold,
            outcome=t("outcome.passed" if o.passed else "outcome.failed"),
            why=f"（{'；'.join(reasons(o))}）" if reasons(o) else "",
        )
    say("tally.publish.verifying", fingerprint=pinned)
    from tally.parallel import RunnerUnavailable, close_runner, runner_for
    from tally.site import SiteError, site_verifier, verified_from

    try:
        runner = runner_for(getattr(args, "workers", None), getattr(args, "dask", None))
    except RunnerUnavailable as exc:
        return _fail("runner.unavailable", exc, 2)
    try:
        try:  # one verification, for this check and for the site (tally.site.site_verifier)
            verifier = site_verifier(out, pinned, sys.stdout, runner)
        except SiteError as exc:
            return _fail("site.not_written", exc)
        if not verifier.run():
            return 1
    finally:
        close_runner(runner)
    from refvote.cmd_site import site_after_publish

    return site_after_publish(out, pinned, verified_from(verifier))


def rule(args: argparse.Namespace) -> int:
    from ballots.rule import article29

    try:
        o = article29(args.eligible, args.yes, args.no)
    except ValueError as exc:
        return _fail("rule.refused", exc, 2)
    if args.json:
        print(json.dumps(o.to_obj()))
        return 0
    say("outcome.passed" if o.passed else "outcome.failed")
    say("rule.threshold", n=f"{o.threshold:,}")
    say("rule.missing_threshold", n=f"{o.yes_missing_for_threshold:,}")
    say("rule.missing_majority", n=f"{o.yes_missing_for_majority:,}")
    if o.yes_missing_for_majority:
        say("rule.reason_majority")
    if o.yes_missing_for_threshold:
        say("rule.reason_threshold")
    return 0


def status(args: argparse.Namespace) -> int:
    """Where the count stands: booths sent and due by station (已送/應送), poll-book counts,
    the pre-decryption record, trustees' shares, and the next step. Reads only."""
    from refvote.messages import table
    from tally.station import PREPARED, TallyStation

    station = TallyStation(Path(args.workspace))
    try:
        package = station.package
        imported = station.imported()
        pollbook = station.pollbook_counts()
        shares = sorted(station.shares())
        prepared = (Path(args.workspace) / PREPARED).is_file()
    except _station_errors() as exc:
        return _fail("tally.status_refused", exc)
    d = package.definition
    say("tally.status.title", workspace=args.workspace, referendum=d.referendum_id)
    say("tally.package_kind_official" if package.public.official else "tally.package_kind_test")
    rows = []
    missing_all: list[str] = []
    for s in d.stations:
        missing = [b for b in s.booths if b not in imported]
        missing_all += missing
        rows.append(
            [
                s.station_id,
                s.name,
                s.county,
                s.township,
                f"{len(s.booths) - len(missing)}/{len(s.booths)}",
                t("tally.status.yes") if s.station_id in pollbook else t("tally.status.no"),
                ", ".join(missing),
            ]
        )
    header = [t(f"tally.status.col.{c}") for c in ("id", "name", "county", "township")]
    header += [t(f"tally.status.col.{c}") for c in ("booths", "pollbook", "missing")]
    for line in table(header, rows, frozenset({4})):
        print(f"  {line}")
    booths = len(d.booth_ids())
    say("tally.status.booths", sent=booths - len(missing_all), due=booths)
    say("tally.status.pollbooks", sent=len(pollbook), due=len(d.stations))
    k = package.joint_key.k
    say(
        "tally.status.shares",
        trustees=", ".join(map(str, shares)) or t("tally.none"),
        count=len(shares),
        k=k,
    )
    if missing_all:
        say("tally.next.import", missing=len(missing_all))
    elif not prepared:
        say("tally.next.prepare")
    elif len(shares) < k:
        say("tally.next.shares", more=k - len(shares))
    else:
        say("tally.next.publish")
    return 0
