"""The booth's poll reports: printed on the thermal printer and saved as PDF.

開機歸零報表 zero report (polls opening), 暫停投票報表 / 恢復投票報表 pause and resume reports,
關機結算報表 closing report. Each shows the TEST/OFFICIAL banner, the definition fingerprint
(manifest_hash, read-aloud form), station and booth, the software hash, the chain start (the
opening nonce, hex in groups) and on the closing report the close code, the counts, the event
log's head, the transition time and the print time, and signature lines for 主任管理員 and
主任監察員, so the closing report can be posted at the station door and photographed.

Counts only: how many checked in, cast, challenged, voided, checked in but not cast (已領未投),
card-less sessions, and per question how many cast ballots took or declined it. Never how
anyone answered: a booth's plaintext tally does not exist anywhere (the ballots are
encrypted), and the report has no field that could hold one.

A reprint is the same report with a later print time, marked 補印 REPRINT at its top and bottom.

The booth core fills a `BoothReport`; `report_job` lays it out as an ESC/POS job (the
`hardware.printer` layer turns text into Big5 or raster lines), `report_pdf` as an A4 PDF in
AR PL UMing (reportlab embeds TrueType fonts only: Debian's fonts-arphic-uming). The PDF font
registration repeats tally/reports.py's few lines on purpose: booth/ may not import tally/.
"""

from __future__ import annotations

import enum
import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from booth.paper import PieceKind
from crypto.hashing import FINGERPRINT_BYTES, file_fingerprint, fingerprint, group_for_reading
from hardware.printer.escpos import Align
from hardware.printer.job import Job, PrinterProfile

FONT_PATH = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
FONT = "UMing"
TAIWAN = timezone(timedelta(hours=8), "UTC+8")  # Taiwan keeps no daylight saving time
# The packages whose sources make up refvote (pyproject's packages.find).
SOURCE_PACKAGES = ("ballots", "booth", "crypto", "hardware", "refvote", "tally")
SIGNATURE_LINE = "_" * 30


class ReportError(Exception):
    """A report that cannot be made: its data is inconsistent, or the PDF font is missing."""


class ReportKind(enum.Enum):
    ZERO = "zero"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"


TITLES = {
    ReportKind.ZERO: ("開機歸零報表", "Zero report (polls opening)"),
    ReportKind.PAUSE: ("暫停投票報表", "Pause report"),
    ReportKind.RESUME: ("恢復投票報表", "Resume report"),
    ReportKind.CLOSE: ("關機結算報表", "Closing report"),
}
REPRINT = "補印 REPRINT"
NO_RESULTS = "本表不含開票結果 No vote totals on this report"


@dataclass(frozen=True)
class QuestionCount:
    """Over the cast ballots: how many took the question and how many declined it."""

    case_number: str
    short_title_zh: str
    taken: int
    declined: int


@dataclass(frozen=True)
class BoothCounts:
    checked_in: int  # sessions the poll book let through (card or one-time code)
    cast: int
    challenged: int
    voided: int
    not_cast: int  # 已領未投: checked in, no ballot cast
    card_less: int  # sessions opened with a poll worker's one-time code
    questions: tuple[QuestionCount, ...] = field(default_factory=tuple)

    def check(self) -> None:
        numbers = [self.checked_in, self.cast, self.challenged, self.voided, self.not_cast]
        numbers += [self.card_less] + [n for q in self.questions for n in (q.taken, q.declined)]
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
            raise ReportError("report counts are non-negative integers")
        if self.cast + self.not_cast != self.checked_in:
            raise ReportError(
                f"report counts disagree: cast {self.cast} + not cast {self.not_cast} "
                f"≠ checked in {self.checked_in}"
            )
        if self.card_less > self.checked_in:
            raise ReportError("report counts disagree: more card-less sessions than check-ins")
        for q in self.questions:
            if q.taken + q.declined != self.cast:
                raise ReportError(
                    f"report counts disagree: {q.case_number} taken {q.taken} + declined "
                    f"{q.declined} ≠ cast {self.cast}"
                )

    def is_zero(self) -> bool:
        return not (
            self.checked_in or self.cast or self.challenged or self.voided or self.not_cast
        ) and not (self.card_less or any(q.taken or q.declined for q in self.questions))


