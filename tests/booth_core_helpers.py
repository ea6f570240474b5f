"""A booth on a bench, for the booth core's unit tests.

A real election package (ceremony rehearsed, signed), real eID checks against in-process
virtual cards (the card's APDUs answered in this process, no pcscd), the real printer driver
on a pty to the virtual printer, and an in-memory poll book stand-in. The lead's headless
driver wires the real pcscd card and the TLS poll book instead; the core is the same.
"""

from __future__ import annotations

import datetime
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from ballots.definition import load_source
from ballots.package import build_package, key_fingerprint, roll_hash
from ballots.pins import Role, StationPins
from ballots.station_link import DevStationKeys
from booth.auth import Authorization, TwoPersonAuthorization
from booth.booth import Booth, BoothParts
from booth.core.pollbook import (
    AlreadyVoted,
    CodeInvalid,
    InProgressElsewhere,
    NotOnRoll,
    PollBookUnreachable,
)
from booth.core.polls import PollsReport
from booth.core.session import Timeouts
from booth.errors import AuthenticationFailed
from booth.eventlog import EventCode, EventLog, encode_details
from crypto.ceremony.rehearsal import open_ceremony, rehearse
from crypto.signing import SigningKey
from hardware.errors import NoCard, PrintFailed
from hardware.idcard.apdu import Command, Response
from hardware.idcard.testca import TestCA
from hardware.idcard.virtual_card import VirtualCard
from hardware.printer.driver import ThermalPrinter
from hardware.printer.job import PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter

TODAY = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()

DEFINITION = f"""
referendum_id = "booth-test"
date = "{TODAY.isoformat()}"
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
text_zh = "你是否同意政府應全面禁止進口含有萊克多巴胺之乙型受體素豬隻之肉品？"
text_en = "Do you agree that the government should ban imports of pork containing ractopamine?"
english_unofficial = true

[[stations]]
station_id = "S1"
name = "測試國小"
county = "臺北市"
township = "中正區"
eligible = 12
booths = ["S1-A", "S1-B"]
"""

WORKER_PINS = ("111111", "222222")
PASSPHRASES = ["pass one", "pass two"]
CARD_PIN = "1234"
VOTERS = [f"A1{n:08d}" for n in range(10)]  # on the roll
REVOKED = "A100000010"  # on the roll, card revoked
STRANGER = "B200000000"  # a valid card, not on this station's roll


@dataclass
class Election:
    """Built once per test module: the package and the cards."""

    folder: Path
    authority: SigningKey
    fingerprint: str
    booth_keys: dict[str, SigningKey]
    roll_key: bytes
    ca: TestCA
    cards: dict[str, tuple[object, bytes]]  # identifier → (key, certificate DER)
    station_pins: dict[str, StationPins]  # the package's poll-worker PINs per station
    ceremony: object = None  # the rehearsed ceremony (sealed shares, joint key)
    tally_key: SigningKey | None = None
    devices: DevStationKeys | None = None
    keys: Path | None = None  # DevStationKeys.write layout (TLS keys for the poll book)
    trustee_keys: tuple[SigningKey, ...] = ()


def build_election(
    tmp: Path, source: str = DEFINITION, voters: list[str] | None = None
) -> Election:
    """The package and cards; `voters` (with `source`) replaces the default roll."""
    definition = load_source(source)
    trustees = [SigningKey.generate() for _ in range(2)]
    params = open_ceremony(
        definition.manifest_hash(), 2, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
    )
    ceremony = rehearse(params, trustees, PASSPHRASES)
    ceremony.files.write(tmp / "ceremony")
    authority, tally = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
    ca = TestCA.create()
    cards = {}
    for ident in [*(voters or VOTERS), REVOKED, STRANGER]:
        key, cert = ca.issue(ident, "ec")
        cards[ident] = (key, cert.public_bytes(Encoding.DER))
    from cryptography import x509

    revoked_cert = x509.load_der_x509_certificate(cards[REVOKED][1])
    crl = ca.crl([revoked_cert])
    roll = {"S1": [*VOTERS, REVOKED, "A1FILLER01"]} if voters is None else {"S1": voters}
    devices = DevStationKeys.generate(definition)
    _, confidential = build_package(
        tmp / "package",
        definition.to_json(),
        tmp / "ceremony",
        authority,
        tally.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [("test CA", ca.certificate.public_bytes(Encoding.DER))],
        roll,
        [("test CA", crl.public_bytes(Encoding.DER))],
        devices.setup(),
    )
    return Election(
        tmp / "package",
        authority,
        key_fingerprint(authority.verify_key),
        booth_keys,
        confidential.roll_key,
        ca,
        cards,
        dict(devices.pins),
        ceremony,
        tally,
        devices,
        None,
        tuple(trustees),
    )


