"""Build a small election record end to end, as the tally will: for verifier tests.

Ceremony 3 of 5, a signed package, simulated booths (through the ballots API), sums,
threshold decryption by three trustees, results, and the signed record.
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballots.ballot import Choice, PlaintextBallot, encrypt_ballot
from ballots.chain import chain_close, replay
from ballots.definition import Definition, load_source
from ballots.export import BoothExport, ExportBuilder
from ballots.manual_count import ManualCount, QuestionCount, add_manual
from ballots.package import build_package, verify_package
from ballots.pollbook_count import PollBookCount
from ballots.record import FINAL, DecryptedCount, RecordIndex, Results, SharesFile, write_record
from ballots.results import Count, StationCount, compute_sums, outcomes, totals
from ballots.station_link import DevStationKeys
from crypto.ceremony.rehearsal import open_ceremony, rehearse
from crypto.ceremony.sealed_share import unseal_key_share
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.hashing import file_fingerprint
from crypto.signing import SigningKey
from crypto.threshold import PACKING_BASE, ThresholdDecryption, partial_decrypt
from tally.verify import verify_record

DEFINITION = """
referendum_id = "test-2021"
date = "2021-12-18"
title_zh = "全國性公民投票（測試）"
title_en = "National referendum (test)"

[[questions]]
question_id = "17"
case_number = "第17案"
short_title_zh = "核四啟封"
short_title_en = "Unsealing Nuclear Plant 4"
text_zh = "您是否同意核四啟封商轉發電？"
text_en = "Do you agree to unseal and commercially operate the Fourth Nuclear Power Plant?"
english_unofficial = true

[[questions]]
question_id = "18"
case_number = "第18案"
short_title_zh = "萊劑豬肉進口"
short_title_en = "Ractopamine pork imports"
text_zh = "你是否同意政府應全面禁止進口含有萊克多巴胺之乙型受體素豬隻之肉品、內臟及其相關產製品？"
text_en = "Do you agree that the government should ban imports of pork containing ractopamine?"
english_unofficial = true

[[stations]]
station_id = "S1"
name = "測試國小"
county = "臺北市"
township = "中正區"
eligible = 40
booths = ["S1-A", "S1-B"]

