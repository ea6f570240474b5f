"""Official reports as the Central Election Commission publishes them: PDF (zh-TW with English),
CSV and JSON, derived from a published election record.

- station-<station_id>.pdf: 投開票所開票報告表: every case's CEC columns and 不領取, the
  station's 投票人數 and 已領未投 (its poll-book count), each booth's cast, challenged and voided
  ballots and close code, 開票時間 and 製表時間, signature lines for the central tally.
- summary-national.pdf: 全國彙總表: the national figures and the Art. 29 outcome of each case.
- summary-county.pdf, summary-township.pdf, summary-station.pdf: per case, the counties; per
  county and case, the townships; per township and case, the stations (the CEC's lists).
- results.csv (UTF-8 with BOM, for Excel on zh-TW Windows) and results.json: every area's
  figures in the same columns, the outcomes, and each station's booths.

Every PDF repeats the full 主文 of each case, Art. 29 verbatim with both conditions, outcome
and reason line, each fingerprint on its own line, the record fingerprint's QR code, and the
running header and page numbers of tally/report_layout.py. The columns are
tally/report_figures.COLUMNS, one list for the PDFs, the CSV and the JSON.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ballots.definition import Definition
from ballots.export import BoothExport
from ballots.package import VerifiedPackage
from ballots.pollbook_count import PollBookCount
from ballots.record import Results, booth_path, pollbook_path, read_record_file
from ballots.results import Total
from crypto.errors import CryptoError
from crypto.files import read_file, staged_folder, write_atomic
from crypto.hashing import group_for_reading
from tally.report_figures import (
    ARTICLE_29,
    ARTICLE_29_CITATION,
    COLUMNS,
    LEVEL_NAMES,
    OFFICIAL_LABEL,
    TEST_LABEL,
    Figures,
    area_name,
    conditions,
    outcome_word,
    reasons,
    roc_date,
    roc_time,
)
from tally.report_layout import (
    FONT,
    Bar,
    PageFrame,
    ReportError,
    build,
    fingerprint_lines,
    record_qr,
    register_font,
    styles,
    table,
    yes_no_chart,
)

__all__ = [
    "MAX_TABLE_BYTES",
    "BoothLine",
    "ReportContext",
    "ReportError",
    "StationPollBook",
    "publish_context",
    "record_details",
    "report_names",
    "write_reports",
]

MAX_TABLE_BYTES = 256 << 20
AREA_WIDTH = 100
NUMBER_WIDTH = 64
PERCENT_WIDTH = 50


@dataclass(frozen=True)
class BoothLine:
    """One booth's line on its station's report, from its export in the record."""

    booth_id: str
    station_id: str
    cast: int
    challenged: int
    voided: int
    close: bytes
    note: str = ""  # printed in the 備註 column (e.g. a manual count of the paper records)

    @classmethod
    def of(cls, export: BoothExport, note: str = "") -> BoothLine:
        c = export.counts
        return cls(
            export.booth_id, export.station_id, c.cast, c.challenged, c.voided, export.close, note
        )


@dataclass(frozen=True)
class StationPollBook:
    """What a station's poll-book count adds to its report."""

    voted: int
    checked_in_not_cast: int  # 已領未投


@dataclass(frozen=True)
class ReportContext:
    definition: Definition
    results: Results
    manifest_hash: bytes
    record_fingerprint: bytes  # H("file", index.json)
    trustee_names: dict[int, str]
    official: bool
    booths: tuple[BoothLine, ...] = ()  # every booth, definition order; () if not known
    pollbook: Mapping[str, StationPollBook] = field(default_factory=dict)  # by station_id
    counted_at: datetime.datetime | None = None  # 開票時間: when the record was written
    tabulated_at: datetime.datetime | None = None  # 製表時間: when these reports were made

    @property
    def label(self) -> str:
        return OFFICIAL_LABEL if self.official else TEST_LABEL


