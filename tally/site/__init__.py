"""The public results site: a static website made from a verified election record alone.

`build_site(record, authority, out)` runs the verifier with the authority fingerprint pinned
and writes nothing unless every check of a final record passes: the site never vouches for a
record that does not verify. Its pages come from what the verifier itself read and checked
(the package, the booth exports, the results it recomputed), never from a second read.

Output (docs/site.md): plain HTML, one CSS file and one small dependency-free script; no
server, no CDN, no request outside the site's folder; works from file://. zh-TW pages at the
root, English pages under en/. The tracking-code index is sharded by the short code's first
characters (codes/<prefix>.js, loaded as a script so file:// works). The output is a pure
function of the record's bytes: rebuilding gives the same files, byte for byte.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from io import StringIO
from pathlib import Path
from typing import TextIO

from ballots.ballot import Choice
from ballots.chain import EntryKind, replay, short_code
from ballots.definition import Definition, Station
from ballots.export import BoothExport
from ballots.package import VerifiedPackage, key_fingerprint, normalise_fingerprint
from ballots.record import FINAL, Results
from ballots.results import Count, Total
from ballots.rule import article29
from crypto.files import staged_folder
from crypto.hashing import group_for_reading
from tally.report_figures import ARTICLE_29, ARTICLE_29_CITATION
from tally.verify import Runner, VerificationFailed, Verifier

# The shard prefix grows with the record so a lookup loads a small file (≈ ≤ 400 codes).
SHARD_TARGET = 400
MAX_PREFIX = 4


class SiteError(Exception):
    """The site was not written; the message says why and what to do."""


@dataclass(frozen=True)
class SiteReport:
    out: Path
    pages: int
    codes: int
    shards: int
    record_fingerprint: bytes


# Texts -------------------------------------------------------------------------------------

ZH, EN = "zh-TW", "en"

T: dict[str, dict[str, str]] = {
    ZH: {
        "site": "全國性公民投票結果",
        "skip": "跳至主要內容",
        "results": "投票結果",
        "lookup": "查詢追蹤碼",
        "verify": "驗證選舉紀錄",
        "other_lang": "English",
        "other_lang_name": "English version",
        "crumbs": "導覽路徑",
        "nation": "全國",
        "eligible": "投票權人數",
        "ballots": "投票數",
        "valid": "有效票數",
        "yes": "同意票數",
        "no": "不同意票數",
        "blank": "無效票數（空白）",
        "turnout": "投票率",
        "threshold": "門檻（投票權人數 1/4）",
        "outcome": "結果",
        "colon": "：",
        "item": "項目",
        "figure": "數值",
        "missing": "通過尚差同意票數",
        "area": "地區",
        "passed": "通過",
        "failed": "不通過",
        "art29_cite": f"{ARTICLE_29_CITATION}：",
        "art29_gloss": "",
        "area_note": "法定結果以全國合計為準；各地區之門檻與結果僅供參考。",
        "manual": "含人工計票",
        "manual_station": (
            "本投開票所含人工計票：下列投票機之電子紀錄無法讀取，其票匭之紙本紀錄經人工計票，"
            "由選務機關簽署後計入（驗證檢查 V16）："
        ),
        "manual_nation": (
            "含人工計票之投開票所（投票機電子紀錄無法讀取，其紙本紀錄經人工計票，驗證檢查 V16）："
        ),
        "counties": "各縣市",
        "townships": "各鄉鎮市區",
        "stations": "各投開票所",
        "chart": "{case} 票數長條圖",
        "footer": (
            "本網站由選舉紀錄自動產生，任何人皆可執行 refvote site 重建並逐位元比對。紀錄指紋："
        ),
        "station_label": "投開票所",
        "lookup_title": "查詢追蹤碼",
        "lookup_intro": (
            "輸入收據上的 16 字元追蹤碼（大小寫、空格與連字號不拘），或 QR 碼中的 64 位十六進位碼。"
            "查詢在您的瀏覽器中進行，不會傳送到任何地方。"
        ),
        "code_label": "追蹤碼",
        "submit": "查詢",
        "verify_title": "驗證選舉紀錄",
        "record_fp": "紀錄指紋",
        "authority_fp": "選務機關金鑰指紋（建置本網站時已核對）",
        "quorum": "參與解密的受託人",
        "how_verify": "如何自行驗證",
        "how_verify_text": (
            "下載與本網站一同發布的選舉紀錄資料夾，以選務機關公開宣讀的金鑰指紋執行："
        ),
        "how_rebuild": "重建本網站並逐位元比對：",
        "compare": (
            "FINGERPRINT 請使用選務機關公開宣讀或公告的指紋，不要照抄本網站：上面顯示的指紋"
            "只是本網站建置時所用的，應與公告的一致。"
        ),
        "built_from": "本網站只在上述紀錄以選務機關指紋通過全部檢查（V1–V16）後才產生。",
        "trustee": "受託人",
        "none": "無",
        "synthetic": "合成紀錄：僅供效能測試，並非真實選舉。",
    },
    EN: {
        "site": "National referendum results",
        "skip": "Skip to main content",
        "results": "Results",
        "lookup": "Look up a tracking code",
        "verify": "Verify the record",
        "other_lang": "中文",
        "other_lang_name": "中文版",
        "crumbs": "Breadcrumbs",
        "nation": "Nation",
        "eligible": "Eligible voters",
        "ballots": "Ballots cast",
        "valid": "Valid votes",
        "yes": "Agree",
        "no": "Disagree",
        "blank": "Invalid (blank)",
        "turnout": "Turnout",
        "threshold": "Threshold (1/4 of eligible)",
        "outcome": "Outcome",
        "colon": ": ",
        "item": "Item",
        "figure": "Figure",
        "missing": "Agree votes missing to pass",
        "area": "Area",
        "passed": "Passed",
        "failed": "Not passed",
        "art29_cite": "Referendum Act Art. 29 (official text): ",
        "art29_gloss": (
            "In English: a case passes when the valid Agree votes exceed the Disagree votes and "
            "reach one quarter of the eligible voters; otherwise it does not pass."
        ),
        "area_note": "Only the national totals decide; an area's threshold and outcome are for "
        "reference.",
        "manual": "hand-counted",
        "manual_station": (
            "This station includes a hand count: the electronic record of the booths below could "
            "not be read, so their boxes' paper records were counted by hand and entered signed "
            "by the election authority (verifier check V16):"
        ),
        "manual_nation": (
            "Stations that include a hand count (a booth's electronic record could not be read; "
            "its paper records were counted by hand; verifier check V16):"
        ),
        "counties": "Counties and cities",
        "townships": "Townships and districts",
        "stations": "Polling stations",
        "chart": "Votes for {case}, bar chart",
        "footer": (
            "This site is generated from the election record; anyone can rebuild it with "
            "refvote site and compare it byte for byte. Record fingerprint: "
        ),
        "station_label": "Polling station",
        "lookup_title": "Look up a tracking code",
        "lookup_intro": (
            "Type the 16-character tracking code from your receipt (case, spaces and hyphens "
            "do not matter), or the 64 hexadecimal digits of its QR code. The lookup runs in "
            "your browser; nothing is sent anywhere."
        ),
        "code_label": "Tracking code",
        "submit": "Look up",
        "verify_title": "Verify the election record",
        "record_fp": "Record fingerprint",
        "authority_fp": "Election authority key fingerprint (checked when this site was built)",
        "quorum": "Trustees who decrypted",
        "how_verify": "Verify it yourself",
        "how_verify_text": (
            "Download the election record folder published with this site and run, with the "
            "authority fingerprint the election authority read aloud:"
        ),
        "how_rebuild": "Rebuild this site and compare it byte for byte:",
        "compare": (
            "For FINGERPRINT use the one the election authority read aloud or published, not "
            "one copied from this site: the fingerprint shown above is only the one this site "
            "was built with, and must equal the published one."
        ),
        "built_from": (
            "This site was generated only after the record passed every check (V1–V16) "
            "against the authority fingerprint."
        ),
        "trustee": "Trustee",
        "none": "none",
        "synthetic": "SYNTHETIC record: a benchmark, not a real election.",
    },
}

# What the lookup script shows (per language); kept here so all wording is in one place.
JS_TEXT: dict[str, dict[str, object]] = {
    ZH: {
        "cast_title": "已投入並計票",
        "cast_text": "這張選票已投入，並計入 {station} 的開票結果。",
        "challenged_title": "已挑戰：未計票",
        "challenged_text": (
            "這張選票被挑戰（查驗）而未投入，不計票。紀錄已公開它的內容，並經重新加密證明（V9）："
        ),
        "void_title": "已作廢：未計票",
        "void_text": "這張選票的紙本紀錄未完整印出（或投票機在選擇前停止），因此作廢、未計票。",
        "not_found_title": "查無此追蹤碼",
        "not_found_text": "本紀錄中沒有追蹤碼為 {code} 的選票。",
        "not_found_steps": [
            "請逐字核對收據上的追蹤碼（字母 A–Z 與數字 2–7，沒有 0、1、8、9）。",
            "若仍查無，請攜帶收據向中央選舉委員會或您的投開票所提出申訴：收據即為證明。",
        ],
        "malformed": "這不是追蹤碼：應為 16 個字元（A–Z 與 2–7），或 64 位十六進位數字。",
        "code": "追蹤碼",
        "full_code": "完整追蹤碼",
        "station": "投開票所",
        "booth": "投票機",
        "revealed": "挑戰後公開的選擇",
        "case": "案次",
        "choice": "選擇",
    },
    EN: {
        "cast_title": "Cast and counted",
        "cast_text": "This ballot was cast and is counted in the results of {station}.",
        "challenged_title": "Challenged: not counted",
        "challenged_text": (
            "This ballot was challenged (audited) instead of cast, so it is not counted. The "
            "record publishes what it contained, proven by re-encryption (V9):"
        ),
        "void_title": "Voided: not counted",
        "void_text": (
            "This ballot's paper record did not print completely (or the booth stopped before "
            "the voter chose), so it was voided and not counted."
        ),
        "not_found_title": "Tracking code not found",
        "not_found_text": "No ballot in this record has the tracking code {code}.",
        "not_found_steps": [
            "Check the code against your receipt character by character (letters A–Z and "
            "digits 2–7; there is no 0, 1, 8 or 9).",
            "If it is still not found, take your receipt to the Central Election Commission "
            "or your polling station and file a complaint: the receipt is your evidence.",
        ],
        "malformed": (
            "That is not a tracking code: it has 16 characters (A–Z and 2–7), or 64 "
            "hexadecimal digits."
        ),
        "code": "Tracking code",
        "full_code": "Full code",
        "station": "Polling station",
        "booth": "Booth",
        "revealed": "Choices revealed by the challenge",
        "case": "Case",
        "choice": "Choice",
    },
}


# Areas -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    level: str  # nation | county | township | station
    key: str  # the results' area: "", county, "county/township", station_id
    name: str
    path: str  # relative to a language root, e.g. "county/01.html"
    parent: Area | None
    children: tuple[str, ...] = ()  # keys of the next level


def _areas(definition: Definition) -> dict[tuple[str, str], Area]:
    """Every area, numbered in the order of its first station (as the results order them)."""
    counties: dict[str, list[Station]] = {}
    townships: dict[tuple[str, str], list[Station]] = {}
    for s in definition.stations:
        counties.setdefault(s.county, []).append(s)
        townships.setdefault((s.county, s.township), []).append(s)
    nation = Area("nation", "", "", "index.html", None, tuple(counties))
    out: dict[tuple[str, str], Area] = {("nation", ""): nation}
    town_number = {key: i for i, key in enumerate(townships, 1)}
    for ci, county in enumerate(counties, 1):
        kids = tuple(f"{c}/{t}" for c, t in townships if c == county)
        area = Area("county", county, county, f"county/{ci:03d}.html", nation, kids)
        out[("county", county)] = area
        for c, t in townships:
            if c != county:
                continue
            stations = tuple(s.station_id for s in townships[(c, t)])
            path = f"township/{town_number[(c, t)]:04d}.html"
            out[("township", f"{c}/{t}")] = Area("township", f"{c}/{t}", t, path, area, stations)
    for s in definition.stations:
        parent = out[("township", f"{s.county}/{s.township}")]
        out[("station", s.station_id)] = Area(
            "station", s.station_id, s.name, f"station/{s.station_id}.html", parent
        )
    return out


CHILD_LEVEL = {"nation": "county", "county": "township", "township": "station"}


# HTML helpers ------------------------------------------------------------------------------


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(n: int) -> str:
    return f"{n:,}"


def _pct(part: int, whole: int) -> str:
    if whole == 0:
        return "—"
    return f"{100 * part / whole:.2f}%"


@dataclass(frozen=True)
class Ctx:
    definition: Definition
    lang: str
    fingerprint: str  # grouped record fingerprint
    synthetic: bool = False  # index.json says so: every page says so

    @property
    def t(self) -> dict[str, str]:
        return T[self.lang]

    def up(self, path: str) -> str:
        """The relative prefix from a page at `path` (within its language root) to the site."""
        depth = path.count("/") + (1 if self.lang == EN else 0)
        return "../" * depth

    def lang_root(self) -> str:
        return "en/" if self.lang == EN else ""

    def area_name(self, area: Area) -> str:
        return self.t["nation"] if area.level == "nation" else area.name

    def question_title(self, qid: str) -> str:
        q = self.definition.question(qid)
        title = q.short_title_zh if self.lang == ZH else q.short_title_en
        return f"{q.case_number} {title}"


def _page(ctx: Ctx, path: str, title: str, body: str, crumbs: str = "", script: str = "") -> str:
    t = ctx.t
    up = ctx.up(path)
    here = ctx.lang_root() + path
    other = ("" if ctx.lang == EN else "en/") + path
    other_lang = EN if ctx.lang == ZH else ZH
    root = up + ctx.lang_root()
    site_title = ctx.definition.title_zh if ctx.lang == ZH else ctx.definition.title_en
    banner = f'<p class="synthetic" role="note"><strong>{e(t["synthetic"])}</strong></p>\n'
    banner = banner if ctx.synthetic else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{ctx.lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'self'; style-src 'self'; img-src 'self'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{e(title)} · {e(t['site'])}</title>\n"
        f'<link rel="stylesheet" href="{up}site.css">\n</head>\n<body>\n'
        f'<a class="skip" href="#main">{e(t["skip"])}</a>\n'
        f'<header class="site">\n<p class="title">{e(site_title)}</p>\n'
        f'<nav aria-label="{e(t["site"])}"><ul>\n'
        f'<li><a href="{root}index.html">{e(t["results"])}</a></li>\n'
        f'<li><a href="{root}lookup.html">{e(t["lookup"])}</a></li>\n'
        f'<li><a href="{root}verify.html">{e(t["verify"])}</a></li>\n'
        f'<li><a href="{up}{other}" hreflang="{other_lang}" lang="{other_lang}" '
        f'id="switch-lang" data-here="{e(here)}">{e(t["other_lang"])}</a></li>\n'
        "</ul></nav>\n</header>\n"
        f'<main id="main" tabindex="-1">\n{banner}{crumbs}<h1>{e(title)}</h1>\n{body}</main>\n'
        f'<footer><p>{e(t["footer"])}<span class="code">{e(ctx.fingerprint)}</span></p>'
        "</footer>\n"
        f"{script}</body>\n</html>\n"
    )


def _crumbs(ctx: Ctx, area: Area) -> str:
    chain: list[Area] = []
    a: Area | None = area
    while a is not None:
        chain.append(a)
        a = a.parent
    chain.reverse()
    up = ctx.up(area.path) + ctx.lang_root()  # to this language's root
    items = []
    for i, a in enumerate(chain):
        name = e(ctx.area_name(a))
        if i == len(chain) - 1:
            items.append(f'<li><a href="{up}{a.path}" aria-current="page">{name}</a></li>')
        else:
            items.append(f'<li><a href="{up}{a.path}">{name}</a></li>')
    return (
        f'<nav class="crumbs" aria-label="{e(ctx.t["crumbs"])}"><ol>'
        + "".join(items)
        + "</ol></nav>\n"
    )


def _chart(ctx: Ctx, qid: str, count: Count, chart_id: str) -> str:
    """A horizontal bar chart: each bar has its name and value as text (not colour alone)."""
    t = ctx.t
    rows = [
        (t["yes"], count.yes, "bar-yes", ""),
        (t["no"], count.no, "bar-no", ' stroke="#000" stroke-dasharray="4 2"'),
        (t["blank"], count.blank, "bar-blank", ""),
    ]
    top = max(1, max(v for _, v, _, _ in rows))
    width, label_w, bar_w, row_h = 440, 150, 220, 34
    parts = [
        f'<svg class="bars" viewBox="0 0 {width} {row_h * 3 + 10}" role="img" '
        f'aria-labelledby="{chart_id}">',
        f'<title id="{chart_id}">{e(t["chart"].format(case=ctx.question_title(qid)))}: '
        + e("; ".join(f"{name} {_num(v)}" for name, v, _, _ in rows))
        + "</title>",
    ]
    for i, (name, value, colour, extra) in enumerate(rows):
        y = 5 + i * row_h
        w = round(bar_w * value / top)
        parts.append(f'<text x="0" y="{y + 21}">{e(name)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{w}" height="22" class="{colour}"{extra}/>'
        )
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 21}">{_num(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _row_cells(ctx: Ctx, eligible: int, count: Count) -> list[str]:
    o = article29(eligible, count.yes, count.no)
    verdict = ctx.t["passed"] if o.passed else ctx.t["failed"]
    missing = max(o.yes_missing_for_threshold, o.yes_missing_for_majority)
    return [
        _num(eligible),
        _num(count.ballots),
        _num(count.yes + count.no),
        _num(count.yes),
        _num(count.no),
        _num(count.blank),
        _pct(count.ballots, eligible),
        _num(o.threshold),
        verdict,
        _num(missing),
    ]


COLUMNS = (
    "eligible",
    "ballots",
    "valid",
    "yes",
    "no",
    "blank",
    "turnout",
    "threshold",
    "outcome",
    "missing",
)


def _table(ctx: Ctx, caption: str, first: str, rows: Sequence[tuple[str, list[str]]]) -> str:
    t = ctx.t
    head = f'<th scope="col">{e(first)}</th>' + "".join(
        f'<th scope="col">{e(t[c])}</th>' for c in COLUMNS
    )
    body = []
    for label, cells in rows:
        tds = "".join(
            f'<td class="v">{c}</td>' if i == 8 else f'<td class="n">{c}</td>'
            for i, c in enumerate(cells)
        )
        body.append(f'<tr><th scope="row">{label}</th>{tds}</tr>')
    return (
        f'<div class="table-wrap" role="region" aria-label="{e(caption)}" tabindex="0">'
        f"<table><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>\n"
    )


def _summary(ctx: Ctx, caption: str, total: Total) -> str:
    """One area's figures for one question, a row per column (readable on a phone)."""
    t = ctx.t
    cells = _row_cells(ctx, total.eligible, total.count)
    rows = "".join(
        f'<tr><th scope="row">{e(t[c])}</th><td class="n">{v}</td></tr>'
        for c, v in zip(COLUMNS, cells, strict=True)
    )
    return (
        f'<table class="one"><caption>{e(caption)}</caption><thead><tr>'
        f'<th scope="col">{e(t["item"])}</th><th scope="col">{e(t["figure"])}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>\n"
    )


