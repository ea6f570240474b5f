"""`refvote booth`: the booth's touch screen on its real devices, or `--demo` on virtual ones.

Real: the card reader through pcscd (`--reader`, a name prefix), the ESC/POS printer on its
serial device (`--printer`), the station poll book over mutual TLS (`--pollbook HOST:PORT`,
the booth's TLS key `--tls-key`), the booth's signing key (`--key`), the ballot store and
event log on the internal disk (`--data`), the mirror on the second medium (`--mirror`), the
export medium (`--export-medium`). The package folder and the authority fingerprint read
aloud (`--package`, `--authority`) pin the poll book's link; the poll workers load the package
again at the screen (typing the same fingerprint). Anything missing is named (the catalog
refvote/messages.py, in the command line's language) before a window opens.

Demo: a one-station election made on the spot (a two-trustee ceremony rehearsed, demo keys,
a test eID CA and cards, the signed package), the station's poll book on loopback in this
process, pcscd with vpcd's virtual reader (held with the machine-wide lock while the booth
runs) and a virtual eID card already waiting in it, the virtual ESC/POS printer on a pty
writing each piece of paper as PNG. The booth is configured and opened (zero report printed);
the card's PIN and the poll workers' PINs are printed in the terminal. After each voter the
next voter's card goes in.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import stat
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refvote.messages import h, refuse, say, t

DEMO_CARD_PIN = "1234"
DEMO_VOTERS = 8
DEMO_READER = "Virtual PCD 00 00"
TAIWAN = datetime.timezone(datetime.timedelta(hours=8))


class Missing(Exception):
    """Something `refvote booth` needs is missing: a catalog key (refvote/messages.py) and
    its values (data: a path, a name), worded when printed."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def add_parser(commands: Any) -> None:
    p = commands.add_parser("booth", help=h("booth"))
    p.add_argument("--demo", action="store_true", help=h("booth.demo"))
    p.add_argument("--out", default="booth-demo", help=h("booth.out"))
    p.add_argument("--booth-id", help=h("booth.booth_id"))
    p.add_argument("--key", help=h("booth.key"))
    p.add_argument("--tls-key", help=h("booth.tls_key"))
    p.add_argument("--package", help=h("booth.package"))
    p.add_argument("--authority", metavar="FINGERPRINT", help=h("booth.authority"))
    p.add_argument("--pollbook", metavar="HOST:PORT", help=h("booth.pollbook"))
    p.add_argument("--reader", help=h("booth.reader"))
    p.add_argument("--printer", help=h("booth.printer"))
    p.add_argument("--data", help=h("booth.data"))
    p.add_argument("--mirror", help=h("booth.mirror"))
    p.add_argument("--export-medium", help=h("booth.export_medium"))
    p.add_argument("--passphrase-file", help=h("key_passphrase_file"))
    p.add_argument("--shuffle-pin-pad", action="store_true", help=h("booth.shuffle_pin_pad"))
    p.add_argument("--windowed", action="store_true", help=h("booth.windowed"))
    p.add_argument("--quit-after-ready", action="store_true", help=h("booth.quit_after_ready"))
    p.add_argument("--screenshot", metavar="PNG", help=h("booth.screenshot"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _demo(args) if args.demo else _real(args)
    except Missing as exc:
        return refuse("booth", exc.key, code=2, **exc.values)
    finally:
        _end_qt()


def _end_qt() -> None:
    """Destroy the QApplication before the interpreter ends: left to finalization, Qt's xcb
    platform (a real display, Xvfb) can hang the exit."""
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.shutdown()


# The real booth -------------------------------------------------------------------------------


def _need(args: argparse.Namespace, *names: str) -> None:
    absent = [n for n in names if not getattr(args, n.replace("-", "_"))]
    if absent:
        listed = " ".join(f"--{n}" for n in absent)
        raise Missing("booth.missing_options", listed=listed)


def _folder(path: str, what: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise Missing("booth.no_folder", what=t(f"booth.what.{what}"), path=folder)
    return folder


def _file(path: str, what: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise Missing("booth.no_file", what=t(f"booth.what.{what}"), path=file)
    return file


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Missing("booth.bad_address", address=text)
    return host, int(port)


def _printer_device(path: str) -> str:
    device = Path(path)
    try:
        mode = device.stat().st_mode
    except OSError:
        raise Missing("booth.no_printer", device=device) from None
    if not stat.S_ISCHR(mode):
        raise Missing("booth.not_serial", device=device)
    return str(device)


def _card_reader(text: str):  # type: ignore[no-untyped-def]
    """The eID reader: `pkcs11:<module>` or `moica:<HiCOS module>` through the card's PKCS#11
    module, else a PC/SC reader's name (hardware.idcard.readers chooses; the core never knows)."""
    from hardware.errors import NoReader
    from hardware.idcard.reader import PcscReader, list_readers
    from hardware.idcard.readers import ReaderConfig, open_reader

    if text.startswith(("pkcs11:", "moica:")):
        try:
            return open_reader(ReaderConfig.parse(text))
        except NoReader as exc:
            raise Missing("booth.no_module", reader=text, why=exc) from None
    try:
        readers = list_readers()
    except NoReader:
        readers = []
    if not any(r.startswith(text) for r in readers):
        listed = ", ".join(readers) if readers else t("booth.readers_none")
        raise Missing("booth.no_reader", reader=text, readers=listed)
    return PcscReader(text)


def _real(args: argparse.Namespace) -> int:
    from ballots.package import verify_package
    from booth.auth import PollWorkerAuth
    from booth.booth import Booth, BoothParts
    from booth.driver import SystemClock
    from booth.eventlog import EventLog
    from booth.pollbook.client import PollBookClient
    from booth.report_printer import ThermalAndPdfReports
    from booth.ui.app import AppOptions, run_window
    from booth.ui.window import UiSettings
    from hardware.printer.driver import ThermalPrinter

    _need(args, "booth-id", "key", "tls-key", "package", "authority", "pollbook", "reader",
          "printer", "data", "mirror", "export-medium")  # fmt: skip
    package = _folder(args.package, "package")
    data = _folder(args.data, "data")
    mirror = _folder(args.mirror, "mirror")
    medium = _folder(args.export_medium, "medium")
    key_file = _file(args.key, "key")
    tls_key = _file(args.tls_key, "tls_key")
    address = _address(args.pollbook)
    device = _printer_device(args.printer)
    reader = _card_reader(args.reader)
    from crypto.errors import CryptoError
    from refvote.passphrase import PassphraseUnavailable, open_signing_key

    try:
        opened = open_signing_key(
            key_file, "booth", args.passphrase_file, t("key.prompt", path=key_file)
        )
    except (CryptoError, PassphraseUnavailable) as exc:
        raise Missing("booth.key_unopened", path=key_file, why=exc) from None
    name, signing_key = opened.name, opened.key
    if name != args.booth_id:
        raise Missing("booth.wrong_key", path=key_file, name=name, booth=args.booth_id)
    verified = verify_package(package, args.authority)
    printer = ThermalPrinter(device)
    log = EventLog.open(data / "events.log")
    (data / "reports").mkdir(exist_ok=True)
    booth = Booth(
        BoothParts(
            booth_id=args.booth_id,
            signing_key=signing_key,
            store_path=data / "ballots.sqlite",
            mirror_folder=mirror,
            printer=printer,
            card_slot=reader,
            poll_book=PollBookClient(verified, args.booth_id, tls_key, address),
            authenticator=PollWorkerAuth,
            reports=ThermalAndPdfReports(printer, data / "reports", verified.public.official, log),
            clock=SystemClock(),
            event_log=log,
        )
    )
    try:
        settings = UiSettings(package, medium, shuffle_pin_pad=args.shuffle_pin_pad)
        options = AppOptions(kiosk=not args.windowed, quit_after_ready=args.quit_after_ready)
        return run_window(booth, settings, reader, options, speaker=_speaker())
    finally:
        booth.close()  # idempotent: a shut down from the menu closed it already
        printer.close()
        log.close()


def _speaker() -> Any:
    """The booth's one speaker: espeak-ng to the headphones (aplay). If espeak-ng cannot
    speak, the booth still starts: the poll workers' readiness check reports the headphones
    as failed and the audio ballot says it is unavailable."""
    from booth.ui.audio import EspeakSpeaker, SpeechFailed

    try:
        return EspeakSpeaker()
    except SpeechFailed as exc:
        refuse("booth", "booth.no_speech", exc)
        return None


# The demo -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoElection:
    folder: Path  # the package
    fingerprint: str
    booth_id: str
    station_id: str
    signing_key: Any
    tls_key: Path
    station_tls_key: Path
    cards: dict[str, tuple[object, bytes]]
    voters: list[str]
    officer_pin: str
    supervisor_pin: str


def make_demo_election(out: Path, voters: int = DEMO_VOTERS) -> DemoElection:
    """A one-station referendum (the 2021 questions), its ceremony, keys, cards and package."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from ballots.definition import load_source
    from ballots.package import build_package, key_fingerprint
    from ballots.station_link import DevStationKeys
    from crypto.ceremony.rehearsal import open_ceremony, rehearse
    from crypto.signing import SigningKey
    from hardware.idcard.testca import TestCA
    from refvote.demo import demo_definition_source

    today = datetime.datetime.now(TAIWAN).date()
    definition = load_source(demo_definition_source(1, voters, today), "demo definition")
    trustees = [SigningKey.generate() for _ in range(2)]
    params = open_ceremony(
        definition.manifest_hash(), 2, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
    )
    rehearse(params, trustees, ["demo one", "demo two"]).files.write(out / "ceremony")
    authority, tally = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
    station = definition.stations[0]
    devices = DevStationKeys.generate(definition)
    devices.write(out / "keys")
    roll = [f"Y1{i:08d}" for i in range(station.eligible)]
    ca = TestCA.create("refvote DEMO eID CA")
    cards: dict[str, tuple[object, bytes]] = {}
    for ident in roll[:voters]:
        key, cert = ca.issue(ident, "ec")
        cards[ident] = (key, cert.public_bytes(Encoding.DER))
    build_package(
        out / "package",
        definition.to_json(),
        out / "ceremony",
        authority,
        tally.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [("demo eID CA", ca.certificate.public_bytes(Encoding.DER))],
        {station.station_id: roll},
        [("demo revocation snapshot", ca.crl([]).public_bytes(Encoding.DER))],
        devices.setup(),
    )
    booth_id = station.booths[0]
    pins = devices.pins[station.station_id]
    return DemoElection(
        out / "package",
        key_fingerprint(authority.verify_key),
        booth_id,
        station.station_id,
        booth_keys[booth_id],
        out / "keys" / "booths" / f"{booth_id}.tls.key.pem",
        out / "keys" / "stations" / f"{station.station_id}.tls.key.pem",
        cards,
        roll[:voters],
        pins.officer,
        pins.supervisor,
    )


class NextCard:
    """After each voter (back on the welcome screen), the next voter's virtual card goes in."""

    def __init__(self, deck: Any, voters: list[str]) -> None:
        self.deck, self.voters = deck, voters
        self.next = 1
        self.handled: object = None

    def __call__(self, ui: Any) -> None:
        session = ui.booth.session
        if session is None or session is self.handled:
            return
        self.handled = session
        self.deck.pull()
        identifier = self.voters[self.next % len(self.voters)]
        self.next += 1
        self.deck.insert(identifier)
        say("booth.demo.next_card", identifier=identifier)
        sys.stdout.flush()


def _demo(args: argparse.Namespace) -> int:
    from ballots.package import verify_confidential, verify_package
    from booth.driver import BoothRig, VpcdCards
    from booth.ui.app import AppOptions, run_window
    from booth.ui.window import UiSettings
    from hardware.errors import NoReader
    from hardware.idcard.pcscd import pcscd_with_virtual_readers
    from refvote.demo import _poll_book

    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say("booth.demo.making")
    e = make_demo_election(out)
    verified = verify_package(e.folder, e.fingerprint)
    confidential = verify_confidential((e.folder / "confidential.json").read_bytes(), verified)
    (out / "media").mkdir()
    with ExitStack() as stack:
        server = stack.enter_context(
            _poll_book(verified, confidential, e.station_id, e.station_tls_key,
                       out / "pollbook.sqlite")
        )  # fmt: skip
        try:
            stack.enter_context(pcscd_with_virtual_readers())
        except NoReader as exc:
            return refuse("booth", "booth.no_vpcd", exc, code=2)
        deck = VpcdCards(e.cards, DEMO_READER, DEMO_CARD_PIN)
        rig = BoothRig.create(
            booth_id=e.booth_id,
            signing_key=e.signing_key,
            folder=out / "booth",
            verified=verified,
            tls_key=e.tls_key,
            pollbook_address=server.address,
            cards=deck,
            worker_pin=e.officer_pin,
        )
        stack.callback(rig.close)
        rig.booth.configure(e.folder, e.fingerprint, e.officer_pin)
        rig.booth.open_polls(e.officer_pin)
        deck.insert(e.voters[0])
        stack.callback(deck.pull)
        paper = out / "booth" / "paper"
        say(
            "booth.demo.ready",
            booth=e.booth_id,
            paper=paper,
            fingerprint=e.fingerprint,
            reader=DEMO_READER,
            pin=DEMO_CARD_PIN,
            officer=e.officer_pin,
            supervisor=e.supervisor_pin,
        )
        sys.stdout.flush()
        settings = UiSettings(e.folder, out / "media", shuffle_pin_pad=args.shuffle_pin_pad)
        options = AppOptions(
            kiosk=not args.windowed,
            quit_after_ready=args.quit_after_ready,
            screenshot=Path(args.screenshot) if args.screenshot else None,
        )
        code = run_window(
            rig.booth,
            settings,
            deck.slot,
            options,
            on_ready=lambda: print(t("booth.demo.window_ready"), flush=True),
            after_session=NextCard(deck, e.voters),
            speaker=_speaker(),
        )
        return code  # the booth's close is idempotent: after a shut down it was closed