def record_details(
    record: Path, definition: Definition, notes: Mapping[str, str] | None = None
) -> tuple[tuple[BoothLine, ...], dict[str, StationPollBook]]:
    """The booths' lines and the stations' poll-book figures, read from a published record.

    `notes` (booth_id → text) is printed against a booth, e.g. a manual count's marker.
    The record was verified (or just written) by the caller; the files are read again here
    so the reports come from the record as published.
    """
    notes = notes or {}
    booths = []
    pollbook = {}
    try:
        for station in definition.stations:
            for booth_id in station.booths:
                data = read_record_file(record, booth_path(booth_id))
                export = BoothExport.from_json(data, booth_path(booth_id))
                booths.append(BoothLine.of(export, notes.get(booth_id, "")))
            path = pollbook_path(station.station_id)
            if os.path.lexists(record / path):
                count = PollBookCount.from_json(read_record_file(record, path), path)
                pollbook[station.station_id] = StationPollBook(
                    count.voted, count.checked_in_not_cast
                )
    except CryptoError as exc:
        raise ReportError(f"{record}: {exc}") from None
    return tuple(booths), pollbook


def publish_context(
    record: Path,
    package: VerifiedPackage,
    results: Results,
    record_fingerprint: bytes,
    official: bool,
    notes: Mapping[str, str] | None = None,
) -> ReportContext:
    """The context of the reports of a record just published (or found complete on a re-run).

    開票時間 is when the record was written (its index.json's modification time: the record
    itself holds no clock reading); 製表時間 is now.
    """
    booths, pollbook = record_details(record, package.definition, notes)
    try:
        written = os.stat(record / "index.json").st_mtime
    except OSError as exc:
        raise ReportError(f"{record / 'index.json'}: {exc.strerror}") from None
    return ReportContext(
        package.definition,
        results,
        package.public.manifest_hash,
        record_fingerprint,
        {t.index: t.name for t in package.joint_key.params.trustees},
        official,
        booths,
        pollbook,
        datetime.datetime.fromtimestamp(written, datetime.UTC),
        datetime.datetime.now(datetime.UTC),
    )


# Parts shared by the reports --------------------------------------------------------------


def e(text: str) -> str:
    """Text from the definition or the record as Paragraph markup: printed as it is, never
    read as markup (a 主文 with "<" or "&" must not break or restyle a report)."""
    return escape(text)


def _frame(ctx: ReportContext, title: str) -> PageFrame:
    banner = OFFICIAL_LABEL if ctx.official else "測試 TEST"
    return PageFrame(title, banner, ctx.definition.referendum_id, not ctx.official, True)


