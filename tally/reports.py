"""Official reports: PDF (zh-TW with English, embedded CJK font), CSV and JSON.

- station-<station_id>.pdf: the station result report, modelled on the 投開票所開票報告表:
  per question the eligible voters, ballots, 同意, 不同意, blank (invalid), turnout; the
  definition and record fingerprints; the trustees who decrypted; signature lines.
- summary-county.pdf: per county and question.
- summary-national.pdf: national totals, the Art. 29 outcome of each question, a bar chart of
  同意 / 不同意 against the threshold line, and a QR code of the record fingerprint.
- results.csv / results.json: every total, at every level, and the outcomes.

reportlab embeds TrueType fonts only; Debian's fonts-arphic-uming (uming.ttc, subfont 0)
renders 第17案 / 同意 / 不同意. Noto CJK (CFF outlines) cannot be embedded.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballots.definition import Definition
from ballots.record import Results
from ballots.results import Total
from crypto.errors import CryptoError
from crypto.files import read_file, staged_folder, write_atomic
from crypto.hashing import group_for_reading

FONT_PATH = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
FONT = "UMing"
MAX_TABLE_BYTES = 256 << 20


class ReportError(Exception):
    pass


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    if not FONT_PATH.is_file():
        raise ReportError(
            f"{FONT_PATH} is missing: install Debian's fonts-arphic-uming (make installs it)"
        )
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))


@dataclass(frozen=True)
class ReportContext:
    definition: Definition
    results: Results
    manifest_hash: bytes
    record_fingerprint: bytes  # H("file", index.json)
    trustee_names: dict[int, str]
    official: bool


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "—"


def _styles():  # type: ignore[no-untyped-def]
    from reportlab.lib.styles import ParagraphStyle

    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4),
        "sub": ParagraphStyle("sub", fontName=FONT, fontSize=10, leading=14),
        "small": ParagraphStyle("small", fontName=FONT, fontSize=8, leading=11),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=11),
    }


def _table(
    rows: list[list[object]], widths: Sequence[float], header_rows: int = 1, numeric_from: int = 2
):  # type: ignore[no-untyped-def]
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e8e8e8")),
                ("ALIGN", (numeric_from, header_rows), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


HEADER = [
    "案號\nCase",
    "題目\nQuestion",
    "選舉人數\nEligible",
    "投票數\nBallots",
    "同意\nYes",
    "不同意\nNo",
    "無效(空白)\nBlank",
    "投票率\nTurnout",
]


def _row(definition: Definition, t: Total, cell) -> list[object]:  # type: ignore[no-untyped-def]
    from reportlab.platypus import Paragraph

    q = definition.question(t.question_id)
    c = t.count
    return [
        q.case_number,
        Paragraph(f"{q.short_title_zh}<br/>{q.short_title_en}", cell),
        f"{t.eligible:,}",
        f"{c.ballots:,}",
        f"{c.yes:,}",
        f"{c.no:,}",
        f"{c.blank:,}",
        _pct(c.ballots, t.eligible),
    ]


WIDTHS = (34, 150, 56, 50, 50, 50, 52, 48)


def _header(ctx: ReportContext, title_zh: str, title_en: str, styles) -> list[object]:  # type: ignore[no-untyped-def]
    from reportlab.platypus import Paragraph, Spacer

    d = ctx.definition
    banner = "正式 OFFICIAL" if ctx.official else "測試 TEST — 非正式結果 NOT AN OFFICIAL RESULT"
    return [
        Paragraph(f"{d.title_zh} {title_zh}", styles["title"]),
        Paragraph(f"{d.title_en} — {title_en}", styles["sub"]),
        Paragraph(f"[{banner}]", styles["sub"]),
        Paragraph(
            f"投票日 Polling day: {d.date} &nbsp; 公投案定義指紋 Definition fingerprint: "
            f"{group_for_reading(ctx.manifest_hash)} &nbsp; 選舉紀錄指紋 Record fingerprint: "
            f"{group_for_reading(ctx.record_fingerprint)}",
            styles["small"],
        ),
        # A lost booth's box counted by hand (issue 11, V16): marked on every report.
        *[
            Paragraph(f"含人工計票 Hand-counted booths: {', '.join(m)}", styles["sub"])
            for m in [ctx.results.manual_counts]
            if m
        ],
        Spacer(1, 6),
    ]


def _footer_trustees(ctx: ReportContext, styles) -> object:  # type: ignore[no-untyped-def]
    from reportlab.platypus import Paragraph

    names = ", ".join(f"#{t} {ctx.trustee_names.get(t, '')}".strip() for t in ctx.results.quorum)
    return Paragraph(f"解密受託人 Trustees who decrypted: {names}", styles["small"])


def _build(path: Path, story: list[Any]) -> None:
    """Render in memory, then write atomically: never a 0-byte or truncated PDF."""
    buffer = io.BytesIO()
    _doc(path, buffer).build(story)
    write_atomic(path, buffer.getvalue())


def _doc(path: Path, buffer: io.BytesIO):  # type: ignore[no-untyped-def]
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=36,
        rightMargin=36,
        topMargin=36,
        bottomMargin=36,
        title=path.stem,
        author="refvote",
    )


def station_report(ctx: ReportContext, station_id: str, path: Path) -> None:
    from reportlab.platypus import Paragraph, Spacer

    styles = _styles()
    station = ctx.definition.station(station_id)
    rows = [t for t in ctx.results.totals if t.level == "station" and t.area == station_id]
    story = _header(ctx, "投開票所開票報告表", "Polling station result report", styles)
    story += [
        Paragraph(
            f"投開票所 Station: {station.station_id} {station.name} &nbsp; "
            f"{station.county} {station.township} &nbsp; "
            f"投票機 Booths: {', '.join(station.booths)}",
            styles["sub"],
        ),
        Spacer(1, 6),
        _table([HEADER, *[_row(ctx.definition, t, styles["cell"]) for t in rows]], WIDTHS),
        Spacer(1, 8),
        Paragraph(
            "有效票 = 同意 + 不同意；空白票計為無效票。"
            "Valid = yes + no; blank ballots count as invalid. "
            "各案以領取該案公投票之人數計算投票數。"
            "Ballots count the voters who took that question.",
            styles["small"],
        ),
        Spacer(1, 6),
        _footer_trustees(ctx, styles),
        Spacer(1, 28),
    ]
    signature_rows = [
        ["主任管理員 Chief officer", "", "主任監察員 Chief supervisor", ""],
        ["管理員 Officer", "", "監察員 Supervisor", ""],
    ]
    from reportlab.platypus import Table, TableStyle

    sig = Table(signature_rows, colWidths=(120, 140, 120, 140), rowHeights=34)
    sig.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LINEBELOW", (1, 0), (1, -1), 0.5, "black"),
                ("LINEBELOW", (3, 0), (3, -1), 0.5, "black"),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    story.append(sig)
    _build(path, story)


def county_summary(ctx: ReportContext, path: Path) -> None:
    from reportlab.platypus import Paragraph, Spacer

    styles = _styles()
    story = _header(ctx, "縣市彙總表", "Summary by county", styles)
    counties = []
    for t in ctx.results.totals:
        if t.level == "county" and t.area not in counties:
            counties.append(t.area)
    for county in counties:
        rows = [t for t in ctx.results.totals if t.level == "county" and t.area == county]
        story += [
            Paragraph(county, styles["sub"]),
            _table([HEADER, *[_row(ctx.definition, t, styles["cell"]) for t in rows]], WIDTHS),
            Spacer(1, 8),
        ]
    _build(path, story)


def _chart(ctx: ReportContext):  # type: ignore[no-untyped-def]
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    national = {qid: o for qid, o in ctx.results.outcomes}
    qids = list(ctx.definition.question_ids())
    width, height = 520, 220
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 40, 430, 150
    chart.data = [[national[q].yes for q in qids], [national[q].no for q in qids]]
    top = max([national[q].threshold for q in qids] + [max(max(row) for row in chart.data), 1])
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.categoryNames = [ctx.definition.question(q).case_number for q in qids]
    chart.categoryAxis.labels.fontName = FONT
    chart.bars[0].fillColor = colors.HexColor("#2b7a3d")
    chart.bars[1].fillColor = colors.HexColor("#b03a2e")
    drawing.add(chart)
    # The Art. 29 threshold: the same for every question (a quarter of all eligible voters).
    threshold = national[qids[0]].threshold
    y = chart.y + chart.height * threshold / chart.valueAxis.valueMax
    drawing.add(
        Line(chart.x, y, chart.x + chart.width, y, strokeColor=colors.black, strokeDashArray=[4, 3])
    )
    drawing.add(String(chart.x + chart.width + 4, y - 3, "門檻", fontName=FONT, fontSize=8))
    legend = [("同意 Yes", chart.bars[0].fillColor), ("不同意 No", chart.bars[1].fillColor)]
    x = chart.x
    for label, colour in legend:
        drawing.add(Rect(x, 10, 9, 9, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 13, 11, label, fontName=FONT, fontSize=8))
        x += 80
    drawing.add(Line(x, 14, x + 18, 14, strokeColor=colors.black, strokeDashArray=[4, 3]))
    drawing.add(
        String(
            x + 22, 11, f"第29條門檻 Art. 29 threshold = {threshold:,}", fontName=FONT, fontSize=8
        )
    )
    return drawing


def national_summary(ctx: ReportContext, path: Path) -> None:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.platypus import Paragraph, Spacer

    styles = _styles()
    national = [t for t in ctx.results.totals if t.level == "nation"]
    story = _header(ctx, "全國彙總表", "National summary", styles)
    story += [
        _table([HEADER, *[_row(ctx.definition, t, styles["cell"]) for t in national]], WIDTHS),
        Spacer(1, 10),
        Paragraph(
            "公民投票法第29條：同意票數多於不同意票數，且同意票達投票權人總額四分之一以上者，即為通過。"
            "Art. 29: passes when yes &gt; no and yes ≥ ceil(eligible / 4).",
            styles["small"],
        ),
        Spacer(1, 6),
    ]
    outcome_rows: list[list[object]] = [
        [
            "案號\nCase",
            "門檻\nThreshold",
            "同意\nYes",
            "不同意\nNo",
            "結果\nOutcome",
            "尚差同意票\nYes votes missing",
        ]
    ]
    for qid, o in ctx.results.outcomes:
        outcome_rows.append(
            [
                ctx.definition.question(qid).case_number,
                f"{o.threshold:,}",
                f"{o.yes:,}",
                f"{o.no:,}",
                "通過 PASSED" if o.passed else "不通過 FAILED",
                f"{max(o.yes_missing_for_threshold, o.yes_missing_for_majority):,}",
            ]
        )
    story += [
        _table(outcome_rows, (60, 80, 80, 80, 90, 100), numeric_from=1),
        Spacer(1, 12),
        _chart(ctx),
        Spacer(1, 8),
    ]
    qr = QrCodeWidget(ctx.record_fingerprint.hex())
    qr.barWidth = qr.barHeight = 90
    drawing = Drawing(90, 90)
    drawing.add(qr)
    story += [
        drawing,
        Paragraph(
            f"選舉紀錄指紋 Record fingerprint (QR): {ctx.record_fingerprint.hex()}", styles["small"]
        ),
        Spacer(1, 6),
        _footer_trustees(ctx, styles),
    ]
    _build(path, story)


def write_tables(ctx: ReportContext, folder: Path) -> None:
    """results.csv and results.json: every total and outcome, the same numbers as the PDFs."""
    header = [
        "level",
        "area",
        "question_id",
        "case_number",
        "eligible",
        "ballots",
        "yes",
        "no",
        "blank",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    rows = []
    for t in ctx.results.totals:
        row = [
            t.level,
            t.area,
            t.question_id,
            ctx.definition.question(t.question_id).case_number,
            t.eligible,
            t.count.ballots,
            t.count.yes,
            t.count.no,
            t.count.blank,
        ]
        writer.writerow(row)
        rows.append(dict(zip(header, row, strict=True)))
    write_atomic(folder / "results.csv", buffer.getvalue().encode("utf-8"))
    outcomes = [
        {"question_id": q, "case_number": ctx.definition.question(q).case_number, **o.to_obj()}
        for q, o in ctx.results.outcomes
    ]
    table = json.dumps(
        {
            "record_fingerprint": ctx.record_fingerprint.hex(),
            "totals": rows,
            "outcomes": outcomes,
            "manual_counts": list(ctx.results.manual_counts),  # hand-counted booths (V16)
        },
        ensure_ascii=False,
        indent=1,
    )
    write_atomic(folder / "results.json", (table + "\n").encode("utf-8"))


def report_names(definition: Definition) -> list[str]:
    """The files of a complete set of reports, in the order they are written."""
    return [
        *(f"station-{s.station_id}.pdf" for s in definition.stations),
        "summary-county.pdf",
        "summary-national.pdf",
        "results.csv",
        "results.json",
    ]


def write_reports(ctx: ReportContext, folder: Path) -> list[Path]:
    """Write every report into `folder`, a new folder, whole or not at all.

    The reports are built in a staging folder unique to this process and renamed into place
    when complete (crypto.files.staged_folder). If `folder` already holds the complete
    reports of this same record (a re-run after a crash), it is left as it is; if it holds
    anything else, ReportError names it.
    """
    _register_font()
    names = report_names(ctx.definition)
    if os.path.lexists(folder):
        _check_existing(ctx, folder, names)
        return [folder / n for n in names]
    with staged_folder(folder) as staging:
        for station in ctx.definition.stations:
            station_report(ctx, station.station_id, staging / f"station-{station.station_id}.pdf")
        county_summary(ctx, staging / "summary-county.pdf")
        national_summary(ctx, staging / "summary-national.pdf")
        write_tables(ctx, staging)
    return [folder / n for n in names]


def _check_existing(ctx: ReportContext, folder: Path, names: list[str]) -> None:
    refuse = ReportError(
        f"{folder} already exists and is not the complete reports of this record: "
        "move it away, or give another --reports folder"
    )
    try:
        present = sorted(p.name for p in folder.iterdir())
        table = json.loads(read_file(folder / "results.json", MAX_TABLE_BYTES))
    except (OSError, CryptoError, ValueError):
        raise refuse from None
    if present != sorted(names) or not isinstance(table, dict):
        raise refuse
    if table.get("record_fingerprint") != ctx.record_fingerprint.hex():
        raise refuse