# Pages -------------------------------------------------------------------------------------


def _hand_counted(definition: Definition, results: Results) -> dict[str, tuple[str, ...]]:
    """Station ID → its booths whose box was hand-counted (results.json `manual_counts`)."""
    out: dict[str, tuple[str, ...]] = {}
    for booth_id in sorted(results.manual_counts):
        sid = definition.station_of_booth(booth_id).station_id
        out[sid] = (*out.get(sid, ()), booth_id)
    return out


def _area_page(
    ctx: Ctx,
    area: Area,
    areas: dict[tuple[str, str], Area],
    totals: dict[tuple[str, str, str], Total],
    results: Results,
) -> str:
    t = ctx.t
    d = ctx.definition
    up = ctx.up(area.path) + ctx.lang_root()  # area links stay in this language
    # Art. 29 quoted verbatim from the one source (tally.report_figures), never paraphrased.
    note = f'{e(t["art29_cite"])}<span lang="zh-TW">「{e(ARTICLE_29)}」</span>'
    if t["art29_gloss"]:
        note += f" {e(t['art29_gloss'])}"
    if area.level != "nation":
        note += f" {e(t['area_note'])}"
    parts = [f'<p class="note">{note}</p>\n']
    hand = _hand_counted(d, results)
    if area.level == "nation" and hand:
        links = "、".join(
            f'<a href="{up}{areas[("station", sid)].path}">{e(areas[("station", sid)].name)}</a>'
            for sid in sorted(hand)
        )
        parts.append(f'<p class="manual">{e(t["manual_nation"])} {links}</p>\n')
    if area.level == "station":
        s = d.station(area.key)
        mark = f' <strong class="manual">{e(t["manual"])}</strong>' if s.station_id in hand else ""
        parts.append(
            f'<p>{e(t["station_label"])} <span class="code">{e(s.station_id)}</span> · '
            f"{e(s.county)} {e(s.township)}{mark}</p>\n"
        )
        if s.station_id in hand:
            booths = "、".join(f'<span class="code">{e(b)}</span>' for b in hand[s.station_id])
            parts.append(f'<p class="manual">{e(t["manual_station"])} {booths}</p>\n')
    outcomes = dict(results.outcomes)
    for n, q in enumerate(d.questions):
        total = totals[(area.level, area.key, q.question_id)]
        title = ctx.question_title(q.question_id)
        parts.append(
            f'<section class="case" aria-labelledby="q{n}">\n<h2 id="q{n}">{e(title)}</h2>\n'
        )
        if area.level == "nation":
            o = outcomes[q.question_id]
            cls, word = ("pass", t["passed"]) if o.passed else ("fail", t["failed"])
            parts.append(
                f'<p class="verdict {cls}">{e(t["outcome"])}{e(t["colon"])}{e(word)}</p>\n'
            )
        parts.append('<div class="summary">')
        parts.append(_chart(ctx, q.question_id, total.count, f"chart{n}"))
        parts.append(_summary(ctx, f"{title} · {ctx.area_name(area)}", total))
        parts.append("</div>\n")
        child = CHILD_LEVEL.get(area.level)
        if child is not None:
            rows = []
            for key in area.children:
                kid = areas[(child, key)]
                kt = totals[(child, key, q.question_id)]
                label = f'<a href="{up}{kid.path}">{e(kid.name)}</a>'
                if child == "station" and key in hand:
                    label += f' <span class="manual">（{e(t["manual"])}）</span>'
                rows.append((label, _row_cells(ctx, kt.eligible, kt.count)))
            caption = f"{title} · {t[child + 's' if child != 'county' else 'counties']}"
            parts.append(_table(ctx, caption, t["area"], rows))
        parts.append("</section>\n")
    crumbs = _crumbs(ctx, area)
    name = ctx.area_name(area)
    return _page(ctx, area.path, name, "".join(parts), crumbs)


