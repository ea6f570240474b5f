"""A report context at the real 2021 scale, built without an election (no crypto).

National figures are the CEC's published ones for 2021 (cases 17-20, shared/data's
tw-referendum-results.csv). The split over the 22 counties is SYNTHETIC: each county gets a
share by an approximate weight (its rough number of eligible voters, in thousands), the last
county the remainder, so every national total is exactly the published one. Each county has
two townships; a station holds at most 60,000 eligible voters (a definition allows 65,535).
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

from ballots.definition import Definition, Options, Question, Station
from ballots.record import Results
from ballots.results import Count, StationCount, outcomes, totals
from tally.reports import BoothLine, ReportContext, StationPollBook

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CSV_PATH = Path("/work/shared/data/tw-referendum-results.csv")
COUNTIES = [
    ("新北市", 3380), ("臺中市", 2320), ("高雄市", 2310), ("臺北市", 2100), ("桃園市", 1860),
    ("臺南市", 1560), ("彰化縣", 1050), ("屏東縣", 700), ("雲林縣", 570), ("新竹縣", 460),
    ("苗栗縣", 450), ("嘉義縣", 430), ("南投縣", 420), ("宜蘭縣", 380), ("新竹市", 370),
    ("基隆市", 320), ("花蓮縣", 270), ("嘉義市", 220), ("臺東縣", 180), ("金門縣", 130),
    ("澎湖縣", 90), ("連江縣", 12),
]  # fmt: skip
STATION_MAX = 60_000
DATES = {"2018": "2018-11-24", "2021": "2021-12-18"}


def published(year: str = "2021") -> list[dict[str, str]]:
    path = CSV_PATH if CSV_PATH.is_file() else DATA / "tw-referendum-results.csv"
    with path.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["year"] == year]


def _split(total: int, weights: list[int]) -> list[int]:
    """total over the weights, rounded down, the last part taking the remainder."""
    whole = sum(weights)
    parts = [total * w // whole for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def scale_2021(
    official: bool = False, booths_per_station: int = 2, year: str = "2021"
) -> ReportContext:
    rows = published(year)
    eligible = int(rows[0]["eligible"])
    weights = [w for _, w in COUNTIES]
    county_eligible = _split(eligible, weights)
    stations: list[Station] = []
    for (county, _), n in zip(COUNTIES, county_eligible, strict=True):
        for township, share in zip(("第一區", "第二區"), _split(n, [1, 1]), strict=True):
            k = -(-share // STATION_MAX)
            for i, e in enumerate(_split(share, [1] * k)):
                sid = f"S{len(stations) + 1:05d}"
                stations.append(
                    Station(
                        sid,
                        f"{county}{township}第{i + 1}投開票所",
                        county,
                        township,
                        e,
                        tuple(f"{sid}-{b}" for b in "ABCD"[:booths_per_station]),
                    )
                )
    questions = tuple(
        Question(r["case_no"], f"第{r['case_no']}案", f"第{r['case_no']}案", f"Case {r['case_no']}",
                 r["title_zh"], f"Case {r['case_no']} (English text)", True)
        for r in rows
    )  # fmt: skip
    definition = Definition(
        f"TW-{DATES[year]}", DATES[year], f"{int(year) - 1911}年全國性公民投票",
        f"{year} National Referendum",
        Options(), questions, tuple(stations),
    )  # fmt: skip
    station_weights = [s.eligible for s in stations]
    counts = []
    for r in rows:
        yes = _split(int(r["yes"]), station_weights)
        no = _split(int(r["no"]), station_weights)
        invalid = _split(int(r["invalid"]), station_weights)
        for s, y, n, i in zip(stations, yes, no, invalid, strict=True):
            counts.append(StationCount(s.station_id, r["case_no"], Count(y + n + i, y, n)))
    all_totals = totals(definition, counts)
    results = Results(
        bytes(32), (1, 2, 3), (), tuple(all_totals), tuple(outcomes(definition, all_totals))
    )
    ballots = {s.station_id: 0 for s in stations}
    for c in counts:
        ballots[c.station_id] = max(ballots[c.station_id], c.count.ballots)
    booths = []
    for s in stations:
        cast = _split(ballots[s.station_id] + 37, [1] * len(s.booths))
        for b, c in zip(s.booths, cast, strict=True):
            booths.append(BoothLine(b, s.station_id, c, 2, 1, bytes(range(32))))
    return ReportContext(
        definition,
        results,
        definition.manifest_hash(),
        bytes.fromhex("9f" * 32),
        {1: "受託人甲", 2: "受託人乙", 3: "受託人丙"},
        official,
        tuple(booths),
        {s.station_id: StationPollBook(ballots[s.station_id] + 37, 3) for s in stations},
        datetime.datetime(2021, 12, 18, 12, 5, tzinfo=datetime.UTC),
        datetime.datetime(2021, 12, 18, 12, 40, tzinfo=datetime.UTC),
    )
