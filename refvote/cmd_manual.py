"""`refvote tally manual-count`: a lost booth's hand count (docs/operators.md §4, issue 11).

    refvote tally manual-count --workspace WS --booth ID --papers N --counts counts.csv \\
        --reason TEXT --authority-key authority.key.json [--out manual-ID.json]
    refvote tally manual-count --workspace WS --signed manual-ID.json

The first form signs the hand count with the election authority's key (its office, after the
public count of the box) and imports it; the second imports a count the authority signed
elsewhere. counts.csv has one row per question: `question_id,yes,no,blank,declined`.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from refvote.messages import h

MAX_CSV = 64 << 10


def register(tally_commands: argparse._SubParsersAction, lazy) -> None:  # type: ignore[type-arg,no-untyped-def]
    m = tally_commands.add_parser(
        "manual-count",
        help="a lost booth (export and mirror unreadable): import its box's signed hand count",
    )
    m.add_argument("--workspace", required=True, help="the tally station's workspace")
    m.add_argument("--signed", help="a hand count the authority already signed")
    m.add_argument("--booth", help="the booth whose box was counted by hand")
    m.add_argument("--papers", type=int, help="paper records counted in the box")
    m.add_argument("--counts", help="CSV: question_id,yes,no,blank,declined (one row a question)")
    m.add_argument("--reason", help="why neither the export nor its mirror could be read")
    m.add_argument("--authority-key", help="the election authority's signing key file")
    m.add_argument("--passphrase-file", help=h("key_passphrase_file"))
    m.add_argument("--out", help="also write the signed hand count here")
    m.set_defaults(run=lazy("refvote.cmd_manual:manual_count"))


def _fail(message: str, code: int = 1) -> int:
    print(f"refvote tally manual-count: {message}", file=sys.stderr)
    return code


def read_counts(path: Path) -> tuple:  # type: ignore[type-arg]
    """The CSV's rows as QuestionCounts, in file order (the signer checks the order)."""
    from ballots.manual_count import ManualCountError, QuestionCount
    from crypto.files import read_text

    rows = list(csv.DictReader(io.StringIO(read_text(path, MAX_CSV))))
    counts = []
    for n, row in enumerate(rows, 2):
        try:
            answers = ("yes", "no", "blank", "declined")
            values = [int(row[a].replace(",", "").strip()) for a in answers]
            if min(values) < 0:
                raise ValueError("a count is negative")
            counts.append(QuestionCount(row["question_id"].strip(), *values))
        except (KeyError, ValueError, AttributeError) as exc:
            raise ManualCountError(
                f"{path}: line {n}: {exc}; the columns are question_id,yes,no,blank,declined"
            ) from None
    return tuple(counts)


def manual_count(args: argparse.Namespace) -> int:
    from ballots.manual_count import MAX_MANUAL_FILE, ManualCount
    from crypto.files import read_file, write_atomic
    from refvote.cmd_tally import _station_errors
    from tally.station import TallyStation

    station = TallyStation(Path(args.workspace))
    signing = [args.booth, args.papers, args.counts, args.reason, args.authority_key]
    try:
        if args.signed is not None:
            if any(v is not None for v in signing):
                return _fail("give either --signed, or the count to sign (not both)", 2)
            data = read_file(Path(args.signed), MAX_MANUAL_FILE)
        else:
            if any(v is None for v in signing):
                return _fail(
                    "give --booth, --papers, --counts, --reason and --authority-key "
                    "(or --signed FILE)",
                    2,
                )
            from refvote.messages import t
            from refvote.passphrase import open_signing_key

            path = Path(args.authority_key)
            key = open_signing_key(
                path, "authority", args.passphrase_file, t("key.prompt", path=path)
            ).key
            pkg = station.package
            hand = ManualCount.sign(
                key,
                pkg.definition,
                pkg.public.base,
                args.booth,
                args.papers,
                args.reason,
                read_counts(Path(args.counts)),
            )
            if key.verify_key != pkg.public.authority_key:
                return _fail("the key given is not the authority key the election package names")
            data = hand.to_json()
        hand = station.import_manual_count(data)
        if args.out and not args.signed:  # written once the workspace took it, never before
            write_atomic(Path(args.out), data, replace=False)
        missing = station.missing_booths()
    except _station_errors() as exc:
        return _fail(str(exc))
    print(
        f"hand count of booth {hand.booth_id} (station {hand.station_id}) imported: "
        f"{hand.papers:,} papers; it replaces the booth's export and is marked on every report; "
        f"{len(missing)} booths still to import"
    )
    return 0