def _lookup_page(ctx: Ctx, prefix: int) -> str:
    t = ctx.t
    d = ctx.definition
    path = "lookup.html"
    up = ctx.up(path)
    data = {
        "choices": {
            "yes": d.options.yes_zh if ctx.lang == ZH else d.options.yes_en,
            "no": d.options.no_zh if ctx.lang == ZH else d.options.no_en,
            "blank": "空白（無效票）" if ctx.lang == ZH else "Blank (invalid)",
            "declined": "不領取" if ctx.lang == ZH else "Declined",
        },
        "lang_root": ctx.lang_root(),
        "prefix": prefix,
        "questions": [[q.question_id, ctx.question_title(q.question_id)] for q in d.questions],
        "root": up,
        "text": JS_TEXT[ctx.lang],
    }
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    blob = blob.replace("<", "\\u003c")  # never closes the script element
    body = (
        f"<p>{e(t['lookup_intro'])}</p>\n"
        '<form class="lookup" id="lookup-form" role="search" autocomplete="off">\n'
        f'<label for="code">{e(t["code_label"])}</label>\n'
        '<input id="code" name="code" type="text" inputmode="text" autocapitalize="characters" '
        'spellcheck="false" placeholder="ABCD EFGH IJKL MNOP" aria-describedby="code-help">\n'
        f'<p id="code-help" class="note">A–Z, 2–7</p>\n'
        f'<button type="submit">{e(t["submit"])}</button>\n</form>\n'
        '<div id="answer" aria-live="polite"></div>\n'
    )
    script = (
        f'<script type="application/json" id="refvote-data">{blob}</script>\n'
        f'<script src="{up}lookup.js"></script>\n'
    )
    return _page(ctx, path, t["lookup_title"], body, script=script)


