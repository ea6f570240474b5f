"""The figures and words of the official reports, as the Central Election Commission prints them.

Pure arithmetic and text, no PDF: the PDFs, results.csv and results.json all take their
columns from `COLUMNS`, so the three never disagree. Terms are the CEC's for a referendum
(投票權人數, not 選舉人數; 公投, not 選舉); percentages are exact decimals rounded half up to two
places (the CEC's rounding), never binary floats.

Art. 29 of the Referendum Act (公民投票法第29條), verbatim as amended 2019-06-21 (the text in
force for the 2021 referendum; checked against the law's published text, law.moj.gov.tw /
lawtrace.tw 04106, 2019-06-17 amendment), is `ARTICLE_29`. The reason lines use the Act's
words for the two conditions.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ballots.definition import Definition
from ballots.results import Total
from ballots.rule import Article29

ARTICLE_29 = (
    "公民投票案投票結果，有效同意票數多於不同意票，且有效同意票達投票權人總額四分之一以上者，"
    "即為通過。有效同意票未多於不同意票，或有效同意票數不足前項規定數額者，均為不通過。"
)
ARTICLE_29_CITATION = "公民投票法第29條"
REASON_MAJORITY = "有效同意票未多於不同意票"
REASON_THRESHOLD = "有效同意票數未達投票權人總額四分之一"
CONDITION_MAJORITY = "有效同意票數多於不同意票"
CONDITION_THRESHOLD = "有效同意票達投票權人總額四分之一以上"
PASSED = "通過"
NOT_PASSED = "不通過"
OFFICIAL_LABEL = "開票結果（待中選會審定公告）"
TEST_LABEL = "測試 TEST：非正式結果，不得公告"
TAIWAN = datetime.timezone(datetime.timedelta(hours=8), "UTC+8")  # Taiwan keeps no summer time
LEVEL_NAMES = {"nation": "全國", "county": "縣市", "township": "鄉鎮市區", "station": "投開票所"}


def roc_date(iso_date: str) -> str:
    """2021-12-18 → 中華民國110年12月18日 (the Republic's year = Gregorian year − 1911)."""
    day = datetime.date.fromisoformat(iso_date)
    return f"中華民國{day.year - 1911}年{day.month}月{day.day}日"


def roc_time(moment: datetime.datetime) -> str:
    """A moment in Taiwan time: 中華民國110年12月18日 20時05分."""
    local = moment.astimezone(TAIWAN)
    return f"{roc_date(local.date().isoformat())} {local.hour:02d}時{local.minute:02d}分"


def percent(part: int, whole: int) -> str:
    """part / whole as a percentage with two decimals, rounded half up; "—" when whole is 0."""
    if whole == 0:
        return "—"
    value = (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value}%"


@dataclass(frozen=True, slots=True)
class Figures:
    """One case in one area, in the CEC's columns. 投票數 = 有效 + 無效 (不領取 is not a vote)."""

    eligible: int  # 投票權人數
    yes: int  # 同意票數
    no: int  # 不同意票數
    invalid: int  # 無效票數（含空白）: a refvote ballot is yes, no or blank

    @classmethod
    def of(cls, total: Total) -> Figures:
        return cls(total.eligible, total.count.yes, total.count.no, total.count.blank)

    @property
    def valid(self) -> int:  # 有效票數
        return self.yes + self.no

    @property
    def ballots(self) -> int:  # 投票數
        return self.valid + self.invalid


@dataclass(frozen=True, slots=True)
class Column:
    """One CEC column: its key in results.csv / results.json, its heading, its cell."""

    key: str
    zh: str
    en: str
    cell: Callable[[Figures], str]
    percentage: bool = False


def _n(value: int) -> str:
    return f"{value:,}"


COLUMNS: tuple[Column, ...] = (
    Column("eligible", "投票權人數", "Eligible", lambda f: _n(f.eligible)),
    Column("ballots", "投票數", "Ballots", lambda f: _n(f.ballots)),
    Column("valid", "有效票數", "Valid", lambda f: _n(f.valid)),
    Column("yes", "同意票數", "Yes", lambda f: _n(f.yes)),
    Column("yes_pct", "同意票率", "Yes % of valid", lambda f: percent(f.yes, f.valid), True),
    Column("no", "不同意票數", "No", lambda f: _n(f.no)),
    Column("no_pct", "不同意票率", "No % of valid", lambda f: percent(f.no, f.valid), True),
    Column("invalid", "無效票數（含空白）", "Invalid (incl. blank)", lambda f: _n(f.invalid)),
    Column("turnout_pct", "投票率", "Turnout", lambda f: percent(f.ballots, f.eligible), True),
    Column(
        "yes_of_eligible_pct",
        "有效同意票數對投票權人數",
        "Yes % of eligible",
        lambda f: percent(f.yes, f.eligible),
        True,
    ),
)


def outcome_word(outcome: Article29) -> str:
    return PASSED if outcome.passed else NOT_PASSED


def reasons(outcome: Article29) -> list[str]:
    """The Act's words for each condition not met; empty when the case passed."""
    lines = []
    if outcome.yes <= outcome.no:
        lines.append(REASON_MAJORITY)
    if outcome.yes < outcome.threshold:
        lines.append(REASON_THRESHOLD)
    return lines


def conditions(outcome: Article29) -> list[tuple[str, bool, str]]:
    """Both conditions of Art. 29 with whether each is met and the figures that decide it."""
    return [
        (
            CONDITION_MAJORITY,
            outcome.yes > outcome.no,
            f"同意 {outcome.yes:,} ／ 不同意 {outcome.no:,}",
        ),
        (
            CONDITION_THRESHOLD,
            outcome.yes >= outcome.threshold,
            f"同意 {outcome.yes:,} ／ 門檻 {outcome.threshold:,}"
            f"（投票權人數 {outcome.eligible:,} 之四分之一，無條件進位）",
        ),
    ]


def area_name(level: str, area: str) -> str:
    """The printed name of an area: 全國, the county, the township, the station ID."""
    if level == "nation":
        return "全國"
    if level == "township":
        return area.split("/", 1)[1]
    return area


def main_text_lines(definition: Definition) -> list[str]:
    """Each case as `refvote package inspect` shows it: the full 主文 (the legal wording), then
    the definition's short label, then the English text, marked when unofficial."""
    lines = []
    for q in definition.questions:
        lines.append(f"{q.case_number}（{q.question_id}）")
        lines.append(f"  主文：{q.text_zh}")
        lines.append(f"  簡稱（定義檔所給）：{q.short_title_zh} / {q.short_title_en}")
        unofficial = "（非官方譯文 unofficial translation）" if q.english_unofficial else ""
        lines.append(f"  English{unofficial}: {q.text_en}")
    return lines
