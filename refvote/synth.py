"""`refvote dev synth-record`: a large, complete, valid election record for benchmarks.

Everything a real record has, made for real and in parallel: a 3-of-5 key ceremony (rehearsed
on this machine), a package signed by a fresh authority key, the 2021 referendum's four
questions over S synthetic stations of two booths each, every ballot encrypted with its proofs
by the ballots API (`encrypt_ballot`) in simulated booths whose exports are signed by their
booth keys (one booth per task, on W worker processes), sums, decryption shares of trustees
1, 2, 3 with their proofs, results, poll-book counts, and an index signed by the tally key
that says `"synthetic": true` (the verifier reports it on V3, the site shows it on every page).

Never an election: the keys are made here and written unprotected next to the record. The
choices are pseudo-random from --seed (the counts are not meaningful); ballot IDs, nonces and
keys come from the system's random source as in a booth.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from ballots.ballot import Choice, PlaintextBallot, encrypt_ballot
from ballots.definition import Definition, load_source
from ballots.export import ExportBuilder
from ballots.package import VerifiedPackage, build_package, key_fingerprint, verify_package
from ballots.pollbook_count import PollBookCount
from ballots.record import DecryptedCount, RecordIndex, Results, SharesFile, write_record
from ballots.results import Count, StationCount, outcomes, totals
from ballots.station_link import DevStationKeys
from crypto.ceremony.rehearsal import open_ceremony, rehearse
from crypto.ceremony.sealed_share import unseal_key_share
from crypto.keyfile import write_signing_key
from crypto.signing import SigningKey
from crypto.threshold import ThresholdDecryption, partial_decrypt
from tally.verify import ExportOutcome, merge_sums, partial_sums

K, N = 3, 5
QUORUM = (1, 2, 3)
CHALLENGE_RATE = 0.01  # challenged ballots per cast ballot (≥ 1 per booth)
VOID_RATE = 0.002
MAX_BALLOTS_PER_BOOTH = 60_000  # an export holds at most 65,535 ballots (ballots.export)


class SynthError(Exception):
    """The options cannot make a record; the message says which and why."""


def synth_definition(ballots: int, stations: int) -> Definition:
    """The 2021 questions over `stations` synthetic stations of two booths each, with room for
    `ballots` cast ballots in all (eligible: the cast ballots at a 70 % turnout)."""
    from refvote.demo import demo_definition_source

    per_station = math.ceil(ballots / stations)
    source = demo_definition_source(stations, per_station, datetime.date(2021, 12, 18))
    source = source.replace('referendum_id = "DEMO-2021-12-18"', 'referendum_id = "SYNTH-2021"')
    source = source.replace("示範投開票所", "合成投開票所").replace("示範區", "合成區")
    return load_source(source)


@dataclass(frozen=True)
class BoothTask:
    package: Path
    station_id: str
    booth_id: str
    cast: int
    key: bytes  # the seed of the booth's signing key (a benchmark key, made here)
    seed: str


_PACKAGE: dict[Path, VerifiedPackage] = {}


def make_export(task: BoothTask) -> tuple[bytes, ExportOutcome]:
    """One booth's polling day: `cast` cast ballots, ~1 % challenged, a few voided; its export
    signed by its key; and the export's partial sums (for the tally)."""
    if task.package not in _PACKAGE:
        _PACKAGE[task.package] = verify_package(task.package)
    pkg = _PACKAGE[task.package]
    ctx = pkg.context
    rng = random.Random(task.seed)  # noqa: S311 - synthetic choices, not secrets
    questions = pkg.definition.question_ids()
    builder = ExportBuilder(
        ctx.manifest_hash, ctx.base, task.station_id, task.booth_id, rng.randbytes(32)
    )
    challenged = max(1, round(task.cast * CHALLENGE_RATE))
    voided = round(task.cast * VOID_RATE)
    plan = ["cast"] * task.cast + ["challenge"] * challenged + ["void"] * voided
    rng.shuffle(plan)
    for action in plan:
        choices = {q: rng.choice(list(Choice)) for q in questions if rng.random() < 0.95}
        plain = PlaintextBallot(choices or {questions[0]: Choice.BLANK})
        ballot, nonces = encrypt_ballot(ctx, task.station_id, task.booth_id, plain)
        builder.fix(ballot)
        if action == "cast":
            builder.cast()
        elif action == "challenge":
            builder.challenge(nonces.reveal(plain, ctx))
        else:
            builder.void()
    export = builder.close(SigningKey.from_seed(task.key))
    cast, sums = partial_sums(export)
    outcome = ExportOutcome(task.booth_id, None, task.station_id, cast=cast, sums=sums)
    return export.to_json(), outcome


@dataclass(frozen=True)
class SynthReport:
    record: Path
    authority: str  # the authority key's fingerprint (pin it: refvote verify --authority)
    index: RecordIndex
    ballots: int
    exports: int


