"""`refvote booth`: the booth's touch screen on its real devices, or `--demo` on virtual ones.

Real: the card reader through pcscd (`--reader`, a name prefix), the ESC/POS printer on its
serial device (`--printer`), the station poll book over mutual TLS (`--pollbook HOST:PORT`,
the booth's TLS key `--tls-key`), the booth's signing key (`--key`), the ballot store and
event log on the internal disk (`--data`), the mirror on the second medium (`--mirror`), the
export medium (`--export-medium`). The package folder and the authority fingerprint read
aloud (`--package`, `--authority`) pin the poll book's link; the poll workers load the package
again at the screen (typing the same fingerprint). Anything missing is named, in zh-TW and
in English, before a window opens.

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

DEMO_CARD_PIN = "1234"
DEMO_VOTERS = 8
DEMO_READER = "Virtual PCD 00 00"
TAIWAN = datetime.timezone(datetime.timedelta(hours=8))


class Missing(Exception):
    """Something `refvote booth` needs is missing: zh-TW, then English, then what to do."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "booth", help="the booth's touch screen (kiosk) on its devices, or --demo on virtual ones"
    )
    p.add_argument("--demo", action="store_true", help="a local demo: virtual card and printer")
    p.add_argument("--out", default="booth-demo", help="--demo: a folder for everything (wiped)")
    p.add_argument("--booth-id", help="this booth's ID, as in the election package")
    p.add_argument("--key", help="the booth's signing key file (<booth>.key.json)")
    p.add_argument("--tls-key", help="the booth's TLS key (<booth>.tls.key.pem)")
    p.add_argument("--package", help="the election package folder")
    p.add_argument("--authority", metavar="FINGERPRINT", help="the authority key's fingerprint")
    p.add_argument("--pollbook", metavar="HOST:PORT", help="the station poll book's address")
    p.add_argument("--reader", help="the card reader's name (a prefix, as pcsc_scan lists it)")
    p.add_argument("--printer", help="the receipt printer's serial device, e.g. /dev/ttyUSB0")
    p.add_argument("--data", help="the internal disk's folder: ballot store, event log, reports")
    p.add_argument("--mirror", help="the second medium's folder (the mirror)")
    p.add_argument("--export-medium", help="where closing writes the export (removable medium)")
    p.add_argument("--official", action="store_true", help="print OFFICIAL instead of TEST")
    p.add_argument("--windowed", action="store_true", help="a window, not the full-screen kiosk")
    p.add_argument(
        "--quit-after-ready",
        action="store_true",
        help="exit once the window shows and the card in the reader is seen (checks)",
    )
    p.add_argument(
        "--screenshot",
        metavar="PNG",
        help="with --quit-after-ready: save the whole screen once ready (make screenshots, Xvfb)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _demo(args) if args.demo else _real(args)
    except Missing as exc:
        print(f"refvote booth: {exc}", file=sys.stderr)
        return 2
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
        raise Missing(f"缺少參數 {listed}", f"missing {listed} (see refvote booth --help)")


def _folder(path: str, zh: str, en: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise Missing(f"{zh}不存在：{folder}", f"{en} not found: {folder} (mount it first)")
    return folder


def _file(path: str, zh: str, en: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise Missing(f"{zh}不存在：{file}", f"{en} not found: {file}")
    return file


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Missing(
            f"選舉人名冊位址格式錯誤：{text}", f"the poll book address is not HOST:PORT: {text}"
        )
    return host, int(port)


def _printer_device(path: str) -> str:
    device = Path(path)
    try:
        mode = device.stat().st_mode
    except OSError:
        raise Missing(
            f"找不到印表機裝置 {device}：請檢查印表機電源與連接線",
            f"no printer device at {device}: check the printer's power and cable",
        ) from None
    if not stat.S_ISCHR(mode):
        raise Missing(
            f"{device} 不是序列埠裝置", f"{device} is not a serial device (a character device)"
        )
    return str(device)


def _real(args: argparse.Namespace) -> int:
    from ballots.package import verify_package
    from booth.auth import PollWorkerAuth
    from booth.booth import Booth, BoothParts
    from booth.driver import SystemClock
    from booth.eventlog import EventLog
    from booth.pollbook.client import PollBookClient
    from booth.report_printer import ThermalAndPdfReports
    from booth.ui.app import AppOptions, run_window
    from booth.ui.speaker import EspeakSpeaker
    from booth.ui.window import UiSettings
    from crypto.keyfile import read_signing_key
    from hardware.errors import NoReader
    from hardware.idcard.reader import PcscReader, list_readers
    from hardware.printer.driver import ThermalPrinter

    _need(args, "booth-id", "key", "tls-key", "package", "authority", "pollbook", "reader",
          "printer", "data", "mirror", "export-medium")  # fmt: skip
    package = _folder(args.package, "選舉資料夾", "the election package folder")
    data = _folder(args.data, "內部資料夾", "the internal data folder")
    mirror = _folder(args.mirror, "鏡像媒體", "the mirror medium")
    medium = _folder(args.export_medium, "匯出媒體", "the export medium")
    key_file = _file(args.key, "投票機金鑰檔", "the booth's key file")
    tls_key = _file(args.tls_key, "投票機 TLS 金鑰檔", "the booth's TLS key file")
    address = _address(args.pollbook)
    device = _printer_device(args.printer)
    try:
        readers = list_readers()
    except NoReader:
        readers = []
    if not any(r.startswith(args.reader) for r in readers):
        raise Missing(
            f"找不到讀卡機「{args.reader}」（目前有：{readers or '無'}）：請檢查 USB 線與 pcscd",
            f"no card reader named {args.reader!r} (readers: {readers or 'none'}): check the "
            "USB cable and that pcscd runs",
        )
    name, signing_key = read_signing_key(key_file, "booth")
    if name != args.booth_id:
        raise Missing(
            f"{key_file} 是投票機 {name} 的金鑰，不是 {args.booth_id}",
            f"{key_file} is the key of booth {name}, not {args.booth_id}",
        )
    verified = verify_package(package, args.authority)
    reader = PcscReader(args.reader)
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
            reports=ThermalAndPdfReports(printer, data / "reports", args.official, log),
            clock=SystemClock(),
            event_log=log,
            official=args.official,
        )
    )
    try:
        settings = UiSettings(package, medium, speaker=EspeakSpeaker())
        options = AppOptions(kiosk=not args.windowed, quit_after_ready=args.quit_after_ready)
        return run_window(booth, settings, reader, options)
    finally:
        booth.close()  # idempotent: a shut down from the menu closed it already
        printer.close()
        log.close()


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
        print(f"refvote booth: next voter's card in the reader ({identifier})", flush=True)


def _demo(args: argparse.Namespace) -> int:
    from ballots.package import verify_confidential, verify_package
    from booth.driver import BoothRig, VpcdCards
    from booth.ui.app import AppOptions, run_window
    from booth.ui.speaker import EspeakSpeaker
    from booth.ui.window import UiSettings
    from hardware.errors import NoReader
    from hardware.idcard.pcscd import pcscd_with_virtual_readers
    from refvote.demo import _poll_book

    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    print("refvote booth --demo: making a one-station election (ceremony, keys, cards, package)")
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
            raise Missing(
                f"無法使用虛擬讀卡機（{exc}）："
                "需要 pcscd 與 vsmartcard-vpcd（以 root 執行 make apt）",
                f"the virtual card reader is unavailable ({exc}): the demo needs pcscd and "
                "vsmartcard-vpcd (`make apt` as root installs them)",
            ) from None
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
        print(
            f"  booth {e.booth_id} configured and open (zero report printed: {paper}/)\n"
            f"  authority fingerprint: {e.fingerprint}\n"
            f"  a virtual eID card is waiting in {DEMO_READER}: its PIN is {DEMO_CARD_PIN}\n"
            f"  poll-worker PINs: chief officer {e.officer_pin}, "
            f"chief supervisor {e.supervisor_pin}\n"
            f"  every piece of paper is saved as PNG in {paper}/\n"
            "  to stop: 工作人員 Poll worker → PIN → 關閉投票機 Shut down",
            flush=True,
        )
        settings = UiSettings(e.folder, out / "media", speaker=EspeakSpeaker())
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
            on_ready=lambda: print("refvote booth: ready (window shown, card seen)", flush=True),
            after_session=NextCard(deck, e.voters),
        )
        return code  # the booth's close is idempotent: after a shut down it was closed
