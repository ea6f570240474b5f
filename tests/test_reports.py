"""The official reports read back as a person would: pdftotext for every CEC column, the 主文,
the reason lines and the ROC date; pdftoppm in greyscale for the chart's bars.

The contexts are at the real 2021 scale (tests/report_scale.py: the CEC's published national
figures, a synthetic split over 22 counties). Known answers are computed here from the raw
published figures with exact fractions, never by the code under test.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from ballots.rule import article29
from tally import reports
from tally.report_figures import ARTICLE_29, percent, reasons, roc_date
from tally.report_layout import NO_COLOUR, WATERMARK_GREY, YES_COLOUR, register_font
from tests.report_scale import published, scale_2021

ART29_OFFICIAL = (
    "公民投票案投票結果，有效同意票數多於不同意票，且有效同意票達投票權人總額四分之一以上者，"
    "即為通過。有效同意票未多於不同意票，或有效同意票數不足前項規定數額者，均為不通過。"
)
CEC_HEADINGS = (
    "投票權人數",
    "投票數",
    "有效票數",
    "同意票數",
    "同意票率(%)",
    "不同意票數",
    "不同意票率(%)",
    "無效票數（含空白）",
    "投票率(%)",
    "有效同意票數對投票權人數(%)",
)
SUMMARIES = (
    "summary-national.pdf",
    "summary-county.pdf",
    "summary-township.pdf",
    "summary-station.pdf",
)


def pct(part: int, whole: int) -> str:
    """Independent: exact fraction, two decimals, half up."""
    hundredths = Fraction(100 * 100 * part, whole)
    whole_part = int(hundredths)
    if hundredths - whole_part >= Fraction(1, 2):
        whole_part += 1
    return f"{whole_part // 100}.{whole_part % 100:02d}%"


def text_of(pdf: Path, *flags: str) -> str:
    return subprocess.run(
        ["pdftotext", *flags, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def test_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    register_font()
    folder = tmp_path_factory.mktemp("reports")
    ctx = scale_2021()
    reports.national_summary(ctx, folder / "summary-national.pdf")
    reports.county_summary(ctx, folder / "summary-county.pdf")
    reports.area_summary(ctx, "township", folder / "summary-township.pdf")
    reports.area_summary(ctx, "station", folder / "summary-station.pdf")
    reports.station_report(ctx, "S00001", folder / "station-S00001.pdf")
    reports.write_tables(ctx, folder)
    return folder


@pytest.fixture(scope="module")
def official_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    register_font()
    folder = tmp_path_factory.mktemp("official")
    ctx = scale_2021(official=True)
    reports.national_summary(ctx, folder / "summary-national.pdf")
    reports.station_report(ctx, "S00001", folder / "station-S00001.pdf")
    reports.write_tables(ctx, folder)
    return folder


def test_percent_and_roc_date_known_answers() -> None:
    assert roc_date("2021-12-18") == "中華民國110年12月18日"
    assert roc_date("2018-11-24") == "中華民國107年11月24日"
    # Half up at the third decimal, where binary floats would round 0.125 down.
    assert percent(1, 800) == pct(1, 800) == "0.13%"
    assert percent(0, 0) == "—"
    for r in published("2021") + published("2018"):
        e, y, n, i = (int(r[k]) for k in ("eligible", "yes", "no", "invalid"))
        assert percent(y, y + n) == pct(y, y + n)
        assert percent(y + n + i, e) == pct(y + n + i, e)


def test_reason_lines_in_the_acts_words() -> None:
    # yes ≤ no only; yes < threshold only; both; neither (independent figures: eligible 100).
    assert reasons(article29(100, 30, 30)) == ["有效同意票未多於不同意票"]
    assert reasons(article29(100, 24, 10)) == ["有效同意票數未達投票權人總額四分之一"]
    assert reasons(article29(100, 20, 30)) == [
        "有效同意票未多於不同意票",
        "有效同意票數未達投票權人總額四分之一",
    ]
    assert reasons(article29(100, 25, 24)) == []
    assert ARTICLE_29 == ART29_OFFICIAL


def test_national_summary_holds_every_cec_column_with_known_answers(test_reports: Path) -> None:
    text = text_of(test_reports / "summary-national.pdf", "-layout")
    for r in published("2021"):
        e, y, n, i = (int(r[k]) for k in ("eligible", "yes", "no", "invalid"))
        row = next(
            line for line in text.splitlines() if line.strip().startswith(f"第{r['case_no']}案 ")
        )
        want = [
            f"{e:,}",
            f"{y + n + i:,}",
            f"{y + n:,}",
            f"{y:,}",
            pct(y, y + n),
            f"{n:,}",
            pct(n, y + n),
            f"{i:,}",
            pct(y + n + i, e),
            pct(y, e),
        ]
        assert row.split()[1:] == want, row
        threshold = -(-e // 4)
        assert threshold == 4_956_367
        assert f"門檻 {threshold:,}" in text
    raw = squeezed(text_of(test_reports / "summary-national.pdf", "-raw"))
    for heading in CEC_HEADINGS:
        assert squeezed(heading) in raw, heading
    assert squeezed(ART29_OFFICIAL) in raw
    # 2021: every case failed both conditions; the words are the Act's.
    assert raw.count("理由：有效同意票未多於不同意票；有效同意票數未達投票權人總額四分之一") == 4
    assert raw.count("不通過") >= 4 and "FAILED" not in raw and "PASSED" not in raw
    assert "選舉人數" not in raw


def test_every_report_has_the_main_texts_date_and_running_header(test_reports: Path) -> None:
    for name in (*SUMMARIES, "station-S00001.pdf"):
        raw = text_of(test_reports / name, "-raw")
        flat = squeezed(raw)
        for r in published("2021"):
            assert squeezed(f"第{r['case_no']}案主文：{r['title_zh']}") in flat, (
                name,
                r["case_no"],
            )
        assert "投票日期：中華民國110年12月18日" in flat
        pages = [p for p in text_of(test_reports / name, "-layout").split("\f") if p.strip()]
        for number, page in enumerate(pages, 1):
            assert f"第 {number} 頁／共 {len(pages)} 頁" in page, (name, number)
            first = page.strip().splitlines()[0]
            assert "測試 TEST" in first and "TW-2021-12-18" in first, (name, first)
        # Each fingerprint on its own line, with its label.
        lines = raw.splitlines()
        definition = [x for x in lines if "公投案定義指紋" in x]
        assert definition and all("公投紀錄指紋" not in x for x in definition)
        assert "QR 碼內是同一指紋的完整 64 位十六進位值" in raw


def test_county_and_township_lists(test_reports: Path) -> None:
    ctx = scale_2021()
    county = text_of(test_reports / "summary-county.pdf", "-layout")
    raw = squeezed(text_of(test_reports / "summary-county.pdf", "-raw"))
    counties = {s.county for s in ctx.definition.stations}
    assert len(counties) == 22
    for name in counties:
        assert county.count(name) >= 4  # one row per case
    # The 全國 line of each case's county list equals the published national figures.
    for r in published("2021"):
        assert squeezed(f"全國{r['case_no']}") not in raw  # not a heading typo
    totals = [line for line in county.splitlines() if line.strip().startswith("全國（合計）")]
    assert len(totals) == 4
    assert [line.split()[4] for line in totals] == [f"{int(r['yes']):,}" for r in published("2021")]
    township = text_of(test_reports / "summary-township.pdf", "-layout")
    assert township.count("第一區") >= 22 * 4 and township.count("第二區") >= 22 * 4


def test_station_report(test_reports: Path) -> None:
    ctx = scale_2021()
    text = text_of(test_reports / "station-S00001.pdf", "-layout")
    booths = [b for b in ctx.booths if b.station_id == "S00001"]
    voters = sum(b.cast for b in booths)
    assert f"投票人數 Voters：{voters:,}" in text
    assert "已領未投 Checked in, not cast：3" in text
    for t in ctx.results.totals:
        if t.level == "station" and t.area == "S00001":
            case = ctx.definition.question(t.question_id).case_number
            row = next(x for x in text.splitlines() if x.strip().startswith(case + " "))
            assert row.split()[-1] == f"{voters - t.count.ballots:,}"  # 不領取
    for b in booths:
        row = next(x for x in text.splitlines() if x.strip().startswith(b.booth_id))
        assert row.split()[1:4] == [f"{b.cast:,}", f"{b.challenged}", f"{b.voided}"]
    assert "0001 0203 0405 0607 0809 0a0b 0c0d 0e0f" in text  # the close code, as booths print it
    assert "開票時間：中華民國110年12月18日 20時05分" in text
    assert "製表時間：中華民國110年12月18日 20時40分" in text
    assert "計票中心主管" in text and "主任管理員" not in text and "主任監察員" not in text


def test_station_report_without_a_poll_book_count_says_so(tmp_path: Path) -> None:
    register_font()
    ctx = replace(scale_2021(), pollbook={})
    reports.station_report(ctx, "S00001", tmp_path / "s.pdf")
    assert "已領未投 Checked in, not cast：—（本所投票簿計數未附於紀錄）" in text_of(
        tmp_path / "s.pdf", "-layout"
    )


def _grey(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def _population(image: Image.Image, level: float, spread: int = 4) -> int:
    histogram = image.histogram()
    return sum(histogram[v] for v in range(256) if abs(v - level) <= spread)


@pytest.mark.parametrize("name", [*SUMMARIES, "station-S00001.pdf"])
def test_bars_differ_in_greyscale(test_reports: Path, tmp_path: Path, name: str) -> None:
    subprocess.run(
        # The chart is within the first four pages of every report.
        ["pdftoppm", "-gray", "-r", "72", "-l", "4", "-png", str(test_reports / name),
         str(tmp_path / "p")],
        check=True,
    )  # fmt: skip
    yes, no = _grey(YES_COLOUR), _grey(NO_COLOUR)
    assert abs(yes - no) >= 100  # more than a third of the scale apart
    pages = [Image.open(p).convert("L") for p in sorted(tmp_path.glob("p*.png"))]
    # Both bars are on the rendered pages, each as a large area of its own grey.
    assert sum(_population(p, yes) for p in pages) > 2000
    assert sum(_population(p, no) for p in pages) > 2000
    # The watermark is lighter than both, so it never passes for a bar.
    assert WATERMARK_GREY * 255 - no > 15
    assert sum(_population(p, WATERMARK_GREY * 255, 2) for p in pages) > 5000


def _watermark_pixels(pdf: Path, folder: Path) -> int:
    folder.mkdir()
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "40", "-png", str(pdf), str(folder / "p")], check=True
    )
    pages = [Image.open(p).convert("L") for p in sorted(folder.glob("p*.png"))]
    return sum(_population(p, WATERMARK_GREY * 255, 1) for p in pages)


def test_official_reports_carry_the_label_and_no_watermark(
    official_reports: Path, test_reports: Path, tmp_path: Path
) -> None:
    text = text_of(official_reports / "summary-national.pdf", "-layout")
    assert "開票結果（待中選會審定公告）" in text and "測試" not in text
    table = json.loads((official_reports / "results.json").read_text(encoding="utf-8"))
    assert table["status"] == "OFFICIAL" and table["label"] == "開票結果（待中選會審定公告）"
    official = _watermark_pixels(official_reports / "summary-national.pdf", tmp_path / "o")
    test = _watermark_pixels(test_reports / "summary-national.pdf", tmp_path / "t")
    assert test > 4 * official, (test, official)


def test_pdf_metadata_language_and_title(test_reports: Path) -> None:
    data = (test_reports / "station-S00001.pdf").read_bytes()
    assert b"/Lang (zh-TW)" in data and b"/DisplayDocTitle true" in data
    info = subprocess.run(
        ["pdfinfo", str(test_reports / "station-S00001.pdf")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "110年全國性公民投票 投開票所開票報告表 S00001" in info


def test_figures_are_at_least_10_pt_and_columns_fit_2018_figures(test_reports: Path) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from tally.report_layout import FONT, MIN_SIZE

    assert stringWidth("11,042,795", FONT, MIN_SIZE) + 6 <= reports.NUMBER_WIDTH
    assert stringWidth("100.00%", FONT, MIN_SIZE) + 6 <= reports.PERCENT_WIDTH
    html = text_of(test_reports / "summary-national.pdf", "-bbox")
    heights = [
        float(m.group(2)) - float(m.group(1))
        for m in re.finditer(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">[\d,.%]+<', html)
    ]
    assert heights and min(heights) >= 9.5, min(heights)


def test_results_csv_opens_in_excel_and_matches(test_reports: Path) -> None:
    data = (test_reports / "results.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0].split(",")[:4] == [
        "層級 level",
        "地區 area",
        "案號 case_number",
        "案件代碼 question_id",
    ]
    assert "無效票數（含空白） invalid" in lines[0] and "投票權人數 eligible" in lines[0]
    national = [x.split(",") for x in lines[1:] if x.startswith("全國,")]
    for row, r in zip(national, published("2021"), strict=True):
        e, y, n, i = (int(r[k]) for k in ("eligible", "yes", "no", "invalid"))
        assert row[4:] == [
            str(e), str(y + n + i), str(y + n), str(y), pct(y, y + n)[:-1], str(n),
            pct(n, y + n)[:-1], str(i), pct(y + n + i, e)[:-1], pct(y, e)[:-1],
        ]  # fmt: skip
    table = json.loads((test_reports / "results.json").read_text(encoding="utf-8"))
    assert table["date_roc"] == "中華民國110年12月18日"
    assert [o["result"] for o in table["outcomes"]] == ["不通過"] * 4
    assert table["stations"][0]["booths"][0]["close"] == bytes(range(32)).hex()


def test_2018_passing_cases_say_passed(tmp_path: Path) -> None:
    register_font()
    ctx = scale_2021(year="2018")
    reports.national_summary(ctx, tmp_path / "n.pdf")
    raw = squeezed(text_of(tmp_path / "n.pdf", "-raw"))
    passed = [r for r in published("2018") if r["passed"] == "true"]
    assert raw.count("理由：兩項條件均符合") == len(passed) == 7
    assert "投票日期：中華民國107年11月24日" in raw


SCREENSHOTS = [
    # (report, page, name): the pages shown in docs/screenshots/ at the real 2021 scale.
    ("summary-national.pdf", 1, "report-national-1"),
    ("summary-national.pdf", 2, "report-national-2"),
    ("summary-national.pdf", 3, "report-national-3"),
    ("summary-county.pdf", 4, "report-county-4"),
    ("summary-township.pdf", 5, "report-township-5"),
    ("station-S00001.pdf", 1, "report-station-1"),
    ("station-S00001.pdf", 2, "report-station-2"),
]


def test_screenshots_at_the_2021_scale(test_reports: Path, tmp_path: Path) -> None:
    """Render the pages shown in the docs; REFVOTE_SCREENSHOTS=docs/screenshots writes them."""
    import os

    target = os.environ.get("REFVOTE_SCREENSHOTS")
    for report, page, name in SCREENSHOTS:
        for grey in (False, True):
            stem = tmp_path / f"{name}{'-grey' if grey else ''}"
            subprocess.run(
                ["pdftoppm", *(["-gray"] if grey else []), "-r", "80", "-png", "-singlefile",
                 "-f", str(page), "-l", str(page), str(test_reports / report), str(stem)],
                check=True,
            )  # fmt: skip
            image = Image.open(stem.with_suffix(".png"))
            assert image.size == (936, 662)  # A4 landscape at 80 dpi
            if target and (grey is False or name == "report-national-3"):
                # A 32-colour palette keeps the PNGs small; the text stays sharp.
                small = image.convert("RGB").quantize(32)
                small.save(Path(target) / stem.with_suffix(".png").name, optimize=True)


@pytest.mark.parametrize("name", ["summary-county.pdf", "summary-township.pdf"])
def test_headings_stay_with_their_tables(test_reports: Path, name: str) -> None:
    pages = text_of(test_reports / name, "-raw").split("\f")
    headings = 0
    for page in pages:
        for match in re.finditer(r"^\S+\s第\d+案：", page, re.MULTILINE):
            headings += 1
            # The table's header row follows its heading on the same page.
            assert "投票權人數" in page[match.end() :], (name, match.group())
    assert headings == (4 if name == "summary-county.pdf" else 22 * 4)


@pytest.mark.parametrize("name", [*SUMMARIES, "station-S00001.pdf"])
def test_the_qr_code_holds_the_record_fingerprint(
    test_reports: Path, tmp_path: Path, name: str
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    info = subprocess.run(
        ["pdfinfo", str(test_reports / name)], capture_output=True, text=True, check=True
    ).stdout
    last = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    subprocess.run(  # the closing part: the last two pages
        ["pdftoppm", "-r", "150", "-png", "-f", str(max(1, last - 1)), "-l", str(last),
         str(test_reports / name),
         str(tmp_path / "p")],
        check=True,
    )  # fmt: skip
    found = {
        r.text
        for page in sorted(tmp_path.glob("p*.png"))
        for r in zxingcpp.read_barcodes(Image.open(page))
    }
    assert scale_2021().record_fingerprint.hex() in found, found


def test_definition_text_is_printed_never_read_as_markup(tmp_path: Path) -> None:
    register_font()
    ctx = scale_2021()
    q = ctx.definition.questions[0]
    tricky = "您是否同意<b>核四</b> & 「A<B」？<br/>"
    definition = replace(
        ctx.definition,
        title_en="Referendum <i>&amp;</i> test",
        questions=(replace(q, text_zh=tricky), *ctx.definition.questions[1:]),
    )
    ctx = replace(ctx, definition=definition)
    reports.national_summary(ctx, tmp_path / "n.pdf")
    reports.county_summary(ctx, tmp_path / "c.pdf")
    for name in ("n.pdf", "c.pdf"):
        flat = squeezed(text_of(tmp_path / name, "-raw"))
        assert squeezed(tricky) in flat, name
    assert "Referendum <i>&amp;</i> test" in text_of(tmp_path / "n.pdf", "-raw")