def _verify_page(ctx: Ctx, pkg: VerifiedPackage, results: Results, fingerprint: bytes) -> str:
    t = ctx.t
    names = {tr.index: tr.name for tr in pkg.joint_key.params.trustees}
    authority = key_fingerprint(pkg.public.authority_key)
    trustees = "".join(
        f"<li>{e(t['trustee'])} {n}: {e(names.get(n, ''))}</li>" for n in results.quorum
    )
    body = (
        f'<p>{e(t["built_from"])}</p>\n<dl class="facts">\n'
        f'<dt>{e(t["record_fp"])}</dt><dd class="code">{e(group_for_reading(fingerprint))}'
        f"<br>{e(fingerprint.hex())}</dd>\n"
        f'<dt>{e(t["authority_fp"])}</dt><dd class="code">{e(authority)}</dd>\n'
        f"<dt>{e(t['quorum'])}</dt><dd><ul>{trustees or e(t['none'])}</ul></dd>\n</dl>\n"
        f"<h2>{e(t['how_verify'])}</h2>\n<p>{e(t['how_verify_text'])}</p>\n"
        "<pre><code>refvote verify RECORD --authority FINGERPRINT</code></pre>\n"
        f"<p>{e(t['compare'])}</p>\n"
        f"<p>{e(t['how_rebuild'])}</p>\n"
        "<pre><code>refvote site RECORD --authority FINGERPRINT --out SITE2\n"
        "diff -r SITE SITE2</code></pre>\n"
    )
    return _page(ctx, "verify.html", t["verify_title"], body)


