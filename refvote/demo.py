"""`refvote demo`: a whole mock referendum through the real system.

The 2021 national referendum's questions (cases 17–20), held today over S synthetic stations
of two booths each; a 3-of-5 key ceremony rehearsed through the trustees' media; demo keys;
the signed election package. Polling day runs through real booths (`booth.driver`): each
booth prints on its own virtual ESC/POS printer on a pty (every piece of paper saved as PNG),
reads the voters' virtual eID cards through pcscd (vsmartcard-vpcd), and asks its station's
poll book over mutual TLS on loopback. Scripted events at the first station: a voter who
tries again at the other booth (already voted), a card-less voter with a one-time code from
the station console (`refvote station issue-code`), a paper-out in the middle of a paper
record (VOID slip, the voter votes again) and a card whose PIN gets blocked. Booths close
(closing report, signed export to the station's medium, read back); each poll book closes
(`refvote station close`, signed count). The tally station imports exports and counts,
prepares the record, collects decryption shares from trustees 1, 3 and 4 (each from its own
medium), publishes the record and the official reports; the independent verifier checks the
record, pinned to the authority's key; the decrypted totals are compared with what the
simulated voters cast. Last, the poll workers sort each booth's printed pieces into its ballot
box (paper records of cast ballots only) and the audit board runs a risk-limiting audit round
at 5% on those boxes (docs/audit.md §8).
"""

from __future__ import annotations

import argparse
import datetime
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from multiprocessing import Queue

    from ballots.definition import Definition, Station
    from ballots.package import ConfidentialPackage, VerifiedPackage
    from booth.driver import BoothRig, CardDeck, Tally, VoterPlan
    from booth.pollbook.server import PollBookServer
    from crypto.signing import SigningKey

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "referendum-2021.toml"
DEMO_PASSPHRASES = [f"demo passphrase of trustee {i}" for i in range(1, 6)]
TURNOUT = 0.7


TAIWAN = datetime.timezone(datetime.timedelta(hours=8))
CARD_PIN = "1234"