# Stand-ins -----------------------------------------------------------------------------------


class InProcessChannel:
    """A CardChannel to a VirtualCard answering in this process."""

    def __init__(self, slot: CardSlotStandIn) -> None:
        self.slot = slot

    def transmit(self, command: Command) -> Response:
        card = self.slot.card
        if card is None:
            from hardware.errors import CardRemoved

            raise CardRemoved("the card was pulled out during the command")
        return Response.parse(card.answer(command.to_bytes()))

    def close(self) -> None:
        pass


class CardSlotStandIn:
    def __init__(self) -> None:
        self.card: VirtualCard | None = None

    def insert(self, election: Election, identifier: str, pin: str = CARD_PIN) -> VirtualCard:
        key, der = election.cards[identifier]
        self.card = VirtualCard(key, der, pin=pin)  # type: ignore[arg-type]
        return self.card

    def pull(self) -> None:
        self.card = None

    def connect(self) -> InProcessChannel:
        if self.card is None:
            raise NoCard("no card in the reader")
        return InProcessChannel(self)


class PollBookStandIn:
    """In memory, for unit tests of the core only: the real one is booth/pollbook over TLS."""

    def __init__(self, election: Election) -> None:
        self.roll = {roll_hash(election.roll_key, v) for v in [*VOTERS, REVOKED]}
        self.state: dict[bytes, str] = {}  # roll hash → in_progress | voted
        self.sessions: dict[bytes, bytes] = {}  # S → roll hash
        self.codes: set[str] = set()
        self.reachable = True
        self.seen_roll_hashes: list[bytes] = []
        self.issued: list[bytes] = []
        self.completed: list[bytes] = []
        self.aborted: list[bytes] = []
        self.reports: list[frozenset[bytes]] = []
        self.releasable: set[bytes] = set()

    def _link(self) -> None:
        if not self.reachable:
            raise PollBookUnreachable("the station link is down")

    def check_in(self, roll_hash_: bytes) -> bytes:
        self._link()
        self.seen_roll_hashes.append(roll_hash_)
        if roll_hash_ not in self.roll:
            raise NotOnRoll("not on this station's roll")
        match self.state.get(roll_hash_):
            case "voted":
                raise AlreadyVoted("already voted")
            case "in_progress":
                raise InProgressElsewhere("S1-B")
        session = os.urandom(16)
        self.state[roll_hash_] = "in_progress"
        self.sessions[session] = roll_hash_
        self.issued.append(session)
        return session

    def check_in_code(self, code: str) -> bytes:
        self._link()
        if code not in self.codes:
            raise CodeInvalid("unknown or used code")
        self.codes.discard(code)
        session = os.urandom(16)
        self.sessions[session] = b"code:" + code.encode()
        self.issued.append(session)
        return session

    def complete(self, session: bytes) -> None:
        self._link()
        self.completed.append(session)
        key = self.sessions.get(session)
        if key is not None:
            self.state[key] = "voted"

    def abort(self, session: bytes) -> None:
        self._link()
        self.aborted.append(session)
        key = self.sessions.pop(session, None)
        if key is not None and self.state.get(key) == "in_progress":
            del self.state[key]

    def report_outbox(self, sessions: object) -> int:
        self._link()
        outbox = set(sessions)  # type: ignore[call-overload]
        self.reports.append(frozenset(outbox))
        stuck = [s for s, k in self.sessions.items() if self.state.get(k) == "in_progress"]
        self.releasable |= {s for s in stuck if s not in outbox}
        return len(stuck)

    def voted(self) -> int:
        return sum(1 for s in self.state.values() if s == "voted") + sum(
            1 for s, k in self.sessions.items() if k.startswith(b"code:") and s in self.completed
        )


class Workers:
    """A stand-in for booth.auth.PollWorkerAuth without Argon2id: WORKER_PINS are the chief
    officer's and the chief supervisor's PINs."""

    def __init__(self) -> None:
        self.refused = 0

    def authenticate_any(self, pin: str) -> Authorization:
        if pin not in WORKER_PINS:
            self.refused += 1
            raise AuthenticationFailed("wrong poll-worker PIN")
        return Authorization("S1", list(Role)[WORKER_PINS.index(pin)])

    def authenticate_two(self, officer_pin: str, supervisor_pin: str) -> TwoPersonAuthorization:
        if (officer_pin, supervisor_pin) != WORKER_PINS:
            self.refused += 1
            raise AuthenticationFailed("wrong poll-worker PINs")
        return TwoPersonAuthorization("S1")