# The lookup index --------------------------------------------------------------------------


def export_code_rows(pkg: VerifiedPackage, export: BoothExport) -> list[list[object]]:
    """Per chain entry of one verified export (computed where the verifier parsed it: the
    verifier's `extra`): [short, full, kind, station_id, booth_id, reveal, station name,
    "county township"]."""
    base = pkg.public.base
    rows: list[list[object]] = []
    published = {b.ballot.hash(base): b for b in export.ballots}
    replayed = replay(base, export.booth_id, export.opening_nonce, export.chain)
    station = pkg.definition.station(export.station_id)
    for entry, code in zip(export.chain, replayed.codes, strict=True):
        reveal: list[list[str]] | None = None
        if entry.kind is EntryKind.CHALLENGED:
            b = published[entry.ballot_hash]  # V8 made every challenged entry published
            reveal = [
                [r.question_id, Choice.from_plaintext(r.m, pkg.definition.packing_base).value]
                for r in b.reveal or ()
            ]
        rows.append(
            [
                short_code(code).replace(" ", ""),
                code.hex(),
                entry.kind.value,
                export.station_id,
                export.booth_id,
                reveal,
                station.name,
                f"{station.county} {station.township}",
            ]
        )
    return rows


def _code_rows(rows_per_export: Sequence[list[list[object]]]) -> list[list[object]]:
    rows = [row for rows in rows_per_export for row in rows]
    rows.sort(key=lambda r: (str(r[0]), str(r[1])))
    return rows


