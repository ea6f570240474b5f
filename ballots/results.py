"""Sums to decrypt, decrypted counts, totals by level, and Art. 29 outcomes.

Shared by the tally station and the verifier, so both compute the same thing the same way:
the verifier recomputes every value here from the record and compares.

Sums are per station and question (Art. 49: a court can void one station, so each station's
result must stand alone), in definition order: stations, then questions. A sum covers
exactly the station's cast ballots that took the question, and a station never has more cast
ballots than eligible voters (`TurnoutExceeded`, which also keeps every N below B).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ballots.ballot import EncryptedBallot
from ballots.definition import Definition
from ballots.errors import BallotsError
from ballots.rule import Article29, article29
from crypto.elgamal import Ciphertext, sum_ciphertexts


class TurnoutExceeded(BallotsError):
    """A station has more cast ballots than eligible voters; `station_id` names it."""

    def __init__(self, station_id: str, cast: int, eligible: int) -> None:
        super().__init__(
            f"station {station_id}: {cast:,} cast ballots for {eligible:,} eligible voters"
        )
        self.station_id = station_id
        self.cast = cast
        self.eligible = eligible


def check_turnout(definition: Definition, cast: Iterable[EncryptedBallot]) -> None:
    """Raise TurnoutExceeded for the first station (in definition order) with cast > eligible.

    A ballot naming no station of the definition is not counted here (V6 refuses it).
    """
    per_station: dict[str, int] = {}
    for ballot in cast:
        per_station[ballot.station_id] = per_station.get(ballot.station_id, 0) + 1
    for station in definition.stations:
        n = per_station.get(station.station_id, 0)
        if n > station.eligible:
            raise TurnoutExceeded(station.station_id, n, station.eligible)


@dataclass(frozen=True, slots=True)
class SumSpec:
    station_id: str
    question_id: str
    ballot_ids: tuple[bytes, ...]  # sorted
    ciphertext: Ciphertext

    @property
    def ballots(self) -> int:
        return len(self.ballot_ids)


def compute_sums(definition: Definition, cast: Iterable[EncryptedBallot]) -> list[SumSpec]:
    """Σ of each station's cast ciphertexts per question, in definition order.

    Raises TurnoutExceeded when a station has more cast ballots than eligible voters.
    """
    cast = list(cast)
    check_turnout(definition, cast)
    by_key: dict[tuple[str, str], list[tuple[bytes, Ciphertext]]] = {}
    for ballot in cast:
        for q in ballot.questions:
            by_key.setdefault((ballot.station_id, q.question_id), []).append(
                (ballot.ballot_id, q.ciphertext)
            )
    sums = []
    for station in definition.stations:
        for qid in definition.question_ids():
            entries = sorted(by_key.get((station.station_id, qid), []), key=lambda e: e[0])
            sums.append(
                SumSpec(
                    station.station_id,
                    qid,
                    tuple(b for b, _ in entries),
                    sum_ciphertexts([c for _, c in entries]),
                )
            )
    return sums


@dataclass(frozen=True, slots=True)
class Count:
    """yes / no / blank of one question in one area; `ballots` = ballots that took it."""

    ballots: int
    yes: int
    no: int

    @property
    def blank(self) -> int:
        return self.ballots - self.yes - self.no

    def __add__(self, other: Count) -> Count:
        return Count(self.ballots + other.ballots, self.yes + other.yes, self.no + other.no)


ZERO = Count(0, 0, 0)


@dataclass(frozen=True, slots=True)
class StationCount:
    station_id: str
    question_id: str
    count: Count


@dataclass(frozen=True, slots=True)
class Total:
    level: str  # "nation" | "county" | "township" | "station"
    area: str  # "" for the nation; county; "county/township"; station_id
    question_id: str
    eligible: int
    count: Count


LEVELS = ("nation", "county", "township", "station")


def totals(definition: Definition, counts: Sequence[StationCount]) -> list[Total]:
    """Every level's totals, in a fixed order: levels, then areas (first appearance), questions.

    Areas are told apart by their names as a tuple (a township is (county, township)); the
    published `area` joins them with "/", which the definition forbids inside a name.
    """
    by_station = {(c.station_id, c.question_id): c.count for c in counts}
    areas: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # (level, area) → station_ids
    for s in definition.stations:
        station_areas: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("nation", ()),
            ("county", (s.county,)),
            ("township", (s.county, s.township)),
            ("station", (s.station_id,)),
        )
        for level, area in station_areas:
            areas.setdefault((level, area), []).append(s.station_id)
    result = []
    for level in LEVELS:
        for (lvl, area), station_ids in areas.items():
            if lvl != level:
                continue
            eligible = sum(definition.station(s).eligible for s in station_ids)
            for qid in definition.question_ids():
                count = ZERO
                for station_id in station_ids:
                    count = count + by_station.get((station_id, qid), ZERO)
                result.append(Total(level, "/".join(area), qid, eligible, count))
    return result


def outcomes(definition: Definition, all_totals: Sequence[Total]) -> list[tuple[str, Article29]]:
    """Art. 29 on the national totals of each question."""
    national = {t.question_id: t for t in all_totals if t.level == "nation"}
    return [
        (qid, article29(national[qid].eligible, national[qid].count.yes, national[qid].count.no))
        for qid in definition.question_ids()
    ]
