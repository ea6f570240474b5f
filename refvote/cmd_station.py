"""`refvote station serve | status | release | issue-code | close`: the station's poll book.

`serve` runs the poll book for the booths; the other commands are the poll workers' console on
the same machine: they open the poll book's file directly (one transaction each, beside the
running server), and every one that changes something asks for a poll-worker PIN of the
station (either role's, checked as at the booths: booth.auth.PollWorkerAuth over the verified
confidential package's records, with the same try limit and lockout) and is logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from refvote.messages import refuse, say, t


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from ballots.package import verify_confidential, verify_package

    folder = Path(args.package)
    verified = verify_package(folder, args.authority)
    path = folder / "confidential.json"
    if not path.is_file() or path.stat().st_size > 64 << 20:
        raise FileNotFoundError(f"{path}: the poll book needs the package's confidential part")
    confidential = verify_confidential(path.read_bytes(), verified)
    verified.definition.station(args.station)
    return verified, confidential


def _store(args: argparse.Namespace, verified: Any, confidential: Any) -> Any:
    from booth.pollbook.store import PollBookStore

    return PollBookStore.create_or_open(
        Path(args.db),
        args.station,
        verified.public.manifest_hash,
        confidential.roll_of(args.station),
    )


class _ConsoleLog:
    """booth.auth's events for one console command (one try) into the poll book's own event
    log, one entry per refused try (with the count, and the lockout if one began); never a
    PIN. A PIN that matched neither role is one try, not one per role."""

    def __init__(self, store: Any, command: str) -> None:
        self.store, self.command = store, command
        self.failures: object = None

    def append(self, code: Any, **details: object) -> bytes:
        from booth.eventlog import EventCode
        from booth.pollbook.store import Event

        if code is EventCode.AUTH_FAILED and self.failures is None:
            self.failures = details.get("failures")
            self.store.log_event(Event.PIN_WRONG, f"{self.command} failures={self.failures}")
        elif code is EventCode.AUTH_LOCKED:
            minutes = details.get("minutes")
            self.store.log_event(Event.PIN_WRONG, f"{self.command} locked {minutes} min")
        elif code is EventCode.RECOVERY:
            self.store.log_event(Event.PIN_WRONG, f"{self.command} PIN try state unreadable")
        return bytes(32)


def _authenticate(args: argparse.Namespace, confidential: Any, store: Any) -> None:
    """A poll worker's PIN (either role), through the booths' check (booth.auth.PollWorkerAuth):
    the same PIN records, the same try limit and lockout, the try counter in a file beside the
    poll book's database, every wrong try in the poll book's event log."""
    from booth.auth import AuthError, PollWorkerAuth
    from booth.pollbook.errors import PollWorkerRefused

    if args.pin_file:
        pin = Path(args.pin_file).read_text(encoding="utf-8").strip()
    else:
        pin = getpass.getpass(f"poll-worker PIN of station {args.station}: ")
    db = Path(args.db)
    try:
        PollWorkerAuth(
            args.station,
            confidential.station_pins(args.station),
            db.with_name(db.name + ".pin-state.json"),
            _ConsoleLog(store, args.station_command),
        ).authenticate_any(pin)
    except AuthError as exc:
        raise PollWorkerRefused(f"{exc}: nothing was done (the try is logged)") from None


def _run(args: argparse.Namespace, action: Any) -> int:
    from booth.pollbook.errors import PollBookError
    from crypto.errors import CryptoError

    try:
        return int(action(args))
    except (PollBookError, CryptoError, OSError, ValueError) as exc:
        return refuse("station", "station.refused", exc, 1)


def serve(args: argparse.Namespace) -> int:
    def go(args: argparse.Namespace) -> int:
        from booth.pollbook.server import PollBookServer

        verified, confidential = _load(args)
        host, _, port = args.listen.rpartition(":")
        server = PollBookServer(
            verified,
            confidential,
            args.station,
            Path(args.tls_key),
            Path(args.db),
            (host, int(port)),
        )
        say(
            "station.listening",
            station=args.station,
            host=server.address[0],
            port=server.address[1],
        )
        sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.shutdown()
        return 0

    return _run(args, go)


def status(args: argparse.Namespace) -> int:
    def go(args: argparse.Namespace) -> int:
        verified, confidential = _load(args)
        store = _store(args, verified, confidential)
        c = store.counts()
        say("station.status_closed" if c.closed else "station.status_open", station=args.station)
        say(
            "station.status_counts",
            voted=c.voted,
            cardless=c.cardless,
            in_progress=c.in_progress,
            released=c.released,
            after=c.completed_after_release,
        )
        for booth_id, evidence in store.stuck():
            say(
                "station.stuck_evidence" if evidence else "station.stuck_none",
                booth=booth_id,
            )
        return 0

    return _run(args, go)


def release(args: argparse.Namespace) -> int:
    def go(args: argparse.Namespace) -> int:
        from booth.pollbook.store import Evidence

        verified, confidential = _load(args)
        store = _store(args, verified, confidential)
        if args.booth not in verified.definition.station(args.station).booths:
            raise ValueError(f"{args.booth} is not a booth of station {args.station}")
        _authenticate(args, confidential, store)
        outbox = None
        if args.mirror_outbox:
            # The S values the dead booth's mirror medium holds unacknowledged, one hex per
            # line, as the booth core's mirror reader lists them.
            text = Path(args.mirror_outbox).read_text(encoding="ascii")
            outbox = frozenset(bytes.fromhex(line) for line in text.split() if line)
            if any(len(s) != 16 for s in outbox):
                raise ValueError(f"{args.mirror_outbox}: each line is one 16-byte session in hex")
        evidence = Evidence.MIRROR_READING if outbox is not None else Evidence.BOOTH_ANSWER
        done = store.release(args.booth, evidence, outbox)
        say(
            "station.released",
            booth=args.booth,
            released=done.released,
            cast=done.settled_cast,
            evidence=evidence.value,
        )
        return 0

    return _run(args, go)


def issue_code(args: argparse.Namespace) -> int:
    def go(args: argparse.Namespace) -> int:
        from ballots.package import roll_hash

        verified, confidential = _load(args)
        store = _store(args, verified, confidential)
        _authenticate(args, confidential, store)
        identifier = args.identifier or input(t("station.identifier_prompt") + ": ")
        code = store.issue_code(roll_hash(confidential.roll_key, identifier.strip()))
        say("station.code", station=args.station, code=code)
        return 0

    return _run(args, go)


def close(args: argparse.Namespace) -> int:
    def go(args: argparse.Namespace) -> int:
        from ballots.pollbook_count import PollBookCount
        from crypto.keyfile import is_sealed, load_signing_key
        from hardware.media import write_file
        from refvote.messages import t
        from refvote.passphrase import read_passphrases

        verified, confidential = _load(args)
        passphrase = None
        if is_sealed(Path(args.key)):  # a production key (`refvote keys station`)
            (passphrase,) = read_passphrases(args.passphrase_file, t("station.key_prompt"))
        loaded = load_signing_key(Path(args.key), "pollbook", passphrase)
        name, key = loaded.name, loaded.key
        if name != args.station or key.verify_key != verified.public.station_key(args.station):
            raise ValueError(
                f"{args.key} is not the poll-book key the package names for {args.station}"
            )
        store = _store(args, verified, confidential)
        _authenticate(args, confidential, store)
        c = store.close_polls()
        count = PollBookCount.sign(
            key,
            verified.public.base,
            args.station,
            {
                "voted": c.voted,
                "checked_in_not_cast": c.in_progress,
                "released": c.released,
                "cardless": c.cardless,
                "completed_after_release": c.completed_after_release,
            },
        )
        file_name = f"pollbook-{args.station}.json"
        write_file(Path(args.out), file_name, count.to_json())
        say(
            "station.closed",
            station=args.station,
            voted=c.voted,
            cardless=c.cardless,
            in_progress=c.in_progress,
            released=c.released,
        )
        say("station.count_written", path=Path(args.out) / file_name)
        say("station.log_head", head=store.event_head().hex())
        return 0

    return _run(args, go)


def add_parser(commands: Any) -> None:
    """`refvote station …` (called from refvote.cli)."""
    from refvote.cli import _lazy
    from refvote.messages import h

    station = commands.add_parser("station", help=h("station"))
    sub = station.add_subparsers(dest="station_command", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--package", required=True, help=h("package.folder"))
        p.add_argument(
            "--authority", required=True, metavar="FINGERPRINT", help=h("station.authority")
        )
        p.add_argument("--station", required=True, help=h("station.station"))
        p.add_argument("--db", required=True, help=h("station.db"))

    def pin(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pin-file", help=h("station.pin_file"))

    p = sub.add_parser("serve", help=h("station.serve"))
    common(p)
    p.add_argument("--tls-key", required=True, help=h("station.tls_key"))
    p.add_argument("--listen", default="127.0.0.1:7420", help=h("station.listen"))
    p.set_defaults(run=_lazy("refvote.cmd_station:serve"))
    p = sub.add_parser("status", help=h("station.status"))
    common(p)
    p.set_defaults(run=_lazy("refvote.cmd_station:status"))
    p = sub.add_parser("release", help=h("station.release"))
    common(p)
    pin(p)
    p.add_argument("--booth", required=True, help=h("station.release.booth"))
    p.add_argument("--mirror-outbox", help=h("station.release.mirror_outbox"))
    p.set_defaults(run=_lazy("refvote.cmd_station:release"))
    p = sub.add_parser("issue-code", help=h("station.issue_code"))
    common(p)
    pin(p)
    p.add_argument("--identifier", help=h("station.issue_code.identifier"))
    p.set_defaults(run=_lazy("refvote.cmd_station:issue_code"))
    p = sub.add_parser("close", help=h("station.close"))
    common(p)
    pin(p)
    p.add_argument("--key", required=True, help=h("station.close.key"))
    p.add_argument("--passphrase-file", help=h("station.close.passphrase_file"))
    p.add_argument("--out", required=True, help=h("station.close.out"))
    p.set_defaults(run=_lazy("refvote.cmd_station:close"))
