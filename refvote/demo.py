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


class DemoCards:
    """Three test eID cards: two good ones, one revoked in the revocation snapshot."""

    def __init__(self, ca, cards, crl) -> None:  # type: ignore[no-untyped-def]
        from cryptography.hazmat.primitives.serialization import Encoding

        self.ca = ca
        self.cards = cards
        self.serials = [serial for serial, _, _ in cards]
        self.ca_der = ca.certificate.public_bytes(Encoding.DER)
        self.crl_der = crl.public_bytes(Encoding.DER)
        self.crl = crl

    @classmethod
    def create(cls) -> DemoCards:
        from hardware.idcard.testca import TestCA

        ca = TestCA.create("refvote DEMO eID CA")
        cards = []
        for n, kind in enumerate(("rsa", "ec", "ec"), start=1):
            serial = f"Y9{n:08d}"
            key, cert = ca.issue(serial, kind)
            cards.append((serial, key, cert))
        return cls(ca, cards, ca.crl([cards[2][2]]))


def check_in_with_cards(
    cards: DemoCards, roll: frozenset[bytes], roll_key: bytes, date: str
) -> list[str]:
    """Each card through pcscd: certificate, revocation, PIN, challenge; then the roll.

    Nothing identifying is printed: only the card's number in this demo and the outcome.
    """
    import datetime

    from cryptography.hazmat.primitives.serialization import Encoding

    from ballots.package import roll_hash
    from hardware.errors import CardError, NoReader, PinWrong
    from hardware.idcard.eid import read_identity
    from hardware.idcard.pcscd import pcscd_with_virtual_readers
    from hardware.idcard.reader import PcscReader
    from hardware.idcard.virtual_card import VirtualCard

    lines = []
    # The demo's definition is dated 2021 and its test cards are valid around today: the demo
    # checks them for today (a real booth checks the polling day of its definition).
    _ = date
    today = datetime.date.today()
    try:
        with pcscd_with_virtual_readers():
            reader = PcscReader("Virtual PCD 00 00")
            for n, (_, key, cert) in enumerate(cards.cards, start=1):
                card = VirtualCard(key, cert.public_bytes(Encoding.DER))
                card.insert()
                _wait(reader.card_present, "the card")
                channel = reader.connect()
                try:
                    if n == 2:
                        try:
                            read_identity(
                                channel, "0000", [cards.ca.certificate], [cards.crl], today
                            )
                        except PinWrong as exc:
                            lines.append(f"card {n}: {exc}")
                    holder = read_identity(
                        channel, "1234", [cards.ca.certificate], [cards.crl], today
                    )
                    eligible = roll_hash(roll_key, holder.identifier) in roll
                    lines.append(
                        f"card {n}: certificate, revocation, PIN and challenge signature ok; "
                        f"{'on the roll: eligible' if eligible else 'NOT on the roll'}"
                    )
                except CardError as exc:
                    lines.append(f"card {n}: refused: {exc}")
                finally:
                    channel.close()
                    card.remove()
                    _wait(lambda: not reader.card_present(), "the card to be gone")
    except NoReader as exc:
        lines.append(f"skipped: {exc} (run as root with pcscd and vsmartcard-vpcd installed)")
    return lines


