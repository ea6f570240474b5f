"""`refvote demo`: a whole mock referendum, through as much of the real system as exists.

The 2021 national referendum (cases 17–20) over S synthetic stations of two booths each;
a 3-of-5 key ceremony rehearsed through the trustees' media; demo keys; the signed election
package; simulated booths (until the booth exists) writing signed exports to media; the tally
station importing them, preparing the record, collecting decryption shares from trustees 1,
3 and 4 (each from its own medium), publishing the record and the official reports; and the
independent verifier over the record, pinned to the authority's key.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "referendum-2021.toml"
DEMO_PASSPHRASES = [f"demo passphrase of trustee {i}" for i in range(1, 6)]
TURNOUT = 0.7


def demo_definition_source(stations: int, voters: int) -> str:
    """The 2021 questions from examples/, with `stations` synthetic stations."""
    text = EXAMPLE.read_text(encoding="utf-8")
    head = text[: text.index("[[stations]]")]
    eligible = max(voters, math.ceil(voters / TURNOUT))
    counties = ["臺北市", "新北市", "臺中市", "高雄市"]
    parts = [head.replace('referendum_id = "TW-2021-12-18"', 'referendum_id = "DEMO-2021-12-18"')]
    for n in range(1, stations + 1):
        sid = f"D{n:03d}"
        parts.append(
            f'[[stations]]\nstation_id = "{sid}"\nname = "示範投開票所 {n:03d}"\n'
            f'county = "{counties[(n - 1) % len(counties)]}"\n'
            f'township = "示範區{(n - 1) // len(counties) + 1:02d}"\n'
            f'eligible = {eligible}\nbooths = ["{sid}-A", "{sid}-B"]\n\n'
        )
    return "".join(parts)


class Steps:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def say(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f} s] {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    from ballots.definition import load_source
    from ballots.package import build_package, key_fingerprint, verify_package
    from crypto.hashing import file_fingerprint, group_for_reading
    from crypto.keyfile import write_public_key, write_signing_key
    from crypto.signing import SigningKey
    from refvote.progress import Progress
    from tally.ceremony import rehearse
    from tally.reports import ReportContext, write_reports
    from tally.simulate import simulate_station_day
    from tally.station import TallyStation
    from tally.trustee import TrusteeMedium, trustee_decrypt
    from tally.verify import verify_record

    out = Path(args.out)
    if args.stations < 1 or args.voters < 1:
        print("refvote demo: --stations and --voters must be at least 1", file=sys.stderr)
        return 2
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    s = Steps()
    s.say(
        f"refvote demo: 2021 referendum (cases 17–20), {args.stations} stations × 2 booths, "
        f"{args.voters} voters per station; everything under {out}/"
    )

    definition = load_source(demo_definition_source(args.stations, args.voters), "demo definition")
    (out / "definition.json").write_bytes(definition.to_json())
    s.say(f"definition frozen: manifest hash {group_for_reading(definition.manifest_hash())}")

    s.say("key ceremony 3 of 5 (REHEARSAL: all trustees on this machine, through their media)")
    rehearse(
        out / "ceremony", out / "trustee-media", definition.manifest_hash(), 5, 3, DEMO_PASSPHRASES
    )

    keys = out / "keys"
    authority, tally_key = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
    write_signing_key(keys / "authority.key.json", "authority", "authority", authority)
    write_signing_key(keys / "tally.key.json", "tally", "tally", tally_key)
    write_public_key(keys / "tally.pub.json", "tally", "tally", tally_key.verify_key)
    roll = {
        st.station_id: [f"Z{st.station_id}{i:06d}" for i in range(st.eligible)]
        for st in definition.stations
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
    )
    fingerprint = key_fingerprint(authority.verify_key)
    s.say(f"election package signed; authority key {fingerprint} (demo keys in {keys}/)")

    ctx = verify_package(out / "package", fingerprint).context
    s.say("polling day: simulated booths (the real booth comes in a later issue)")
    exports, expected = simulate_station_day(ctx, booth_keys, args.voters)
    for e in exports:
        media = out / "booth-media" / e.booth_id
        media.mkdir(parents=True)
        (media / "export.json").write_bytes(e.to_json())
    s.say(
        f"  {expected.cast} ballots cast, {expected.challenged} challenged, "
        f"{expected.voided} voided "
        f"in {len(exports)} booths"
    )

    station = TallyStation(out / "tally-workspace")
    station.init(out / "package", fingerprint)
    with Progress("import", len(exports)) as bar:
        for e in exports:
            station.import_export((out / "booth-media" / e.booth_id / "export.json").read_bytes())
            bar.advance()
    s.say(f"tally station: {len(exports)} booth exports verified and imported")
    station.prepare(out / "record-for-trustees", tally_key)
    for t in (1, 3, 4):
        medium = TrusteeMedium(out / "trustee-media" / f"trustee-{t:02d}")
        _, path = trustee_decrypt(medium, out / "record-for-trustees", DEMO_PASSPHRASES[t - 1])
        station.accept_shares(path.read_bytes())
    s.say(
        "trustees 1, 3 and 4 verified the record and gave decryption shares, "
        "each from its own medium"
    )

    _, results = station.publish(out / "record", tally_key)
    package = verify_package(out / "record" / "package")
    record_fp = file_fingerprint((out / "record" / "index.json").read_bytes())
    names = {t.index: t.name for t in package.joint_key.params.trustees}
    reports = write_reports(
        ReportContext(definition, results, definition.manifest_hash(), record_fp, names, False),
        out / "reports",
    )
    s.say(f"record published ({group_for_reading(record_fp)}); {len(reports)} report files")

    mismatches = 0
    for d in results.decrypted:
        want = expected.counts.get((d.station_id, d.question_id), [0, 0, 0])
        mismatches += [d.count.yes, d.count.no, d.count.blank] != want
    s.say(
        f"decrypted totals {'equal' if not mismatches else 'DIFFER FROM'} "
        "the simulated voters' choices"
    )
    s.say("refvote verify over the record, pinned to the authority's key:")
    ok = verify_record(out / "record", fingerprint)
    print()
    print("Results (national, Art. 29 of the Referendum Act):")
    for qid, o in results.outcomes:
        q = definition.question(qid)
        print(
            f"  {q.case_number} {q.short_title_zh:<8} yes {o.yes:>6,}  no {o.no:>6,}  "
            f"threshold {o.threshold:>6,}"
            f"  {'PASSED' if o.passed else 'FAILED'}"
        )
    print()
    print(
        f"record:   {out / 'record'}/   "
        f'(refvote verify {out / "record"} --authority "{fingerprint}")'
    )
    print(
        f"reports:  {out / 'reports'}/summary-national.pdf, summary-county.pdf, "
        "station-*.pdf, results.csv"
    )
    print(f"trustees: {out / 'trustee-media'}/  (sealed shares; demo passphrases)")
    return 0 if ok and not mismatches else 1