def _prefix_length(n: int) -> int:
    for length in range(1, MAX_PREFIX + 1):
        if n <= SHARD_TARGET * 32**length:
            return length
    return MAX_PREFIX


# Building ----------------------------------------------------------------------------------


def _asset(name: str) -> bytes:
    return resources.files("tally.site").joinpath(name).read_bytes()


@dataclass(frozen=True)
class VerifiedRecord:
    """What the verifier read and checked of a final record, all the site is made from."""

    package: VerifiedPackage
    results: Results  # what V12 read and V12–V14 checked
    rows: tuple[list[list[object]], ...]  # per export (definition order): `export_code_rows`
    fingerprint: bytes
    synthetic: bool


def site_verifier(
    record: Path, authority: str, out: TextIO, runner: Runner | None = None
) -> Verifier:
    """The verifier of a final record pinned to `authority` that also makes the lookup rows
    (run it, then `verified_from`): `refvote tally publish` runs this one verifier for its own
    check and for the site."""
    try:
        return Verifier(record, authority, out, expect=FINAL, runner=runner, extra=export_code_rows)
    except (VerificationFailed, ValueError) as exc:
        raise SiteError(str(exc)) from None


def verified_from(verifier: Verifier) -> VerifiedRecord:
    """The site's input from a `site_verifier` that has run; SiteError unless every check of a
    final record passed, pinned to an authority fingerprint."""
    if (
        verifier.failure is not None
        or verifier.expect != FINAL
        or verifier.until is not None
        or verifier.extra is not export_code_rows
        or verifier.state.authority is None
        or len(verifier.passed) != len(verifier.checks)
    ):
        raise SiteError(
            f"the record does not verify ({verifier.failure}); no site is written for it"
        )
    pkg = verifier.state.package
    results = verifier._results
    fingerprint = verifier.record_fingerprint
    assert pkg is not None and results is not None and fingerprint is not None
    # A hand-counted booth (V16) has no export, so no outcome: its rows are absent.
    rows = tuple(o.extra for o in verifier.state.outcomes)
    return VerifiedRecord(pkg, results, rows, fingerprint, verifier.synthetic)


