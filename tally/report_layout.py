"""Page layout shared by every official report: A4, CJK font, running header, page numbers,
TEST watermark, the record fingerprint's QR code, tables and the yes/no chart.

- Every page carries the running header (report title, TEST or OFFICIAL banner, referendum
  ID) and 第 n 頁／共 m 頁: the pages are kept until the document ends (`_PagedCanvas`) so the
  total is known when the numbers are drawn.
- TEST reports carry a large diagonal 測試 TEST watermark under the content of every page.
- PDFs declare /Lang zh-TW and a descriptive /Title shown by viewers (DisplayDocTitle).
  reportlab 5 writes no structure tree, so the PDFs are not tagged: that needs another
  library (decisions.md, "Official reports (issue 11)").
- Every text is at least 10 pt; figures are right aligned in columns wide enough for
  11,042,795 at 10 pt.
- The chart reads in greyscale and without colour vision: yes is a dark solid bar, no a light
  hatched one (luminance apart by more than half the scale), each bar labelled with its
  figure; a title and a legend name them.

reportlab embeds TrueType fonts only; Debian's fonts-arphic-uming (uming.ttc, subfont 0)
renders the Chinese. Noto CJK (CFF outlines) cannot be embedded.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.files import write_atomic
from crypto.hashing import group_for_reading

FONT_PATH = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
FONT = "UMing"
MIN_SIZE = 10
YES_COLOUR = "#1b4f8a"  # dark blue: grey ≈ 70 of 255
NO_COLOUR = "#f6c28b"  # light orange: grey ≈ 203 of 255, with dark hatching
HATCH_COLOUR = "#7a4a10"
WATERMARK = "測試 TEST"
WATERMARK_GREY = 0.88  # lighter than the no bars (≈ 0.80) and far from the yes bars


class ReportError(Exception):
    pass


def register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    if not FONT_PATH.is_file():
        raise ReportError(
            f"{FONT_PATH} is missing: install Debian's fonts-arphic-uming (make installs it)"
        )
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))


def styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4),
        "heading": ParagraphStyle(
            "heading", fontName=FONT, fontSize=12, leading=16, spaceBefore=8, keepWithNext=1
        ),
        "sub": ParagraphStyle("sub", fontName=FONT, fontSize=MIN_SIZE, leading=14),
        "keep": ParagraphStyle(
            "keep", fontName=FONT, fontSize=MIN_SIZE, leading=14, keepWithNext=1
        ),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=MIN_SIZE, leading=13),
        "head": ParagraphStyle("head", fontName=FONT, fontSize=MIN_SIZE, leading=12, alignment=1),
    }


@dataclass(frozen=True)
class PageFrame:
    """What every page of one report repeats."""

    title: str  # e.g. 全國彙總表 National summary
    banner: str  # TEST or OFFICIAL label
    referendum_id: str
    test: bool
    landscape: bool = False


def _paged_canvas(frame: PageFrame):  # type: ignore[no-untyped-def]
    from reportlab.pdfgen.canvas import Canvas

    class _PagedCanvas(Canvas):
        """Keeps each page until the end, then draws 第 n 頁／共 m 頁 and the header on all."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, page in enumerate(self._pages, 1):
                self.__dict__.update(page)
                _draw_frame(self, frame, number, total)
                super().showPage()
            super().save()

    return _PagedCanvas


def _draw_frame(canvas: Any, frame: PageFrame, number: int, total: int) -> None:
    width, height = canvas._pagesize
    canvas.saveState()
    canvas.setFont(FONT, MIN_SIZE)
    canvas.drawString(36, height - 24, frame.title)
    canvas.drawCentredString(width / 2, height - 24, frame.banner)
    canvas.drawRightString(width - 36, height - 24, frame.referendum_id)
    canvas.setLineWidth(0.5)
    canvas.line(36, height - 29, width - 36, height - 29)
    canvas.drawCentredString(width / 2, 18, f"第 {number} 頁／共 {total} 頁")
    canvas.restoreState()