@dataclass(frozen=True)
class BoothReport:
    """Everything one report shows; the booth core fills it at the transition."""

    kind: ReportKind
    official: bool
    referendum_title_zh: str
    referendum_title_en: str
    manifest_hash: bytes
    station_id: str
    station_name: str
    booth_id: str
    software_hash: bytes
    opening_nonce: bytes  # the chain start, drawn at opening (PROTOCOL §5)
    close_code: bytes | None  # the chain's close, on the closing report only
    counts: BoothCounts
    log_head: bytes
    transition_time: datetime
    print_time: datetime
    reprint: bool = False

    def __post_init__(self) -> None:
        for name in ("manifest_hash", "software_hash", "opening_nonce", "log_head"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != FINGERPRINT_BYTES:
                raise ReportError(f"report: {name} must be {FINGERPRINT_BYTES} bytes")
        if (self.kind is ReportKind.CLOSE) != (self.close_code is not None):
            raise ReportError("report: the close code is on the closing report, and only there")
        if self.close_code is not None and len(self.close_code) != FINGERPRINT_BYTES:
            raise ReportError(f"report: close_code must be {FINGERPRINT_BYTES} bytes")
        for name in ("transition_time", "print_time"):
            if getattr(self, name).tzinfo is None:
                raise ReportError(f"report: {name} must carry its time zone")
        self.counts.check()
        if self.kind is ReportKind.ZERO and not self.counts.is_zero():
            raise ReportError("report: a zero report has every count zero")

    def reprinted(self, print_time: datetime) -> BoothReport:
        """The same report printed again later, marked 補印 REPRINT."""
        return replace(self, print_time=print_time, reprint=True)

    @property
    def banner(self) -> str:
        return "OFFICIAL 正式" if self.official else "TEST 測試"


def local_time(moment: datetime) -> str:
    return moment.astimezone(TAIWAN).strftime("%Y-%m-%d %H:%M:%S (UTC+8)")


def hex_lines(data: bytes) -> list[str]:
    """Lowercase hex in groups of 4, eight groups a line (32 bytes: two lines)."""
    text = data.hex()
    groups = [text[i : i + 4] for i in range(0, len(text), 4)]
    return [" ".join(groups[i : i + 8]) for i in range(0, len(groups), 8)]


def _identity(report: BoothReport) -> list[tuple[str, list[str]]]:
    """(label, value lines) of everything that identifies the report, in print order."""
    rows = [
        ("投開票所 Station", [f"{report.station_id} {report.station_name}"]),
        ("投票機 Booth", [report.booth_id]),
        ("公投案定義指紋 Definition fingerprint", [group_for_reading(report.manifest_hash)]),
        ("軟體指紋 Software hash", [group_for_reading(report.software_hash)]),
        ("鏈起點（開機亂數）Chain start (opening nonce)", hex_lines(report.opening_nonce)),
    ]
    if report.close_code is not None:
        rows.append(("結束碼 Close code", hex_lines(report.close_code)))
    rows.append(("事件紀錄末端 Event log head", hex_lines(report.log_head)))
    return rows


def _counts(counts: BoothCounts) -> list[tuple[str, int]]:
    return [
        ("報到 Checked in", counts.checked_in),
        ("已投票 Cast", counts.cast),
        ("挑戰（不計票）Challenged", counts.challenged),
        ("作廢 Voided", counts.voided),
        ("已領未投 Checked in, not cast", counts.not_cast),
        ("無卡投票 Card-less sessions", counts.card_less),
    ]


def _times(report: BoothReport) -> list[tuple[str, str]]:
    return [
        ("狀態轉換時間 Transition time", local_time(report.transition_time)),
        ("列印時間 Print time", local_time(report.print_time)),
    ]


SIGNERS = ("主任管理員 Chief officer", "主任監察員 Chief supervisor")


# Thermal paper ----------------------------------------------------------------------------------


def report_job(report: BoothReport, profile: PrinterProfile) -> Job:
    """The report as one ESC/POS job (one cut piece of 80 mm paper)."""
    title_zh, title_en = TITLES[report.kind]
    job = Job(profile).labelled(PieceKind.REPORT.value)
    job.text(report.banner, bold=True, scale=2, align=Align.CENTER)
    if report.reprint:
        job.text(REPRINT, bold=True, scale=2, align=Align.CENTER)
    job.text(title_zh, bold=True, scale=2, align=Align.CENTER)
    job.text(title_en, align=Align.CENTER)
    job.text(report.referendum_title_zh, align=Align.CENTER)
    job.feed()
    for label, values in _identity(report):
        job.text(label)
        for value in values:  # stroked (bold) CJK at this size smudges: bold for codes only
            job.text(value, bold=value.isascii(), align=Align.CENTER)
    job.feed()
    job.text("計數 Counts", bold=True)
    for label, number in _counts(report.counts):
        job.text(f"{label}: {number:,}")
    for q in report.counts.questions:
        job.text(f"{q.case_number} {q.short_title_zh}")
        job.text(f"  領取 Taken: {q.taken:,}   不領取 Declined: {q.declined:,}")
    job.text(NO_RESULTS)
    job.feed()
    for label, value in _times(report):
        job.text(label)
        job.text(value, align=Align.CENTER)
    for signer in SIGNERS:
        job.feed(2)
        job.text(signer)
        job.feed()
        job.text(SIGNATURE_LINE, align=Align.CENTER)
    if report.reprint:
        job.feed()
        job.text(REPRINT, bold=True, scale=2, align=Align.CENTER)
    return job.feed(2).cut()


# PDF --------------------------------------------------------------------------------------------


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


def report_pdf(report: BoothReport) -> bytes:
    """The report as an A4 PDF (zh-TW with English, the font embedded)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    title_zh, title_en = TITLES[report.kind]
    style = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14)
    big = ParagraphStyle("big", fontName=FONT, fontSize=18, leading=24)

    def table(rows: list[list[str]], widths: tuple[float, ...], numbers_from: int = 0) -> Table:
        t = Table(rows, colWidths=widths)
        commands: list[tuple[object, ...]] = [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 9.5),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ]
        if numbers_from:
            commands.append(("ALIGN", (numbers_from, 1), (-1, -1), "RIGHT"))
        t.setStyle(TableStyle(commands))
        return t

    banner = f"{report.banner}"
    if report.reprint:
        banner += f" — {REPRINT}"
    story: list[object] = [
        Paragraph(f"[{banner}]", big),
        Paragraph(f"{title_zh} {title_en}", big),
        Paragraph(f"{report.referendum_title_zh} — {report.referendum_title_en}", style),
        Spacer(1, 8),
        table([[label, "\n".join(values)] for label, values in _identity(report)], (230, 290)),
        Spacer(1, 8),
        table(
            [["計數 Counts", ""], *[[label, f"{n:,}"] for label, n in _counts(report.counts)]],
            (230, 290),
            numbers_from=1,
        ),
    ]
    if report.counts.questions:
        story += [
            Spacer(1, 8),
            table(
                [
                    ["案號 Case", "題目 Question", "領取 Taken", "不領取 Declined"],
                    *[
                        [q.case_number, q.short_title_zh, f"{q.taken:,}", f"{q.declined:,}"]
                        for q in report.counts.questions
                    ],
                ],
                (80, 220, 110, 110),
                numbers_from=2,
            ),
        ]
    story += [
        Spacer(1, 6),
        Paragraph(NO_RESULTS, style),
        Spacer(1, 8),
        table([[label, value] for label, value in _times(report)], (230, 290)),
        Spacer(1, 40),
    ]
    signatures = Table([[SIGNERS[0], "", SIGNERS[1], ""]], colWidths=(120, 140, 120, 140))
    signatures.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("LINEBELOW", (1, 0), (1, 0), 0.5, colors.black),
                ("LINEBELOW", (3, 0), (3, 0), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    story.append(signatures)
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=36,
        rightMargin=36,
        topMargin=36,
        bottomMargin=36,
        title=f"{title_en} {report.booth_id}",
        author="refvote",
    ).build(story)
    return buffer.getvalue()


def report_file_name(report: BoothReport) -> str:
    """report-<booth>-<kind>-<print time, UTC>[-reprint].pdf: a reprint never overwrites."""
    stamp = report.print_time.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "-reprint" if report.reprint else ""
    return f"report-{report.booth_id}-{report.kind.value}-{stamp}{suffix}.pdf"


def save_pdf(report: BoothReport, folder: Path) -> Path:
    """Write the PDF durably (temp, fsync, rename, read back: `hardware.media.write_file`)."""
    from hardware.media import write_file

    name = report_file_name(report)
    write_file(folder, name, report_pdf(report))
    return folder / name


# Software hash ---------------------------------------------------------------------------------


def source_root() -> Path:
    """The folder that holds refvote's packages (this file is <root>/booth/reports.py)."""
    return Path(__file__).resolve().parent.parent


def software_hash(root: Path | None = None, packages: tuple[str, ...] = SOURCE_PACKAGES) -> bytes:
    """H("software", path_1, H("file", source_1), …, path_n, H("file", source_n)).

    Over every `*.py` file under the packages (compiled caches are not sources), paths relative
    to `root` with "/" separators, in the order of their UTF-8 bytes: the same sources give the
    same hash on every machine, and any changed, added or removed source changes it.
    """
    base = source_root() if root is None else root
    files = []
    for package in packages:
        folder = base / package
        if not folder.is_dir():
            raise ReportError(f"software hash: package folder {folder} is missing")
        for path in folder.rglob("*.py"):
            if "__pycache__" in path.parts or not path.is_file() or path.is_symlink():
                continue
            files.append((path.relative_to(base).as_posix(), path))
    files.sort(key=lambda item: item[0].encode("utf-8"))
    items: list[str | bytes] = []
    for name, path in files:
        items += [name, file_fingerprint(path.read_bytes())]
    return fingerprint("software", *items)