def demo_definition_source(stations: int, voters: int, date: datetime.date) -> str:
    """The 2021 questions from examples/, held on `date` (the booths check the voters' cards
    for the polling day), with `stations` synthetic stations."""
    text = EXAMPLE.read_text(encoding="utf-8")
    head = text[: text.index("[[stations]]")]
    eligible = max(voters, math.ceil(voters / TURNOUT))
    counties = ["臺北市", "新北市", "臺中市", "高雄市"]
    head = head.replace('referendum_id = "TW-2021-12-18"', 'referendum_id = "DEMO-2021-12-18"')
    head = head.replace('date = "2021-12-18"', f'date = "{date.isoformat()}"')
    parts = [head]
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


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _station_command(*args: str) -> str:
    """`refvote station …` as a poll worker runs it at the station console."""
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "refvote.cli", "station", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"refvote station {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def _poll_book(
    verified: VerifiedPackage,
    confidential: ConfidentialPackage,
    station_id: str,
    tls_key: Path,
    db: Path,
) -> Iterator[PollBookServer]:
    """The station's poll book on loopback, in a thread of this process."""
    from booth.pollbook.server import PollBookServer

    server = PollBookServer(verified, confidential, station_id, tls_key, db, ("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)


@dataclass(frozen=True)
class StationPlan:
    """Each booth's queue of voters, in the order they come in."""

    station_id: str
    queues: dict[str, list[VoterPlan]]
    events: tuple[str, ...]  # what the scripted voters do, for the reader


def plan_station(
    definition: Definition,
    station_id: str,
    voters: Sequence[str],
    code: str | None,
    seed: int,
) -> StationPlan:
    """Voters alternate between the booths; at the first station (`code` given) four of them
    follow a script."""
    from booth.driver import random_plans

    booths = definition.station(station_id).booths
    plans = random_plans(definition, voters, seed=seed)
    queues: dict[str, list[VoterPlan]] = {b: [] for b in booths}
    events: list[str] = []
    for n, plan in enumerate(plans):
        queues[booths[n % len(booths)]].append(plan)
    if code is not None and len(voters) >= 4 and len(booths) >= 2:
        a, b = booths[0], booths[1]
        first = queues[a][0]
        queues[b].insert(1, replace(first, challenges=0))  # the same card at the other booth
        events.append(f"voter 1 votes at {a}, then tries again at {b}: the poll book refuses")
        queues[b][0] = replace(queues[b][0], identifier=None, code=code)
        events.append(f"voter 2 has no working card: a one-time code from the console, at {b}")
        queues[a][1] = replace(queues[a][1], paper_out=True)
        events.append(f"voter 3 at {a}: the paper runs out mid-record; VOID, votes again")
        queues[b][2] = replace(queues[b][2], wrong_pins=3)
        events.append(f"voter 4 at {b}: three wrong PINs block the card: refused")
    return StationPlan(station_id, queues, tuple(events))


def run_booths(rigs: dict[str, BoothRig], queues: dict[str, list[VoterPlan]]) -> dict[str, Tally]:
    """The booths' queues, one voter from each booth in turn (one card reader for all)."""
    from booth.driver import HeadlessVoter, Tally

    tallies = {b: Tally() for b in rigs}
    voters = {b: HeadlessVoter(rig) for b, rig in rigs.items()}
    for n in range(max(len(q) for q in queues.values())):
        for booth_id, queue in queues.items():
            if n < len(queue):
                voters[booth_id].vote(queue[n], tallies[booth_id])
    return tallies


class PollingDay:
    """The stations' polling day: booths, poll books and station consoles."""

    def __init__(
        self,
        out: Path,
        definition: Definition,
        verified: VerifiedPackage,
        confidential: ConfidentialPackage,
        fingerprint: str,
        booth_keys: dict[str, SigningKey],
        pins: Mapping[str, str],
        voters: Mapping[str, list[str]],
        started: float,
    ) -> None:
        self.voters = voters
        self.out = out
        self.definition = definition
        self.verified = verified
        self.confidential = confidential
        self.fingerprint = fingerprint
        self.booth_keys = booth_keys
        self.pins = pins
        self.started = started
        self.lock = threading.Lock()
        self.expected: dict[tuple[str, str], list[int]] = {}
        self.cast = 0
        self.lines: dict[str, list[str]] = {s.station_id: [] for s in definition.stations}
        self.failures: list[str] = []

    def run_stations(self, stations: Sequence[Station], deck: CardDeck) -> None:
        """These stations one after the other, on one card reader."""
        try:
            for st in stations:
                self.station(st, deck)
        except Exception as exc:
            with self.lock:
                self.failures.append(f"{type(exc).__name__}: {exc}")

    def say(self, sid: str, text: str, stamp: bool = True) -> None:
        when = f"[{time.perf_counter() - self.started:6.1f} s] " if stamp else "    "
        self.lines[sid].append(when + text)

    def station(self, st: Station, deck: CardDeck) -> None:
        from booth.core.session import SessionState
        from booth.driver import BoothRig

        out, sid = self.out, st.station_id
        keys = out / "keys"
        media = out / "media" / sid
        media.mkdir(parents=True)
        station_dir = out / "stations" / sid
        station_dir.mkdir(parents=True)
        db = station_dir / "pollbook.sqlite"
        console = [
            "--package", str(out / "package"), "--authority", self.fingerprint,
            "--station", sid, "--db", str(db),
            "--pin-file", str(keys / "stations" / f"{sid}.pin"),
        ]  # fmt: skip
        worker_pin = self.pins[sid]
        voters = self.voters[sid]
        with _poll_book(
            self.verified, self.confidential, sid, keys / "stations" / f"{sid}.tls.key.pem", db
        ) as server:
            rigs: dict[str, BoothRig] = {}
            try:
                for booth_id in st.booths:
                    rig = BoothRig.create(
                        booth_id=booth_id,
                        signing_key=self.booth_keys[booth_id],
                        folder=out / "booths" / booth_id,
                        verified=self.verified,
                        tls_key=keys / "booths" / f"{booth_id}.tls.key.pem",
                        pollbook_address=server.address,
                        cards=deck,
                        worker_pin=worker_pin,
                    )
                    rigs[booth_id] = rig
                    rig.booth.configure(out / "package", self.fingerprint, worker_pin)
                    rig.booth.open_polls(worker_pin)
                self.say(
                    sid,
                    f"station {sid}: poll book on {server.address[0]}:{server.address[1]}; "
                    f"booths {', '.join(st.booths)} configured and opened "
                    "(開機歸零報表 zero reports printed); cards in "
                    f"{getattr(deck, 'reader', 'the reader')}",
                )
                code = None
                if sid == self.definition.stations[0].station_id:
                    issued = _station_command("issue-code", *console, "--identifier", voters[1])
                    code = issued.rsplit(":", 1)[1].strip()
                    self.say(sid, "station console: one-time code issued for a card-less voter")
                number = [s.station_id for s in self.definition.stations].index(sid)
                plan = plan_station(self.definition, sid, voters, code, seed=2021 + number)
                for line in plan.events:
                    self.say(sid, line, stamp=False)
                tallies = run_booths(rigs, plan.queues)
                for booth_id, rig in rigs.items():
                    tally = tallies[booth_id]
                    written = rig.booth.close_polls(worker_pin, media)
                    c = written.counts
                    refused = sum(o is SessionState.REFUSED for o in tally.outcomes)
                    faults = sum(o is SessionState.PRINTER_FAULT for o in tally.outcomes)
                    pieces = len(rig.virtual.pieces) if rig.virtual is not None else 0
                    self.say(
                        sid,
                        f"{booth_id}: {c.cast} cast, {c.challenged} challenged, "
                        f"{c.voided} voided; {refused} refused, {faults} printer fault(s); "
                        f"{pieces} pieces of paper",
                        stamp=False,
                    )
                    for state, reason in _notable(tally):
                        self.say(sid, f"  {state}: {reason}", stamp=False)
                    with self.lock:
                        for qid, row in tally.counts.items():
                            want = self.expected.setdefault((sid, qid), [0, 0, 0])
                            for i in range(3):
                                want[i] += row[i]
                        self.cast += tally.cast
            finally:
                for rig in rigs.values():
                    rig.close()
        closed = _station_command(
            "close", *console, "--key", str(keys / "stations" / f"{sid}.key.json"),
            "--out", str(media),
        )  # fmt: skip
        self.say(
            sid,
            f"station {sid} closed (關機結算報表 closing reports printed; exports on "
            f"{media}/): " + closed.splitlines()[0].split(": ", 1)[1],
        )


def _station_group(
    day: PollingDay,
    stations: Sequence[Station],
    reader: str,
    cards: Mapping[str, tuple[object, bytes]],
    results: Queue[
        tuple[str, dict[str, list[str]], dict[tuple[str, str], list[int]], int, list[str]]
    ],
) -> None:
    """A child process: these stations' polling day, one after the other, on `reader`."""
    from booth.driver import VpcdCards

    try:
        day.run_stations(stations, VpcdCards(cards, reader, CARD_PIN))
    finally:
        results.put((reader, day.lines, day.expected, day.cast, day.failures))


def _roll_voters(definition: Definition, station_id: str) -> list[str]:
    """The voters who come to `station_id`: the first of its roll (see `run`)."""
    number = [s.station_id for s in definition.stations].index(station_id) + 1
    return [f"Y{number}{i:08d}" for i in range(definition.station(station_id).eligible)]


def run(args: argparse.Namespace) -> int:
    from ballots.definition import load_source
    from ballots.package import build_package, key_fingerprint, verify_confidential, verify_package
    from ballots.station_link import DevStationKeys
    from crypto.files import read_file
    from crypto.hashing import file_fingerprint, group_for_reading
    from crypto.keyfile import write_public_key, write_signing_key
    from crypto.signing import SigningKey
    from hardware.errors import NoReader
    from hardware.idcard.pcscd import pcscd_with_virtual_readers
    from hardware.idcard.testca import TestCA
    from refvote.progress import Progress
    from tally.ceremony import rehearse
    from tally.reports import publish_context, write_reports
    from tally.station import MAX_EXPORT_BYTES, MAX_POLLBOOK_BYTES, TallyStation
    from tally.trustee import TrusteeMedium, accept_package, trustee_decrypt
    from tally.verify import verify_record

    out = Path(args.out)
    if args.stations < 1 or args.voters < 4:
        print("refvote demo: --stations must be at least 1, --voters at least 4", file=sys.stderr)
        return 2
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    s = Steps()
    today = datetime.datetime.now(TAIWAN).date()
    s.say(
        f"refvote demo: 2021 referendum questions (cases 17–20) held today ({today}), "
        f"{args.stations} stations × 2 booths, {args.voters} voters per station; "
        f"everything under {out}/"
    )

    definition = load_source(
        demo_definition_source(args.stations, args.voters, today), "demo definition"
    )
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
    # The chief officer's PIN works the booths and the station console in the demo.
    officer_pins = {sid: pins.officer for sid, pins in station_devices.pins.items()}
    for sid, pin in officer_pins.items():
        _write_private(keys / "stations" / f"{sid}.pin", pin + "\n")
    write_signing_key(keys / "authority.key.json", "authority", "authority", authority)
    write_signing_key(keys / "tally.key.json", "tally", "tally", tally_key)
    write_public_key(keys / "tally.pub.json", "tally", "tally", tally_key.verify_key, demo=True)
    roll = {st.station_id: _roll_voters(definition, st.station_id) for st in definition.stations}
    voters = {sid: ids[: args.voters] for sid, ids in roll.items()}
    from cryptography.hazmat.primitives.serialization import Encoding

    ca = TestCA.create("refvote DEMO eID CA")
    cards: dict[str, tuple[object, bytes]] = {}
    for ids in voters.values():
        for ident in ids:
            key, cert = ca.issue(ident, "ec")
            cards[ident] = (key, cert.public_bytes(Encoding.DER))
    build_package(
        out / "package",
        definition.to_json(),
        out / "ceremony",
        authority,
        tally_key.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [("demo eID CA", ca.certificate.public_bytes(Encoding.DER))],
        roll,
        [("demo revocation snapshot", ca.crl([]).public_bytes(Encoding.DER))],
        station_devices.setup(),
    )
    fingerprint = key_fingerprint(authority.verify_key)
    s.say(f"election package signed; authority key {fingerprint} (demo keys in {keys}/)")
    for t in range(1, 6):
        medium = TrusteeMedium(out / "trustee-media" / f"trustee-{t:02d}")
        pin = accept_package(medium, out / "package", DEMO_PASSPHRASES[t - 1], fingerprint)
    s.say(f"each trustee pinned the package on its medium ({pin.package_read_aloud()})")

    verified = verify_package(out / "package", fingerprint)
    confidential = verify_confidential(
        (out / "package" / "confidential.json").read_bytes(), verified
    )

    s.say(
        "polling day: real booths (投票機), each with its own virtual printer on a pty; "
        "eID cards through pcscd; each station's poll book (選舉人名冊) over mutual TLS"
    )
    readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"]  # vpcd's two readers
    day = PollingDay(
        out,
        definition,
        verified,
        confidential,
        fingerprint,
        booth_keys,
        officer_pins,
        voters,
        s.start,
    )
    groups = [definition.stations[n :: len(readers)] for n in range(len(readers))]
    try:
        with pcscd_with_virtual_readers():
            # The stations vote at the same time, each on its own machine (a process of its
            # own here) with its own card reader.
            forked = multiprocessing.get_context("fork")
            results: Queue[tuple[str, dict[str, list[str]], dict[tuple[str, str], list[int]], int, list[str]]] = forked.Queue()  # fmt: skip  # noqa: E501
            workers = [
                forked.Process(
                    target=_station_group, args=(day, group, reader, cards, results), daemon=True
                )
                for group, reader in zip(groups, readers, strict=True)
                if group
            ]
            for w in workers:
                w.start()
            for _ in workers:
                _, lines, expected_part, cast, failures = results.get(timeout=1200)
                for sid, text in lines.items():
                    day.lines[sid] += text
                for key, row in expected_part.items():
                    want = day.expected.setdefault(key, [0, 0, 0])
                    for i in range(3):
                        want[i] += row[i]
                day.cast += cast
                day.failures += failures
            for w in workers:
                w.join()
    except NoReader as exc:
        print(
            f"refvote demo: {exc}: the demo needs pcscd and vsmartcard-vpcd "
            "(`make apt` as root installs them)",
            file=sys.stderr,
        )
        return 1
    if day.failures:
        for failure in day.failures:
            print(f"refvote demo: polling day failed: {failure}", file=sys.stderr)
        return 1
    for st in definition.stations:
        for line in day.lines[st.station_id]:
            print(line, flush=True)
    expected = day.expected
    s.say(f"  {day.cast} ballots cast in {len(definition.booth_ids())} booths")

    station = TallyStation(out / "tally-workspace")
    station.init(out / "package", fingerprint)
    files = sorted((out / "media").glob("*/*.json"))
    with Progress("import", len(files)) as bar:
        for path in files:
            if path.name.startswith("pollbook-"):
                station.import_pollbook_count(read_file(path, MAX_POLLBOOK_BYTES))
            else:
                station.import_export(read_file(path, MAX_EXPORT_BYTES))
            bar.advance()
    s.say(
        f"tally station: {len(definition.booth_ids())} booth exports and "
        f"{len(definition.stations)} poll-book counts verified and imported from the media"
    )
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
    reports = write_reports(
        publish_context(out / "record", package, results, record_fp, False), out / "reports"
    )
    s.say(f"record published ({group_for_reading(record_fp)}); {len(reports)} report files")

    mismatches = 0
    for d in results.decrypted:
        want = expected.get((d.station_id, d.question_id), [0, 0, 0])
        mismatches += [d.count.yes, d.count.no, d.count.ballots - d.count.yes - d.count.no] != want
    s.say(
        f"decrypted totals {'equal' if not mismatches else 'DIFFER FROM'} "
        "the simulated voters' choices"
    )
    s.say("refvote verify over the record, pinned to the authority's key:")
    ok = verify_record(out / "record", fingerprint)
    site = None
    if ok:
        from tally.site import build_site

        s.say("the public results site, from the verified record:")
        site = build_site(out / "record", fingerprint, out / "site").out / "index.html"
    audited = None
    if ok:
        from refvote.cmd_audit import demo_audit, fill_boxes

        rolls = {b: out / "booths" / b / "paper" for b in definition.booth_ids()}
        papers = sum(fill_boxes(rolls, out / "box").values())
        s.say(
            f"risk-limiting audit at 5%: the poll workers sorted {papers} paper records of cast "
            f"ballots into the boxes ({out / 'box'}/); the board draws from the seed:"
        )
        audited = demo_audit(out / "record", out / "box", fingerprint, out_dir=out / "audit")
        for line in audited.lines:
            print(f"    {line}", flush=True)
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
    print(f"paper:    {out / 'booths'}/<booth>/paper/piece-*.png  (every slip each booth printed)")
    print(f"booth reports: {out / 'booths'}/<booth>/reports/*.pdf  (zero and closing reports)")
    print(f"media:    {out / 'media'}/<station>/  (signed booth exports, poll-book counts)")
    print(
        f"record:   {out / 'record'}/   "
        f'(refvote verify {out / "record"} --authority "{fingerprint}")'
    )
    print(
        f"reports:  {out / 'reports'}/summary-national.pdf, summary-county.pdf, "
        "station-*.pdf, results.csv"
    )
    print(f"trustees: {out / 'trustee-media'}/  (sealed shares; demo passphrases)")
    if site is not None:
        print(f"site:     {site.resolve()}  (open in any browser; works offline)")
    print(f"verify:   {'every check passed' if ok else 'FAILED'}")
    if audited is not None:
        print(f"audit:    {out / 'audit'}/audit.json, audit-report.pdf  (docs/audit.md)")
    boxes_ok = audited is not None and audited.boxes_agree
    return 0 if ok and not mismatches and boxes_ok else 1


def _notable(tally: Tally) -> list[tuple[str, str]]:
    """The sessions that cast nothing, and why (the reasons the booth shows)."""
    from booth.core.session import SessionState

    ended = [o for o in tally.outcomes if o is not SessionState.CAST]
    return [(o.value, r) for o, r in zip(ended, tally.reasons, strict=True)]