def _draw_watermark(canvas: Any, doc: Any) -> None:
    width, height = canvas._pagesize
    canvas.saveState()
    canvas.setFillColorRGB(WATERMARK_GREY, WATERMARK_GREY, WATERMARK_GREY)
    canvas.setFont(FONT, 110)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(35)
    # Marked as an artifact whose actual text is empty: text extraction and screen readers
    # skip it (the running header already says 測試 TEST in words).
    canvas._code.append("/Artifact <</Type /Pagination /Subtype /Watermark>> BDC")
    canvas._code.append("/Span <</ActualText ()>> BDC")
    canvas.drawCentredString(0, -40, WATERMARK)
    canvas._code.append("EMC EMC")
    canvas.restoreState()


def build(path: Path, frame: PageFrame, pdf_title: str, story: list[Any]) -> None:
    """Render in memory, then write atomically: never a 0-byte or truncated PDF."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import SimpleDocTemplate

    rl_config.useA85 = 0  # binary (zlib) streams, not ASCII85 on top: smaller and faster
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if frame.landscape else A4,
        leftMargin=36,
        rightMargin=36,
        topMargin=42,
        bottomMargin=36,
        title=pdf_title,
        subject=frame.banner,
        author="refvote",
        lang="zh-TW",
        displayDocTitle=True,
    )
    on_page = _draw_watermark if frame.test else (lambda canvas, doc: None)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=_paged_canvas(frame))
    write_atomic(path, buffer.getvalue())


def table(
    rows: list[list[Any]],
    widths: Sequence[float],
    header_rows: int = 1,
    numeric_from: int = 1,
    bold_rows: Sequence[int] = (),
) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    t = Table(rows, colWidths=widths, repeatRows=header_rows)
    commands: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), MIN_SIZE),
        ("LEADING", (0, 0), (-1, -1), 12),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e8e8e8")),
        ("ALIGN", (numeric_from, header_rows), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for row in bold_rows:
        commands.append(("BACKGROUND", (0, row), (-1, row), colors.HexColor("#f3f3f3")))
    t.setStyle(TableStyle(commands))
    return t


def fingerprint_lines(labelled: Sequence[tuple[str, str]], style: Any) -> list[Any]:
    """Each fingerprint on its own line, with its label."""
    from reportlab.platypus import Paragraph

    return [Paragraph(f"{label}：{value}", style) for label, value in labelled]


def record_qr(record_fingerprint: bytes, style: Any):  # type: ignore[no-untyped-def]
    """The record fingerprint as a QR code (64 hex digits), and how it relates to the groups."""
    from reportlab.platypus import Paragraph, Table, TableStyle

    drawing = qr_drawing(record_fingerprint.hex(), 92)
    groups = group_for_reading(record_fingerprint)
    text = Paragraph(
        f"公投紀錄指紋 Record fingerprint：{groups}<br/>"
        f"QR 碼內是同一指紋的完整 64 位十六進位值（{record_fingerprint.hex()}）；"
        f"朗讀用的四組字元 {groups} 是其前 10 位元組的 base32，"
        "refvote verify 在 V3 行印出相同的四組。"
        " The QR code holds the full fingerprint in hex; the four groups read aloud are the"
        " base32 of its first 10 bytes, as `refvote verify` prints them.",
        style,
    )
    t = Table([[drawing, text]], colWidths=(100, None))
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return t


@functools.lru_cache(maxsize=4)
def qr_drawing(text: str, size: float):  # type: ignore[no-untyped-def]
    """`text` as a QR code (segno, error correction M, 4-module quiet zone) of `size` points.

    One path of a rectangle per run of dark modules in a row: one drawing node, not one per
    module (reportlab's own QR widget makes thousands, and costs a tenth of a second a page).
    """
    import segno
    from reportlab.graphics.shapes import Drawing, Path
    from reportlab.lib import colors

    code = segno.make(text, error="m", micro=False)
    rows = [list(row) for row in code.matrix]
    n = len(rows) + 8
    unit = size / n
    path = Path(fillColor=colors.black, strokeColor=None)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            left, top = (start + 4) * unit, size - (y + 4) * unit
            path.moveTo(left, top)
            path.lineTo((x + 4) * unit, top)
            path.lineTo((x + 4) * unit, top - unit)
            path.lineTo(left, top - unit)
            path.closePath()
    drawing = Drawing(size, size)
    drawing.add(path)
    return drawing


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. 第17案
    yes: int
    no: int


def yes_no_chart(title: str, bars: Sequence[Bar], threshold: int | None, width: float = 520):  # type: ignore[no-untyped-def]
    """Horizontal yes / no bars per case, each labelled with its figure; the Art. 29 threshold
    as a dashed line when given. Readable in greyscale: solid dark yes, hatched light no."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    rows = max(len(bars), 1)
    gap, left, right = 14, 62, 150
    # At most a landscape page's height (480 pt): many cases get thinner bars, never < 12 pt.
    bar_h = max(12.0, min(16.0, ((480 - 78) / rows - gap) / 2))
    plot_h = rows * (2 * bar_h + gap)
    height = plot_h + 78
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 14, title, fontName=FONT, fontSize=12))
    top = max([threshold or 0, *(max(b.yes, b.no) for b in bars), 1])
    scale = (width - left - right) / top
    yes_fill, no_fill = colors.HexColor(YES_COLOUR), colors.HexColor(NO_COLOUR)
    hatch = colors.HexColor(HATCH_COLOUR)
    y = height - 30

    def label_x(value: int) -> float:
        # Right of the bar and of the threshold line, so no line crosses a figure.
        return left + max(value, threshold or 0) * scale + 4

    for b in bars:
        y -= bar_h
        drawing.add(String(0, y - bar_h / 2 + 4, b.label, fontName=FONT, fontSize=MIN_SIZE))
        drawing.add(
            Rect(left, y, max(b.yes * scale, 0.5), bar_h, fillColor=yes_fill, strokeColor=None)
        )
        drawing.add(
            String(label_x(b.yes), y + 4, f"同意 {b.yes:,}", fontName=FONT, fontSize=MIN_SIZE)
        )
        y -= bar_h
        w = max(b.no * scale, 0.5)
        drawing.add(Rect(left, y, w, bar_h, fillColor=no_fill, strokeColor=hatch, strokeWidth=0.5))
        _hatch(drawing, left, y, w, bar_h, hatch)
        drawing.add(
            String(label_x(b.no), y + 4, f"不同意 {b.no:,}", fontName=FONT, fontSize=MIN_SIZE)
        )
        y -= gap
    axis_bottom = y + gap - 4
    drawing.add(Line(left, axis_bottom, left, height - 26, strokeColor=colors.black))
    if threshold is not None:
        x = left + threshold * scale
        drawing.add(
            Line(x, axis_bottom, x, height - 26, strokeColor=colors.black, strokeDashArray=[4, 3])
        )
    # Legend.
    ly = 8
    drawing.add(Rect(0, ly, 14, 10, fillColor=yes_fill, strokeColor=None))
    drawing.add(String(18, ly + 1, "同意 Yes（深色實心）", fontName=FONT, fontSize=MIN_SIZE))
    drawing.add(Rect(150, ly, 14, 10, fillColor=no_fill, strokeColor=hatch, strokeWidth=0.5))
    _hatch(drawing, 150, ly, 14, 10, hatch)
    drawing.add(String(168, ly + 1, "不同意 No（淺色斜線）", fontName=FONT, fontSize=MIN_SIZE))
    if threshold is not None:
        drawing.add(
            Line(310, ly + 5, 330, ly + 5, strokeColor=colors.black, strokeDashArray=[4, 3])
        )
        drawing.add(
            String(
                334,
                ly + 1,
                f"門檻（投票權人總額四分之一）{threshold:,}",
                fontName=FONT,
                fontSize=MIN_SIZE,
            )
        )
    return drawing


def _hatch(drawing: Any, x: float, y: float, w: float, h: float, colour: Any) -> None:
    """Diagonal lines 6 pt apart, clipped to the rectangle (x, y, w, h), as one path."""
    from reportlab.graphics.shapes import Path

    path = Path(strokeColor=colour, strokeWidth=0.6, fillColor=None)
    k = -h
    while k < w:
        x0, y0, x1, y1 = x + k, y, x + k + h, y + h
        if x0 < x:
            y0, x0 = y + (x - x0), x
        if x1 > x + w:
            y1, x1 = y1 - (x1 - (x + w)), x + w
        if x0 < x1:
            path.moveTo(x0, y0)
            path.lineTo(x1, y1)
        k += 6.0
    drawing.add(path)
