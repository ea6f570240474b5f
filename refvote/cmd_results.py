"""`refvote results RECORD --authority FP [--level …] [--area …] [--csv|--json]`.

The results of a record, in the columns the Central Election Commission publishes, printed only
after the record has verified (every check of a final record, pinned to the authority key's
read-aloud fingerprint): nothing here is taken from a record that does not verify.

Columns, per case and area (`cec_rows`): 投票權人數 (eligible), 投票數 (ballots that took the
case = valid + invalid), 有效票數 (yes + no), 同意票數 and 不同意票數 with their share of the
valid votes, 無效票數（含空白） (blank and invalid), 投票率 (ballots / eligible), 有效同意票數對
投票權人數 (yes / eligible), and on the national rows the Art. 29 threshold (a quarter of the
eligible voters, rounded up) and the outcome, 通過 / 不通過, with the Act's reasons.

Exit status: 0 printed; 1 the record does not verify; 2 a usage error (no such area).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refvote.messages import refuse, say, t, table

if TYPE_CHECKING:
    from ballots.results import Total

COLUMNS = (
    "area",
    "case",
    "eligible",
    "ballots",
    "valid",
    "yes",
    "yes_pct",
    "no",
    "no_pct",
    "invalid",
    "turnout_pct",
    "yes_of_eligible_pct",
    "threshold",
    "outcome",
)
RIGHT = frozenset(range(2, 13))


@dataclass(frozen=True)
class CecRow:
    level: str
    area: str  # as results.json names it ("" for the nation; "county/township"; station_id)
    label: str  # as a person reads it
    question_id: str
    case: str
    eligible: int
    ballots: int
    valid: int
    yes: int
    no: int
    invalid: int
    threshold: int | None  # national rows only (Art. 29)
    passed: bool | None  # national rows only
    reasons: tuple[str, ...]  # catalog keys of the Act's reasons, when not passed


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "—"


def cec_rows(definition: Any, results: Any, level: str, area: str | None = None) -> list[CecRow]:
    """The rows of `level` (optionally of one area), in results.json's order."""
    outcomes = dict(results.outcomes)
    names = {s.station_id: s.name for s in definition.stations}
    rows = []
    for total in results.totals:
        if total.level != level:
            continue
        if area is not None and not _area_matches(total, area):
            continue
        q = definition.question(total.question_id)
        c = total.count
        national = level == "nation"
        o = outcomes[total.question_id] if national else None
        reasons: list[str] = []
        if o is not None and not o.passed:
            if o.yes_missing_for_majority:
                reasons.append("rule.reason_majority")
            if o.yes_missing_for_threshold:
                reasons.append("rule.reason_threshold")
        rows.append(
            CecRow(
                level,
                total.area,
                _label(total, names),
                total.question_id,
                q.case_number,
                total.eligible,
                c.ballots,
                c.yes + c.no,
                c.yes,
                c.no,
                c.blank,
                o.threshold if o is not None else None,
                o.passed if o is not None else None,
                tuple(reasons),
            )
        )
    return rows


def _area_matches(total: Total, area: str) -> bool:
    wanted = area.strip()
    return total.area == wanted or (
        total.level == "township" and total.area.split("/")[-1] == wanted
    )


def _label(total: Total, names: dict[str, str]) -> str:
    if total.level == "nation":
        return t("results.nation")
    if total.level == "station":
        return f"{total.area} {names.get(total.area, '')}".strip()
    return total.area.replace("/", " ")


def _cells(r: CecRow) -> list[str]:
    outcome = ""
    if r.passed is not None:
        outcome = t("outcome.passed" if r.passed else "outcome.failed")
    return [
        r.label,
        r.case,
        f"{r.eligible:,}",
        f"{r.ballots:,}",
        f"{r.valid:,}",
        f"{r.yes:,}",
        _pct(r.yes, r.valid),
        f"{r.no:,}",
        _pct(r.no, r.valid),
        f"{r.invalid:,}",
        _pct(r.ballots, r.eligible),
        _pct(r.yes, r.eligible),
        f"{r.threshold:,}" if r.threshold is not None else "—",
        outcome or "—",
    ]


def header() -> list[str]:
    return [t(f"results.col.{c}") for c in COLUMNS]


def print_table(rows: Sequence[CecRow]) -> None:
    for line in table(header(), [_cells(r) for r in rows], RIGHT):
        print(line)
    for r in rows:
        for reason in r.reasons:
            say("results.reason", case=r.case, reason=t(reason))


def _csv(rows: Sequence[CecRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header())
    for r in rows:
        writer.writerow(_cells(r))
    # UTF-8 with a byte-order mark: Excel on a zh-TW Windows machine opens it correctly.
    return "\ufeff" + out.getvalue()


def _json(rows: Sequence[CecRow]) -> str:
    items = []
    for r in rows:
        item = asdict(r)
        item["reasons"] = [t(k) for k in r.reasons]
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def verified_results(record: Path, authority: str) -> tuple[Any, Any, Any] | None:
    """(definition, results, verifier) of a final record that verifies; None (the checks'
    output on stderr) if it does not."""
    from ballots.record import Results, read_record_file
    from tally.verify import Verifier

    report = io.StringIO()
    verifier = Verifier(record, authority, report)
    if not verifier.run():
        sys.stderr.write(report.getvalue())
        return None
    package = verifier.state.package
    assert package is not None
    results = Results.from_json(read_record_file(record, "tally/results.json"))
    return package.definition, results, verifier


def results(args: argparse.Namespace) -> int:
    record = Path(args.record)
    if not record.is_dir():
        return refuse("results", "results.not_folder", code=2, folder=record)
    found = verified_results(record, args.authority)
    if found is None:
        return refuse("results", "results.not_verified", code=1)
    definition, res, _ = found
    rows = cec_rows(definition, res, args.level, args.area)
    if not rows:
        return refuse("results", "results.no_area", code=2, area=args.area, level=args.level)
    if args.csv:
        sys.stdout.write(_csv(rows))
    elif args.json:
        print(_json(rows))
    else:
        say(
            "results.title",
            referendum=definition.referendum_id,
            level=t(f"results.level.{args.level}"),
        )
        print_table(rows)
    return 0