def verified_record(record: Path, authority: str, runner: Runner | None = None) -> VerifiedRecord:
    """Run every check of a final record, pinned to `authority`; SiteError unless all pass."""
    verifier = site_verifier(record, authority, StringIO(), runner)
    verifier.run()
    return verified_from(verifier)


def render(verified: VerifiedRecord) -> dict[str, bytes]:
    """Every file of the site: relative path → bytes. Pure: same inputs, same bytes."""
    pkg, results, fingerprint = verified.package, verified.results, verified.fingerprint
    definition = pkg.definition
    areas = _areas(definition)
    totals = {(t.level, t.area, t.question_id): t for t in results.totals}
    files: dict[str, bytes] = {
        "site.css": _asset("site.css"),
        "lookup.js": _asset("lookup.js"),
    }
    rows = _code_rows(verified.rows)
    prefix = _prefix_length(len(rows))
    shards: dict[str, list[list[object]]] = {}
    for row in rows:
        shards.setdefault(str(row[0])[:prefix], []).append(row)
    for key, shard in sorted(shards.items()):
        blob = json.dumps(shard, separators=(",", ":"), ensure_ascii=True)
        files[f"codes/{key}.js"] = f'refvoteCodes("{key}",{blob});\n'.encode()
    grouped = group_for_reading(fingerprint)
    for lang in (ZH, EN):
        ctx = Ctx(definition, lang, grouped, verified.synthetic)
        root = "en/" if lang == EN else ""
        for area in areas.values():
            files[root + area.path] = _area_page(ctx, area, areas, totals, results).encode()
        files[root + "lookup.html"] = _lookup_page(ctx, prefix).encode()
        files[root + "verify.html"] = _verify_page(ctx, pkg, results, fingerprint).encode()
    return files