def _wait(condition, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


class PaperDesk:
    """One booth's virtual printer: each ballot's paper record, then its receipt.

    The fourth paper record runs out of paper half way: the ballot is voided, a poll worker
    replaces the roll, and the voter votes again, as the booth will.
    """

    def __init__(self, folder: Path, definition) -> None:  # type: ignore[no-untyped-def]
        from hardware.printer.driver import ThermalPrinter
        from hardware.printer.job import PrinterProfile
        from hardware.printer.virtual_printer import VirtualPrinter

        self.definition = definition
        self.virtual = VirtualPrinter(folder)
        self.driver = ThermalPrinter(
            self.virtual.port, PrinterProfile(status_timeout=0.5, job_timeout=10)
        )
        self.count = 0
        self.log: list[str] = []

    def print(self, booth_id, plaintext, ballot, code) -> bool:  # type: ignore[no-untyped-def]
        from ballots.paper import paper_record, receipt
        from booth.paper import paper_record_job, receipt_job
        from hardware.errors import PrintFailed

        self.count += 1
        record = paper_record_job(
            paper_record(self.definition, plaintext, False), self.driver.profile
        )
        if self.count == 4:
            self.virtual.paper_out_at = self.virtual.received + len(record.to_bytes()) // 2
        try:
            self.driver.print_job(record)
        except PrintFailed as exc:
            self.log.append(
                f"paper record {self.count}: {exc}: ballot voided, roll replaced, "
                "the voter votes again"
            )
            self.virtual.replace_paper()
            return False
        self.driver.print_job(
            receipt_job(receipt(self.definition, code, False), self.driver.profile)
        )
        return True

    def close(self) -> None:
        self.log.append(
            f"{len(self.virtual.pieces)} pieces of paper rendered to {self.virtual.folder}/"
        )
        self.driver.close()
        self.virtual.close()


class Steps:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def say(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f} s] {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    from ballots.definition import load_source
    from ballots.package import build_package, key_fingerprint, verify_confidential, verify_package
    from ballots.station_link import DevStationKeys
    from crypto.hashing import file_fingerprint, group_for_reading
    from crypto.keyfile import write_public_key, write_signing_key
    from crypto.signing import SigningKey
    from refvote.progress import Progress
    from tally.ceremony import rehearse
    from tally.reports import ReportContext, write_reports
    from tally.simulate import simulate_station_day
    from tally.station import TallyStation
    from tally.trustee import TrusteeMedium, accept_package, trustee_decrypt
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
    with Progress("ceremony", 4 * 5) as bar:
        rehearse(
            out / "ceremony",
            out / "trustee-media",
            definition.manifest_hash(),
            5,
            3,
            DEMO_PASSPHRASES,
            on_step=bar.advance,
        )

    keys = out / "keys"
    authority, tally_key = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
    station_devices = DevStationKeys.generate(definition)
    station_devices.write(keys)
    write_signing_key(keys / "authority.key.json", "authority", "authority", authority)
    write_signing_key(keys / "tally.key.json", "tally", "tally", tally_key)
    write_public_key(keys / "tally.pub.json", "tally", "tally", tally_key.verify_key)
    roll = {
        st.station_id: [f"Z{st.station_id}{i:06d}" for i in range(st.eligible)]
        for st in definition.stations
    }
    cards = DemoCards.create()
    first_station = definition.stations[0].station_id
    roll[first_station][: len(cards.serials)] = cards.serials  # the card holders are on the roll
    build_package(
        out / "package",
        definition.to_json(),
        out / "ceremony",
        authority,
        tally_key.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [("demo eID CA", cards.ca_der)],
        roll,
        [("demo revocation snapshot", cards.crl_der)],
        station_devices.setup(),
    )
    fingerprint = key_fingerprint(authority.verify_key)
    s.say(f"election package signed; authority key {fingerprint} (demo keys in {keys}/)")
    for t in range(1, 6):
        medium = TrusteeMedium(out / "trustee-media" / f"trustee-{t:02d}")
        pin = accept_package(medium, out / "package", DEMO_PASSPHRASES[t - 1], fingerprint)
    s.say(f"each trustee pinned the package on its medium ({pin.package_read_aloud()})")

    verified = verify_package(out / "package", fingerprint)
    ctx = verified.context
    confidential = verify_confidential(
        (out / "package" / "confidential.json").read_bytes(), verified
    )
    first = definition.stations[0]
    s.say(f"check-in at station {first.station_id} with virtual eID cards through pcscd:")
    for line in check_in_with_cards(
        cards, confidential.roll_of(first.station_id), confidential.roll_key, definition.date
    ):
        print(f"    {line}", flush=True)

    booth = first.booths[0]
    s.say(f"polling day: simulated voters; booth {booth} prints on a virtual ESC/POS printer (pty)")
    paper = PaperDesk(out / "paper" / booth, definition)
    try:
        exports, expected = simulate_station_day(
            ctx, booth_keys, args.voters, printers={booth: paper.print}
        )
    finally:
        paper.close()
    for line in paper.log:
        print(f"    {line}", flush=True)
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
        _, path = trustee_decrypt(
            medium, out / "record-for-trustees", DEMO_PASSPHRASES[t - 1], fingerprint
        )
        station.accept_shares(path.read_bytes())
    s.say(
        "trustees 1, 3 and 4 verified the record against the package pinned on their media "
        "and gave decryption shares, each from its own medium"
    )

    with Progress("dlog table", 256) as bar:
        _, results = station.publish(out / "record", tally_key, on_table_row=bar.advance)
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
