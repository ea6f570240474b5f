"""Generate examples/referendum-2021.toml: the national referendum of 18 December 2021.

Question texts (zh-TW) come from the published results (shared/data/tw-referendum-results.csv);
the short titles and English texts are the project's own and marked unofficial. Stations and
booths are SYNTHETIC: the national eligible count (19,825,468) is split into stations of at
most 5,000 voters (a station must stay below the packing base B = 65,536), spread round-robin
over Taiwan's 22 counties and cities, two booths each.

    python examples/make_2021.py ../shared/data/tw-referendum-results.csv \
        > examples/referendum-2021.toml
"""

from __future__ import annotations

import csv
import sys

SHORT = {
    "17": (
        "核四啟封",
        "Unsealing Nuclear Plant 4",
        "Do you agree that the Fourth Nuclear Power Plant should be unsealed and put into "
        "commercial operation?",
    ),
    "18": (
        "萊劑豬肉進口",
        "Ractopamine pork imports",
        "Do you agree that the government should completely ban imports of pork, offal and "
        "related products from pigs fed ractopamine or other beta-agonists?",
    ),
    "19": (
        "公投與大選同日",
        "Referendums on election days",
        "Do you agree that, when a national election falls within six months after a "
        "referendum proposal is announced as established, the referendum should be held on "
        "the same day as that election, where the Referendum Act allows?",
    ),
    "20": (
        "三接遷離藻礁",
        "Relocating the third LNG terminal",
        "Do you agree that CPC's third liquefied natural gas receiving terminal should be "
        "relocated away from the coast and sea of the Datan algal reef in Taoyuan (the coast "
        "from the mouth of the Guanyin River to the mouth of the Xinwu River, and the sea "
        "extending five kilometres out from its lowest tide line)?",
    ),
}
COUNTIES = [
    "臺北市",
    "新北市",
    "桃園市",
    "臺中市",
    "臺南市",
    "高雄市",
    "基隆市",
    "新竹市",
    "嘉義市",
    "新竹縣",
    "苗栗縣",
    "彰化縣",
    "南投縣",
    "雲林縣",
    "嘉義縣",
    "屏東縣",
    "宜蘭縣",
    "花蓮縣",
    "臺東縣",
    "澎湖縣",
    "金門縣",
    "連江縣",
]
MAX_PER_STATION = 5000


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["year"] == "2021"]
    eligible = int(rows[0]["eligible"])
    out = [
        "# The national referendum of 18 December 2021 (cases 17–20).",
        "# Question texts in zh-TW are the official ones; short titles and English are the",
        "# project's own, unofficial. Stations and booths are SYNTHETIC (examples/make_2021.py).",
        'referendum_id = "TW-2021-12-18"',
        'date = "2021-12-18"',
        'title_zh = "110年全國性公民投票"',
        'title_en = "2021 National Referendum (unofficial translation)"',
        "",
    ]
    for r in rows:
        case = r["case_no"]
        short_zh, short_en, text_en = SHORT[case]
        out += [
            "[[questions]]",
            f'question_id = "{case}"',
            f'case_number = "第{case}案"',
            f"short_title_zh = {q(short_zh)}",
            f"short_title_en = {q(short_en)}",
            f"text_zh = {q(r['title_zh'])}",
            f"text_en = {q(text_en)}",
            "english_unofficial = true",
            "",
        ]
    stations = -(-eligible // MAX_PER_STATION)
    base, extra = divmod(eligible, stations)
    for n in range(stations):
        county = COUNTIES[n % len(COUNTIES)]
        station_id = f"S{n + 1:05d}"
        out += [
            "[[stations]]",
            f'station_id = "{station_id}"',
            f'name = "示範投開票所 {n + 1:05d}"',
            f'county = "{county}"',
            f'township = "示範區{(n // len(COUNTIES)) % 10 + 1:02d}"',
            f"eligible = {base + (1 if n < extra else 0)}",
            f'booths = ["{station_id}-A", "{station_id}-B"]',
            "",
        ]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