def build_site(
    record: Path,
    authority: str,
    out: Path,
    on_step: Callable[[str], None] | None = None,
    *,
    runner: Runner | None = None,
    verified: VerifiedRecord | None = None,
) -> SiteReport:
    """Verify `record` pinned to `authority`, then write its site into the new folder `out`.

    `verified`: what a `site_verifier` of this record, pinned to this authority, has just
    verified (`verified_from`), so the record is not verified twice (`refvote tally publish`).
    Raises SiteError if the record does not verify (nothing is written), and the errors of
    `crypto.files.staged_folder` (AlreadyExists, WriteFailed) if `out` cannot be written.
    """
    if verified is None:
        verified = verified_record(record, authority, runner)
    elif key_fingerprint(verified.package.public.authority_key) != normalise_fingerprint(authority):
        raise SiteError("the record was verified against another authority key")
    fingerprint = verified.fingerprint
    if on_step is not None:
        on_step("verified")
    files = render(verified)
    with staged_folder(out) as staging:
        for relative, data in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # staged_folder fsyncs the folders, then renames
    shards = sum(1 for p in files if p.startswith("codes/"))
    pages = sum(1 for p in files if p.endswith(".html"))
    codes = sum(
        len(json.loads(files[p].split(b",", 1)[1][:-3])) for p in files if p.startswith("codes/")
    )
    return SiteReport(out, pages, codes, shards, fingerprint)


__all__ = [
    "SiteError",
    "SiteReport",
    "VerifiedRecord",
    "build_site",
    "export_code_rows",
    "render",
    "site_verifier",
    "verified_from",
    "verified_record",
]
