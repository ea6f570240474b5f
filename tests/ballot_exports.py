"""Booth exports for the tally's tests, made through the ballots API without a booth.

A test fixture, fast enough for every tally test: the real booth and its headless voters are
`booth.driver` (the demo and tests/test_booth_driver.py); the tally station contains no booth.

Each simulated voter answers some questions (同意, 不同意 or blank) and declines others; a few
challenge their ballot and vote again; now and then a printer fault voids a ballot after its
tracking code was fixed. The booth's export is what a real booth would write at closing.
The plaintext tallies are returned so the tests can compare them with the result.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ballots.ballot import Choice, EncryptedBallot, PlaintextBallot, encrypt_ballot
from ballots.context import ElectionContext
from ballots.export import BoothExport, ExportBuilder
from crypto.signing import SigningKey


@dataclass(frozen=True)
class VoterModel:
    """Probabilities of one simulated electorate (per question, in definition order)."""

    yes: tuple[float, ...] = (0.42, 0.47, 0.50, 0.55)
    blank: float = 0.04
    decline: float = 0.05
    challenge: float = 0.03
    void: float = 0.01


@dataclass
class Expected:
    """What was cast, per (station_id, question_id): [yes, no, blank]."""

    counts: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    cast: int = 0
    challenged: int = 0
    voided: int = 0

    def add(self, station_id: str, choices: Mapping[str, Choice]) -> None:
        for qid, choice in choices.items():
            row = self.counts.setdefault((station_id, qid), [0, 0, 0])
            row[{Choice.YES: 0, Choice.NO: 1, Choice.BLANK: 2}[choice]] += 1
        self.cast += 1


# Prints the paper record (and receipt) of a ballot whose tracking code was just fixed;
# returns False if the paper did not print completely (the ballot is then voided).
PaperPrinter = Callable[[str, PlaintextBallot, EncryptedBallot, bytes], bool]


def simulate_station_day(
    ctx: ElectionContext,
    booth_keys: Mapping[str, SigningKey],
    voters_per_station: int,
    seed: int = 2021,
    model: VoterModel | None = None,
    printers: Mapping[str, PaperPrinter] | None = None,
) -> tuple[list[BoothExport], Expected]:
    model = model or VoterModel()
    printers = printers or {}
    rng = random.Random(seed)
    expected = Expected()
    exports = []
    qids = ctx.definition.question_ids()
    for station in ctx.definition.stations:
        builders = {
            b: ExportBuilder(ctx.manifest_hash, ctx.base, station.station_id, b, rng.randbytes(32))
            for b in station.booths
        }
        for voter in range(voters_per_station):
            booth = station.booths[voter % len(station.booths)]
            builder = builders[booth]
            choices: dict[str, Choice] = {}
            for n, qid in enumerate(qids):
                if rng.random() < model.decline:
                    continue
                roll = rng.random()
                p_yes = model.yes[n % len(model.yes)]
                choices[qid] = (
                    Choice.BLANK
                    if roll < model.blank
                    else Choice.YES
                    if roll < model.blank + (1 - model.blank) * p_yes
                    else Choice.NO
                )
            if not choices:
                continue  # declined every question: no ballot
            plaintext = PlaintextBallot(choices)
            while True:
                ballot, nonces = encrypt_ballot(ctx, station.station_id, booth, plaintext)
                code = builder.fix(ballot)
                printed = (
                    printers[booth](booth, plaintext, ballot, code) if booth in printers else True
                )
                if not printed or rng.random() < model.void:
                    builder.void()  # the paper jammed: the voter votes again
                    expected.voided += 1
                    continue
                if rng.random() < model.challenge:
                    builder.challenge(nonces.reveal(plaintext, ctx))
                    expected.challenged += 1
                    continue
                builder.cast()
                nonces.forget()
                expected.add(station.station_id, choices)
                break
        exports += [builders[b].close(booth_keys[b]) for b in station.booths]
    return exports, expected