[[stations]]
station_id = "S2"
name = "測試國中"
county = "新北市"
township = "板橋區"
eligible = 30
booths = ["S2-A"]
"""

PASSPHRASES = [f"trustee passphrase {i}" for i in range(1, 6)]


@dataclass
class BuiltRecord:
    folder: Path
    package_folder: Path
    authority: SigningKey
    tally_key: SigningKey
    trustee_keys: list[SigningKey]
    booth_keys: dict[str, SigningKey]
    exports: list[BoothExport]
    cast_choices: list[tuple[str, dict[str, Choice]]]  # (station_id, choices) of cast ballots
    pollbook_keys: dict[str, SigningKey] = dataclasses.field(default_factory=dict)


def build_record(
    tmp: Path,
    *,
    ballots: int = 50,
    challenged: int = 3,
    voided: int = 1,
    quorum: tuple[int, ...] = (1, 3, 4),
    final: bool = True,
    seed: int = 7,
    ignore_turnout: bool = False,
    pollbook: tuple[str, ...] = (),
    manual: tuple[str, ...] = (),
) -> BuiltRecord:
    """A signed record. `ignore_turnout`: the sums are computed as if every station had room
    for all its ballots, so a record with more cast ballots than eligible can be written (and
    re-signed by every key) for the verifier to refuse; only with `final=False`."""
    assert not (ignore_turnout and final)
    rng = random.Random(seed)
    definition = load_source(DEFINITION)
    trustees = [SigningKey.generate() for _ in range(5)]
    params = open_ceremony(
        definition.manifest_hash(), 3, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
    )
    ceremony = rehearse(params, trustees, PASSPHRASES)
    ceremony.files.write(tmp / "ceremony")
    authority, tally_key = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
    roll = {
        s.station_id: [f"A{s.station_id}{n:08d}" for n in range(s.eligible)]
        for s in definition.stations
    }
    package_folder = tmp / "package"
    station_keys = DevStationKeys.generate(definition)
    build_package(
        package_folder,
        definition.to_json(),
        tmp / "ceremony",
        authority,
        tally_key.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [],
        roll,
        [],
        station_keys.setup(),
    )
    ctx = verify_package(package_folder).context

    builders = {}
    for s in definition.stations:
        for b in s.booths:
            builders[b] = ExportBuilder(
                ctx.manifest_hash, ctx.base, s.station_id, b, rng.randbytes(32)
            )
    booths = list(builders)
    cast_choices = []
    by_booth: dict[str, list[dict[str, Choice]]] = {}
    plan = ["challenge"] * challenged + ["void"] * voided + ["cast"] * ballots
    rng.shuffle(plan)
    for action in plan:
        booth = rng.choice(booths)
        station_id = definition.station_of_booth(booth).station_id
        choices = {
            q: rng.choice(list(Choice)) for q in definition.question_ids() if rng.random() < 0.85
        }
        if not choices:
            choices = {"17": Choice.BLANK}
        plain = PlaintextBallot(choices)
        ballot, nonces = encrypt_ballot(ctx, station_id, booth, plain)
        builders[booth].fix(ballot)
        if action == "cast":
            builders[booth].cast()
            cast_choices.append((station_id, choices))
            by_booth.setdefault(booth, []).append(choices)
        elif action == "challenge":
            builders[booth].challenge(nonces.reveal(plain, ctx))
        else:
            builders[booth].void()
    exports = [builders[b].close(booth_keys[b]) for b in booths if b not in manual]
    # `manual`: booths whose export is lost; their boxes' papers counted by hand (issue 11).
    hand_counts = [_hand_count(definition, ctx.base, authority, b, by_booth) for b in manual]

    roomy = dataclasses.replace(
        definition,
        stations=tuple(
            dataclasses.replace(s, eligible=PACKING_BASE - 1) for s in definition.stations
        ),
    )
    sums = compute_sums(
        roomy if ignore_turnout else definition,
        [b.ballot for e in exports for b in e.ballots if b.status.value == "cast"],
    )
    shares_files, results = [], None
    if final:
        joint = ceremony.joint_key
        decryption = ThresholdDecryption(joint, [(s.ciphertext, s.ballots) for s in sums])
        for t in quorum:
            with unseal_key_share(
                ceremony.sealed_shares[t - 1], PASSPHRASES[t - 1], joint.public_share(t)
            ) as share:
                partials = partial_decrypt(share, [s.ciphertext for s in sums], joint.base)
            decryption.add(t, partials)
            shares_files.append(SharesFile.sign(trustees[t - 1], joint.base, t, partials, sums))
        decrypted = [
            DecryptedCount(s.station_id, s.question_id, d.packed, Count(d.ballots, d.yes, d.no))
            for s, d in zip(sums, decryption.decrypt(), strict=True)
        ]
        all_totals = totals(
            definition,
            add_manual(
                [StationCount(d.station_id, d.question_id, d.count) for d in decrypted],
                hand_counts,
            ),
        )
        results = Results(
            joint.base,
            tuple(sorted(quorum)[:3]),
            tuple(decrypted),
            tuple(all_totals),
            tuple(outcomes(definition, all_totals)),
            tuple(h.booth_id for h in hand_counts),
        )
    # The poll-book counts of the stations named in `pollbook`: voted = the station's casts.
    counts = [
        PollBookCount.sign(
            station_keys.pollbook_keys[sid],
            ctx.base,
            sid,
            {
                "voted": sum(1 for station_id, _ in cast_choices if station_id == sid),
                "checked_in_not_cast": 1,
                "released": 0,
                "cardless": 0,
                "completed_after_release": 0,
            },
        )
        for sid in pollbook
    ]
    folder = tmp / "record"
    write_record(
        folder, package_folder, exports, sums, tally_key, shares_files, results, counts, hand_counts
    )
    return BuiltRecord(
        folder,
        package_folder,
        authority,
        tally_key,
        trustees,
        booth_keys,
        exports,
        cast_choices,
        dict(station_keys.pollbook_keys),
    )


def _hand_count(
    definition: Definition,
    base: bytes,
    authority: SigningKey,
    booth_id: str,
    by_booth: dict[str, list[dict[str, Choice]]],
) -> ManualCount:
    """The box of `booth_id` counted by hand: each cast ballot's paper, declined where the
    voter took no part in a question; signed by the authority."""
    papers = by_booth.get(booth_id, [])
    counts = []
    for qid in definition.question_ids():
        answers = [p.get(qid) for p in papers]
        yes, no, blank = (answers.count(c) for c in (Choice.YES, Choice.NO, Choice.BLANK))
        counts.append(QuestionCount(qid, yes, no, blank, len(papers) - yes - no - blank))
    return ManualCount.sign(
        authority, definition, base, booth_id, len(papers), "export and mirror lost", tuple(counts)
    )


def expected_counts(built: BuiltRecord) -> dict[tuple[str, str], tuple[int, int, int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for station_id, choices in built.cast_choices:
        for q, c in choices.items():
            row = out.setdefault((station_id, q), [0, 0, 0])
            row[{Choice.YES: 0, Choice.NO: 1, Choice.BLANK: 2}[c]] += 1
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


# Running the verifier and re-signing mutations -------------------------------------------


def run(
    folder: Path,
    authority: str | None = None,
    *,
    expect: str | None = FINAL,
    until: str | None = None,
) -> tuple[bool, str]:
    out = io.StringIO()
    ok = verify_record(folder, authority, out, expect=expect, until=until)
    return ok, out.getvalue()


def failed_check(output: str) -> str:
    for line in output.splitlines():
        if "FAILED" in line:
            return line.split()[0]
    return "none"


def edit(folder: Path, relative: str, change: Callable[[Any], None]) -> None:
    path = folder / relative
    obj = parse_canonical_json(path.read_bytes())
    change(obj)
    path.write_bytes(canonical_json(obj))


def resign_export(
    folder: Path, booth_id: str, key: SigningKey, recompute_close: bool = True
) -> None:
    """The booth re-signs its (altered) export, by default recomputing its closing code."""
    path = folder / f"booths/{booth_id}.json"
    obj = parse_canonical_json(path.read_bytes())
    obj["signature"] = "00" * 64
    export = BoothExport.from_json(canonical_json(obj))
    close = export.close
    if recompute_close:
        last = replay(export.base, booth_id, export.opening_nonce, export.chain).last
        close = chain_close(
            last, export.counts.cast, export.counts.challenged, export.counts.voided
        )
    unsigned = BoothExport(**{**export.__dict__, "close": close, "signature": b""})
    signed = BoothExport(
        **{**unsigned.__dict__, "signature": key.sign("export", *unsigned.payload())}
    )
    path.write_bytes(signed.to_json())


def resign_index(folder: Path, key: SigningKey, state: str | None = None) -> None:
    """The tally station re-signs the index over the regular files as they now are
    (optionally declaring another state)."""
    old = RecordIndex.from_json((folder / "index.json").read_bytes())
    files = tuple(
        sorted(
            (str(p.relative_to(folder)), file_fingerprint(p.read_bytes()))
            for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink() and p.name != "index.json"
        )
    )
    unsigned = RecordIndex(old.manifest_hash, old.base, state or old.state, files, b"")
    signed = RecordIndex(
        **{**unsigned.__dict__, "signature": key.sign("record", *unsigned.payload())}
    )
    (folder / "index.json").write_bytes(signed.to_json())


__all__ = [
    "PACKING_BASE",
    "BuiltRecord",
    "build_record",
    "edit",
    "expected_counts",
    "failed_check",
    "resign_export",
    "resign_index",
    "run",
]