def _opening(ctx: ReportContext, title_zh: str, title_en: str, s: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import Paragraph, Spacer

    d = ctx.definition
    story: list[Any] = [
        Paragraph(f"{e(d.title_zh)} {title_zh}", s["title"]),
        Paragraph(f"{e(d.title_en)} — {title_en}", s["sub"]),
        Paragraph(f"【{ctx.label}】", s["sub"]),
        Paragraph(f"投票日期：{roc_date(d.date)}（{d.date}）", s["sub"]),
    ]
    # A lost booth's box counted by hand (issue 11, V16): marked on every report.
    if ctx.results.manual_counts:
        story.append(
            Paragraph(
                f"含人工計票 Hand-counted booths: {e(', '.join(ctx.results.manual_counts))}",
                s["sub"],
            )
        )
    if ctx.counted_at is not None:
        story.append(Paragraph(f"開票時間：{roc_time(ctx.counted_at)}", s["sub"]))
    if ctx.tabulated_at is not None:
        story.append(Paragraph(f"製表時間：{roc_time(ctx.tabulated_at)}", s["sub"]))
    story += fingerprint_lines(
        [
            ("公投案定義指紋 Definition fingerprint", group_for_reading(ctx.manifest_hash)),
            ("公投紀錄指紋 Record fingerprint", group_for_reading(ctx.record_fingerprint)),
        ],
        s["sub"],
    )
    story.append(Spacer(1, 6))
    return story


def _main_texts(ctx: ReportContext, s: dict[str, Any]) -> list[Any]:
    """The full 主文 of every case (the legal wording; English only as marked)."""
    from reportlab.platypus import Paragraph

    story: list[Any] = [Paragraph("公投案主文 The questions", s["heading"])]
    for q in ctx.definition.questions:
        english = (
            f"{q.text_en}{'（非官方譯文 unofficial translation）' if q.english_unofficial else ''}"
        )
        main = f"{e(q.case_number)}主文：{e(q.text_zh)}"
        story.append(Paragraph(f"{main}<br/>{e(english)}", s["sub"]))
    return story


def _header_row(first: str, s: dict[str, Any], extra: Sequence[str] = ()) -> list[Any]:
    from reportlab.platypus import Paragraph

    heads = [first, *(f"{c.zh}{'<br/>(%)' if c.percentage else ''}" for c in COLUMNS), *extra]
    return [Paragraph(h, s["head"]) for h in heads]


def _widths(extra: int = 0) -> list[int]:
    return (
        [AREA_WIDTH]
        + [PERCENT_WIDTH if c.percentage else NUMBER_WIDTH for c in COLUMNS]
        + [NUMBER_WIDTH] * extra
    )


def _cells(total: Total) -> list[str]:
    f = Figures.of(total)
    return [c.cell(f) for c in COLUMNS]


def _article29(ctx: ReportContext, s: dict[str, Any]) -> list[Any]:
    """Art. 29 verbatim, then each case's national outcome: both conditions, result, reason."""
    from reportlab.platypus import Paragraph

    story: list[Any] = [
        Paragraph(f"全國結果（{ARTICLE_29_CITATION}） Outcomes under Art. 29", s["heading"]),
        Paragraph(f"{ARTICLE_29_CITATION}：「{ARTICLE_29}」", s["keep"]),
    ]
    rows: list[list[Any]] = [
        [Paragraph(h, s["head"]) for h in ("案號", "條件", "是否符合", "依據數字")]
    ]
    spans = []
    for qid, o in ctx.results.outcomes:
        case = ctx.definition.question(qid).case_number
        start = len(rows)
        for text, met, figures in conditions(o):
            rows.append(
                [
                    case,
                    Paragraph(text, s["cell"]),
                    "是" if met else "否",
                    Paragraph(figures, s["cell"]),
                ]
            )
        why = "；".join(reasons(o)) or "兩項條件均符合"
        rows.append([case, "結果", outcome_word(o), Paragraph(f"理由：{why}", s["cell"])])
        spans.append(("SPAN", (0, start), (0, len(rows) - 1)))
    t = table(rows, (60, 220, 60, 410), numeric_from=99)
    t.setStyle([*spans, ("VALIGN", (0, 0), (0, -1), "MIDDLE")])
    story.append(t)
    return story


def _national_chart(ctx: ReportContext) -> Any:
    national = {t.question_id: t for t in ctx.results.totals if t.level == "nation"}
    threshold = ctx.results.outcomes[0][1].threshold if ctx.results.outcomes else None
    bars = [
        Bar(ctx.definition.question(q).case_number, national[q].count.yes, national[q].count.no)
        for q in ctx.definition.question_ids()
    ]
    return yes_no_chart(
        "各案同意票數與不同意票數（全國） Yes and no votes, nation", bars, threshold, 700
    )


def _closing(ctx: ReportContext, s: dict[str, Any]) -> list[Any]:
    """Trustees, the QR code, and signature lines for the central tally's officials."""
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    names = "、".join(f"#{t} {ctx.trustee_names.get(t, '')}".strip() for t in ctx.results.quorum)
    signature = Table(
        [
            ["計票中心主管 Head of the tally centre", "", "監察人員 Supervisor", ""],
            ["製表人 Prepared by", "", "覆核人 Checked by", ""],
        ],
        colWidths=(190, 170, 150, 170),
        rowHeights=34,
    )
    signature.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("LINEBELOW", (1, 0), (1, -1), 0.5, "black"),
                ("LINEBELOW", (3, 0), (3, -1), 0.5, "black"),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return [
        Spacer(1, 8),
        Paragraph(f"解密受託人 Trustees who decrypted：{e(names)}", s["sub"]),
        Spacer(1, 6),
        record_qr(ctx.record_fingerprint, s["sub"]),
        KeepTogether(
            [
                Spacer(1, 8),
                Paragraph("本表由中央計票作業產製，以下由計票中心人員簽章。", s["sub"]),
                signature,
            ]
        ),
    ]


# The reports ----------------------------------------------------------------------------


def station_report(ctx: ReportContext, station_id: str, path: Path) -> None:
    from reportlab.platypus import Paragraph, Spacer

    s = styles()
    d = ctx.definition
    station = d.station(station_id)
    rows = [t for t in ctx.results.totals if t.level == "station" and t.area == station_id]
    booths = [b for b in ctx.booths if b.station_id == station_id]
    voters = sum(b.cast for b in booths) if booths else None
    story = _opening(ctx, "投開票所開票報告表", "Polling station result report", s)
    pollbook = ctx.pollbook.get(station_id)
    story += [
        Paragraph(
            e(
                f"投開票所：{station.station_id} {station.name}　"
                f"{station.county} {station.township}"
            ),
            s["sub"],
        ),
        Paragraph(
            f"投票人數 Voters：{voters:,}" if voters is not None else "投票人數 Voters：—", s["sub"]
        ),
        Paragraph(
            f"已領未投 Checked in, not cast：{pollbook.checked_in_not_cast:,}（依投票簿計數）"
            if pollbook is not None
            else "已領未投 Checked in, not cast：—（本所投票簿計數未附於紀錄）",
            s["sub"],
        ),
    ]
    story += _main_texts(ctx, s)
    header = _header_row("案號", s, ["不領取"])
    body = []
    for t in rows:
        took_not = voters - t.count.ballots if voters is not None else None
        body.append(
            [
                d.question(t.question_id).case_number,
                *_cells(t),
                "—" if took_not is None else f"{took_not:,}",
            ]
        )
    story += [
        Paragraph("各案開票結果 Results by case", s["heading"]),
        table([header, *body], _widths(1)),
        Paragraph(
            "投票數 ＝ 有效票數 ＋ 無效票數（含空白）；不領取該案公投票者不計入投票數。"
            "不領取 ＝ 投票人數 － 該案投票數。",
            s["sub"],
        ),
        Paragraph("投票機 Booths", s["heading"]),
        _booth_table(
            booths or [BoothLine(b, station_id, 0, 0, 0, b"") for b in station.booths],
            bool(booths),
            s,
        ),
        Spacer(1, 6),
        yes_no_chart(
            f"各案同意票數與不同意票數（{station.name}） Yes and no votes, this station",
            [Bar(d.question(t.question_id).case_number, t.count.yes, t.count.no) for t in rows],
            None,
            700,
        ),
    ]
    story += _article29(ctx, s)
    story += _closing(ctx, s)
    build(
        path,
        _frame(ctx, "投開票所開票報告表"),
        f"{d.title_zh} 投開票所開票報告表 {station.station_id} {station.name}",
        story,
    )


def _booth_table(booths: Sequence[BoothLine], known: bool, s: dict[str, Any]) -> Any:
    from reportlab.platypus import Paragraph

    rows: list[list[Any]] = [
        [
            Paragraph(h, s["head"])
            for h in ("投票機", "投入選票", "挑戰（驗證）", "作廢", "結束碼 Close code", "備註")
        ]
    ]
    for b in booths:
        rows.append(
            [
                b.booth_id,
                f"{b.cast:,}" if known else "—",
                f"{b.challenged:,}" if known else "—",
                f"{b.voided:,}" if known else "—",
                Paragraph("<br/>".join(_hex_lines(b.close)) if known else "—", s["cell"]),
                Paragraph(e(b.note), s["cell"]),
            ]
        )
    return table(rows, (100, 64, 70, 54, 290, 160), numeric_from=1)


def _hex_lines(data: bytes) -> list[str]:
    """Lowercase hex in groups of 4, eight a line: as the booth's closing report prints it."""
    text = data.hex()
    groups = [text[i : i + 4] for i in range(0, len(text), 4)]
    return [" ".join(groups[i : i + 8]) for i in range(0, len(groups), 8)]


def national_summary(ctx: ReportContext, path: Path) -> None:
    from reportlab.platypus import Paragraph, Spacer

    s = styles()
    d = ctx.definition
    story = _opening(ctx, "全國彙總表", "National summary", s)
    story += _main_texts(ctx, s)
    national = [t for t in ctx.results.totals if t.level == "nation"]
    story += [
        Paragraph("全國開票結果 National results", s["heading"]),
        table(
            [
                _header_row("案號", s),
                *[[d.question(t.question_id).case_number, *_cells(t)] for t in national],
            ],
            _widths(),
        ),
        Spacer(1, 8),
    ]
    story += _article29(ctx, s)
    story += [Spacer(1, 8), _national_chart(ctx)]
    story += _closing(ctx, s)
    build(path, _frame(ctx, "全國彙總表"), f"{d.title_zh} 全國彙總表", story)


def _areas(ctx: ReportContext, level: str) -> list[str]:
    seen: list[str] = []
    for t in ctx.results.totals:
        if t.level == level and t.area not in seen:
            seen.append(t.area)
    return seen


def _parent(ctx: ReportContext, level: str, area: str) -> tuple[str, str]:
    """The (level, area) whose total heads a list of `level` areas."""
    if level == "county":
        return "nation", ""
    if level == "township":
        return "county", area.split("/", 1)[0]
    station = ctx.definition.station(area)
    return "township", f"{station.county}/{station.township}"


def area_summary(ctx: ReportContext, level: str, path: Path) -> None:
    """Per parent area (nation, county or township) and case: its total, then its areas."""
    from reportlab.platypus import Paragraph

    s = styles()
    d = ctx.definition
    names = {
        "county": ("縣市彙總表", "Summary by county"),
        "township": ("鄉鎮市區彙總表", "Summary by township"),
        "station": ("投開票所彙總表", "Summary by polling station"),
    }
    title_zh, title_en = names[level]
    story = _opening(ctx, title_zh, title_en, s)
    story += _main_texts(ctx, s)
    story += _article29(ctx, s)
    story.append(_national_chart(ctx))
    by_key = {(t.level, t.area, t.question_id): t for t in ctx.results.totals}
    groups: dict[tuple[str, str], list[str]] = {}
    for area in _areas(ctx, level):
        groups.setdefault(_parent(ctx, level, area), []).append(area)
    for (parent_level, parent), areas in groups.items():
        for q in d.questions:
            where = "全國" if parent_level == "nation" else parent.replace("/", " ")
            head = by_key[(parent_level, parent, q.question_id)]
            rows = [[Paragraph(f"{e(where)}（合計）", s["cell"]), *_cells(head)]]
            for area in areas:
                t = by_key[(level, area, q.question_id)]
                label = area_name(level, area)
                if level == "station":
                    label = f"{area} {d.station(area).name}"
                rows.append([Paragraph(e(label), s["cell"]), *_cells(t)])
            story += [
                Paragraph(f"{e(where)}　{e(q.case_number)}：{e(q.text_zh)}", s["heading"]),
                table([_header_row(LEVEL_NAMES[level], s), *rows], _widths(), bold_rows=(1,)),
            ]
    story += _closing(ctx, s)
    build(path, _frame(ctx, title_zh), f"{d.title_zh} {title_zh}", story)


def county_summary(ctx: ReportContext, path: Path) -> None:
    area_summary(ctx, "county", path)


# Tables --------------------------------------------------------------------------------


def _plain(column_cell: str) -> str:
    """A CSV cell: digits without separators, percentages without the sign, "" for "—"."""
    return "" if column_cell == "—" else column_cell.replace(",", "").rstrip("%")


def write_tables(ctx: ReportContext, folder: Path) -> None:
    """results.csv (UTF-8 with BOM) and results.json: the PDFs' figures, every area and case."""
    d = ctx.definition
    keys = ["level", "area", "case_number", "question_id", *(c.key for c in COLUMNS)]
    heads = [
        "層級",
        "地區",
        "案號",
        "案件代碼",
        *(c.zh + ("(%)" if c.percentage else "") for c in COLUMNS),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"{h} {k}" for h, k in zip(heads, keys, strict=True)])
    rows = []
    for t in ctx.results.totals:
        f = Figures.of(t)
        cells = [_plain(c.cell(f)) for c in COLUMNS]
        case = d.question(t.question_id).case_number
        area = "全國" if t.level == "nation" else t.area
        writer.writerow([LEVEL_NAMES[t.level], area, case, t.question_id, *cells])
        row: dict[str, Any] = {
            "level": t.level,
            "area": t.area,
            "case_number": case,
            "question_id": t.question_id,
        }
        for c, cell in zip(COLUMNS, cells, strict=True):
            row[c.key] = (cell or None) if c.percentage else int(cell)
        rows.append(row)
    # The BOM tells Excel the file is UTF-8 (without it, zh-TW Windows reads it as Big5).
    write_atomic(folder / "results.csv", ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    outcomes = []
    for q, o in ctx.results.outcomes:
        outcomes.append(
            {
                "question_id": q,
                "case_number": d.question(q).case_number,
                "text_zh": d.question(q).text_zh,
                **o.to_obj(),
                "result": outcome_word(o),
                "reasons": reasons(o),
            }
        )
    stations = []
    for station in d.stations:
        booths = [b for b in ctx.booths if b.station_id == station.station_id]
        pollbook = ctx.pollbook.get(station.station_id)
        stations.append(
            {
                "station_id": station.station_id,
                "voters": sum(b.cast for b in booths) if booths else None,
                "checked_in_not_cast": pollbook.checked_in_not_cast if pollbook else None,
                "booths": [
                    {
                        "booth_id": b.booth_id,
                        "cast": b.cast,
                        "challenged": b.challenged,
                        "voided": b.voided,
                        "close": b.close.hex(),
                        "note": b.note,
                    }
                    for b in booths
                ],
            }
        )
    table_json = json.dumps(
        {
            "referendum_id": d.referendum_id,
            "date": d.date,
            "date_roc": roc_date(d.date),
            "status": "OFFICIAL" if ctx.official else "TEST",
            "label": ctx.label,
            "record_fingerprint": ctx.record_fingerprint.hex(),
            "article_29": ARTICLE_29,
            "totals": rows,
            "outcomes": outcomes,
            "stations": stations,
            "manual_counts": list(ctx.results.manual_counts),  # hand-counted booths (V16)
        },
        ensure_ascii=False,
        indent=1,
    )
    write_atomic(folder / "results.json", (table_json + "\n").encode("utf-8"))


def report_names(definition: Definition) -> list[str]:
    """The files of a complete set of reports, in the order they are written."""
    return [
        *(f"station-{s.station_id}.pdf" for s in definition.stations),
        "summary-station.pdf",
        "summary-township.pdf",
        "summary-county.pdf",
        "summary-national.pdf",
        "results.csv",
        "results.json",
    ]


def write_reports(ctx: ReportContext, folder: Path, workers: int = 1) -> list[Path]:
    """Write every report into `folder`, a new folder, whole or not at all.

    The reports are built in a staging folder unique to this process and renamed into place
    when complete (crypto.files.staged_folder). If `folder` already holds the complete
    reports of this same record (a re-run after a crash), it is left as it is; if it holds
    anything else, ReportError names it. `workers` > 1 writes the station reports in that
    many processes (about 0.3 s a station on one core; a country has ~17,000 stations).
    """
    register_font()
    names = report_names(ctx.definition)
    if os.path.lexists(folder):
        _check_existing(ctx, folder, names)
        return [folder / n for n in names]
    with staged_folder(folder) as staging:
        _station_reports(ctx, staging, workers)
        area_summary(ctx, "station", staging / "summary-station.pdf")
        area_summary(ctx, "township", staging / "summary-township.pdf")
        county_summary(ctx, staging / "summary-county.pdf")
        national_summary(ctx, staging / "summary-national.pdf")
        write_tables(ctx, staging)
    return [folder / n for n in names]


def _write_stations(ctx: ReportContext, staging: Path, station_ids: Sequence[str]) -> int:
    register_font()  # in a worker process too
    for station_id in station_ids:
        station_report(ctx, station_id, staging / f"station-{station_id}.pdf")
    return len(station_ids)


def _station_reports(ctx: ReportContext, staging: Path, workers: int) -> None:
    """Every station's report into `staging`, in `workers` processes when more than one.

    Workers are spawned, not forked: they inherit no open file (the workspace lock stays
    with this process alone) and a worker's error is raised here, as it would be serially.
    """
    ids = [s.station_id for s in ctx.definition.stations]
    workers = max(1, min(workers, len(ids)))
    if workers == 1:
        _write_stations(ctx, staging, ids)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            batches = [
                pool.submit(_write_stations, ctx, staging, ids[i::workers]) for i in range(workers)
            ]
            written = sum(batch.result() for batch in batches)
    except BrokenProcessPool:
        raise ReportError(
            "a process writing station reports stopped: run the same command again"
        ) from None
    if written != len(ids):  # pragma: no cover - each batch returns its own length
        raise ReportError("not every station report was written: run the same command again")


def _check_existing(ctx: ReportContext, folder: Path, names: list[str]) -> None:
    refuse = ReportError(
        f"{folder} already exists and is not the complete reports of this record: "
        "move it away, or give another --reports folder"
    )
    try:
        present = sorted(p.name for p in folder.iterdir())
        table_obj = json.loads(read_file(folder / "results.json", MAX_TABLE_BYTES))
    except (OSError, CryptoError, ValueError):
        raise refuse from None
    if present != sorted(names) or not isinstance(table_obj, dict):
        raise refuse
    if table_obj.get("record_fingerprint") != ctx.record_fingerprint.hex():
        raise refuse