class Reports:
    def __init__(self) -> None:
        self.printed: list[PollsReport] = []
        self.reprinted: list[PollsReport] = []
        self.fail = False

    def print_report(self, report: PollsReport, definition: object) -> None:
        if self.fail:
            raise PrintFailed("paper out", "report")
        self.printed.append(report)

    def reprint_last(self) -> object:
        if self.fail:
            raise PrintFailed("paper out", "report")
        if not self.printed:
            return None
        self.reprinted.append(self.printed[-1])
        return self.printed[-1].kind


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime.datetime:
        return datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=self.t
        )


class Log:
    """The real event log file (booth.eventlog), and what was appended, for assertions."""

    def __init__(self) -> None:
        self.events: list[tuple[EventCode, dict[str, object]]] = []
        self.file: EventLog | None = None

    def reopen(self, path: Path) -> None:
        if self.file is not None:
            self.file.close()
        self.file = EventLog.open(path)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def append(self, code: EventCode, **details: object) -> bytes:
        self.events.append((code, details))
        if self.file is None:
            encode_details(code, details)
            return bytes(32)
        return self.file.append(code, **details)

    def head(self) -> bytes:
        return bytes(32) if self.file is None else self.file.head()

    def codes(self) -> list[EventCode]:
        return [code for code, _ in self.events]


# A bench: one booth and its devices ---------------------------------------------------------

_ids = itertools.count()


@dataclass
class Bench:
    election: Election
    root: Path
    booth_id: str = "S1-A"
    slot: CardSlotStandIn = field(default_factory=CardSlotStandIn)
    workers: Workers = field(default_factory=Workers)
    reports: Reports = field(default_factory=Reports)
    clock: Clock = field(default_factory=Clock)
    log: Log = field(default_factory=Log)
    poll_book: PollBookStandIn | None = None
    virtual: VirtualPrinter | None = None
    printer: ThermalPrinter | None = None
    booth: Booth | None = None
    authenticator: object = None  # None: the Workers stand-in; else e.g. booth.auth.PollWorkerAuth

    def __post_init__(self) -> None:
        self.poll_book = self.poll_book or PollBookStandIn(self.election)
        (self.root / "internal").mkdir(parents=True, exist_ok=True)
        (self.root / "mirror").mkdir(parents=True, exist_ok=True)
        (self.root / "usb").mkdir(parents=True, exist_ok=True)
        self.virtual = VirtualPrinter(self.root / "paper")
        self.printer = ThermalPrinter(
            self.virtual.port, PrinterProfile(status_timeout=0.5, job_timeout=5.0)
        )

    @property
    def store_path(self) -> Path:
        return self.root / "internal" / "ballots.sqlite"

    @property
    def mirror_folder(self) -> Path:
        return self.root / "mirror"

    @property
    def usb(self) -> Path:
        return self.root / "usb"

    def start(self) -> Booth:
        """(Re)start the booth process on the same disk, medium and devices."""
        if self.booth is not None:
            self.booth.close()
        self.log.reopen(self.root / "internal" / "events.log")
        assert self.printer is not None and self.poll_book is not None
        self.booth = Booth(
            BoothParts(
                booth_id=self.booth_id,
                signing_key=self.election.booth_keys[self.booth_id],
                store_path=self.store_path,
                mirror_folder=self.mirror_folder,
                printer=self.printer,
                card_slot=self.slot,
                poll_book=self.poll_book,
                authenticator=self.authenticator or (lambda *_: self.workers),  # type: ignore[arg-type]
                reports=self.reports,
                clock=self.clock,
                event_log=self.log,
                timeouts=Timeouts(warn_after=60, end_after=90),
            )
        )
        return self.booth

    def configured(self) -> Booth:
        booth = self.start()
        booth.configure(self.election.folder, self.election.fingerprint, WORKER_PINS[0])
        return booth

    def opened(self) -> Booth:
        booth = self.configured()
        booth.open_polls(WORKER_PINS[0])
        return booth

    def stop(self) -> None:
        if self.booth is not None:
            self.booth.close()
        self.log.close()
        if self.printer is not None:
            self.printer.close()
        if self.virtual is not None:
            self.virtual.close()

    def written_files(self) -> list[Path]:
        """Every file the booth wrote: internal disk (SQLite with -wal), mirror, USB."""
        return [
            p
            for folder in ("internal", "mirror", "usb")
            for p in sorted((self.root / folder).rglob("*"))
            if p.is_file()
        ]