def synth_record(
    out: Path,
    ballots: int,
    stations: int,
    workers: int,
    seed: int = 1,
    on_step: Callable[..., None] | None = None,
) -> SynthReport:
    """Write `out/record` (the record), `out/keys/` (its keys, unprotected) and
    `out/authority.txt` (the authority fingerprint). `out` must not exist."""
    say = on_step or (lambda _key, **_values: None)  # a catalog key (refvote.messages)
    if ballots < 1 or stations < 1 or workers < 1:
        raise SynthError("--ballots, --stations and --workers must be at least 1")
    if math.ceil(ballots / (2 * stations)) > MAX_BALLOTS_PER_BOOTH:
        raise SynthError("too many ballots per booth: give more --stations")
    if out.exists():
        raise SynthError(f"{out} already exists: give a new folder")
    definition = synth_definition(ballots, stations)
    out.mkdir(parents=True)
    say("dev.synth.ceremony", k=K, n=N)
    trustees = [SigningKey.generate() for _ in range(N)]
    passphrases = [f"synthetic trustee {i}" for i in range(1, N + 1)]
    params = open_ceremony(
        definition.manifest_hash(), K, [(f"合成受託人 {i}", t) for i, t in enumerate(trustees, 1)]
    )
    ceremony = rehearse(params, trustees, passphrases)
    ceremony.files.write(out / "ceremony")
    authority, tally_key = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
    station_keys = DevStationKeys.generate(definition)
    roll = {
        s.station_id: [f"Y{n:02d}{s.station_id}{i:07d}" for i in range(s.eligible)]
        for n, s in enumerate(definition.stations)
    }
    build_package(
        out / "package",
        definition.to_json(),
        out / "ceremony",
        authority,
        tally_key.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [],
        roll,
        [],
        station_keys.setup(),
    )
    pkg = verify_package(out / "package")
    keys = out / "keys"
    write_signing_key(keys / "authority.key.json", "authority", "authority", authority)
    write_signing_key(keys / "tally.key.json", "tally", "tally", tally_key)

    tasks = _booth_tasks(out / "package", definition, ballots, booth_keys, seed)
    say("dev.synth.ballots", ballots=ballots, booths=len(tasks), workers=workers)
    if workers == 1:
        made = [make_export(t) for t in tasks]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
            made = list(pool.map(make_export, tasks))
    from ballots.export import BoothExport

    exports = [BoothExport.from_json(data) for data, _ in made]
    say("dev.synth.decryption")
    sums = merge_sums(definition, [outcome for _, outcome in made])
    joint = ceremony.joint_key
    decryption = ThresholdDecryption(joint, [(s.ciphertext, s.ballots) for s in sums])
    shares_files = []
    for t in QUORUM:
        with unseal_key_share(
            ceremony.sealed_shares[t - 1], passphrases[t - 1], joint.public_share(t)
        ) as share:
            partials = partial_decrypt(share, [s.ciphertext for s in sums], joint.base)
        decryption.add(t, partials)
        shares_files.append(SharesFile.sign(trustees[t - 1], joint.base, t, partials, sums))
    decrypted = [
        DecryptedCount(s.station_id, s.question_id, d.packed, Count(d.ballots, d.yes, d.no))
        for s, d in zip(sums, decryption.decrypt(), strict=True)
    ]
    all_totals = totals(
        definition, [StationCount(d.station_id, d.question_id, d.count) for d in decrypted]
    )
    results = Results(
        joint.base,
        QUORUM,
        tuple(decrypted),
        tuple(all_totals),
        tuple(outcomes(definition, all_totals)),
    )
    cast_per_station: dict[str, int] = {}
    for _, outcome in made:
        cast_per_station[outcome.station_id] = (
            cast_per_station.get(outcome.station_id, 0) + outcome.cast
        )
    counts = [
        PollBookCount.sign(
            station_keys.pollbook_keys[s.station_id],
            pkg.public.base,
            s.station_id,
            {
                "voted": cast_per_station.get(s.station_id, 0),
                "checked_in_not_cast": 0,
                "released": 0,
                "cardless": 0,
                "completed_after_release": 0,
            },
        )
        for s in definition.stations
    ]
    say("dev.synth.writing")
    index = write_record(
        out / "record",
        out / "package",
        exports,
        sums,
        tally_key,
        shares_files,
        results,
        counts,
        synthetic=True,
    )
    fingerprint = key_fingerprint(authority.verify_key)
    (out / "authority.txt").write_text(fingerprint + "\n", encoding="ascii")
    return SynthReport(out / "record", fingerprint, index, ballots, len(exports))


def _booth_tasks(
    package: Path,
    definition: Definition,
    ballots: int,
    booth_keys: dict[str, SigningKey],
    seed: int,
) -> Sequence[BoothTask]:
    """The cast ballots spread evenly over the booths (definition order)."""
    booths = [(s.station_id, b) for s in definition.stations for b in s.booths]
    base, extra = divmod(ballots, len(booths))
    return [
        BoothTask(
            package,
            sid,
            b,
            base + (1 if n < extra else 0),
            booth_keys[b].seed(),
            f"{seed}:{b}",
        )
        for n, (sid, b) in enumerate(booths)
    ]


__all__ = ["SynthError", "SynthReport", "synth_definition", "synth_record"]
