"""The booth process of the booth chaos harness (tests/chaos/booth_chaos.py): one child.

    python -m tests.chaos.booth_child CONFIG.json

The real booth core through `booth.driver.BoothRig` (the ESC/POS driver to the virtual printer
on a pty, the poll book over mutual TLS on loopback, cards answered in this process by
`LocalCards`, the ballot store and the mirror on disk). The child starts the booth (the
constructor is the recovery path), writes a snapshot of what the recovery left (for the
parent's checks), attends the printer if VOID slips are owed, then plays its script
("open", "vote" plans, "close") while hooks count its writes:

- os.write, os.fsync, os.replace in the main thread (the event log, the mirror and its
  outbox, the export, the PIN counter, the printer's pty), and
- every writing SQL statement of the ballot store (BEGIN, INSERT, UPDATE, DELETE, COMMIT, the
  WAL checkpoint), seen through sqlite3's trace callback,

each counted per phase (startup, open, checkin, confirm, cast, challenge, close). At the k-th
event of the chosen phase the child kills itself with SIGKILL, or the call fails (ENOSPC, EIO),
or the mirror medium is pulled (its folder renamed away), or the store's statement is
interrupted (sqlite3's progress handler), as the config says. It prints, flushed, one line per
fact the parent needs: HIT <label> (before acting), TOLD <ballot hash> (after Cast returned
"counted": the voter was told), SNAPSHOT <json>, FAULT <error type>: <message>, STOP <why>,
COUNTS <json> and DONE.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

WRITES = ("BEGIN", "INSERT", "UPDATE", "DELETE", "COMMIT", "ROLLBACK", "PRAGMA WAL_CHECKPOINT")


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Hooks:
    """Counts the child's writes per phase; acts at the chosen one."""

    def __init__(self, spec: dict[str, Any] | None, mirror: Path) -> None:
        self.spec = spec
        self.mirror = mirror
        self.armed = False
        self.phase = "startup"
        self.counts: dict[str, int] = {}
        self.interrupt = False  # the next store statement is interrupted
        self.done = False
        self.matching = 0  # events of the chosen phase (and targets) so far
        self.real = {name: getattr(os, name) for name in ("write", "fsync", "replace")}

    def _name(self, fd: int) -> str:
        try:
            if os.isatty(fd):
                return "printer"
            return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            return "?"

    def event(self, kind: str, target: str) -> OSError | None:
        if not self.armed or threading.current_thread() is not threading.main_thread():
            return None
        self.counts[self.phase] = self.counts.get(self.phase, 0) + 1
        spec = self.spec
        if self.done or spec is None or spec["phase"] != self.phase:
            return None
        if spec.get("targets") and target not in spec["targets"]:
            return None  # a fault on a chosen medium: only its writes are candidates
        self.matching += 1
        if self.matching != spec["at"]:
            return None
        self.done = True
        action = spec["action"]
        say(f"HIT {action} {self.phase}:{kind}:{target}")
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == "pulled":  # the medium goes away: this write fails, the folder is gone
            os.rename(self.mirror, self.mirror.with_name(self.mirror.name + ".pulled"))
        if action in ("enospc", "eio", "pulled"):
            code = errno.ENOSPC if action == "enospc" else errno.EIO
            return OSError(code, os.strerror(code))
        if action == "sqlfault":
            self.interrupt = True
        return None

    def install(self) -> None:
        real = self.real

        def write(fd: int, data: Any) -> int:
            fault = self.event("os.write", self._name(fd))
            if fault is not None:
                raise fault
            return real["write"](fd, data)

        def fsync(fd: Any) -> None:
            target = self._name(fd if isinstance(fd, int) else fd.fileno())
            fault = self.event("os.fsync", target)
            if fault is not None:
                raise fault
            real["fsync"](fd)

        def replace(src: Any, dst: Any, **kw: Any) -> None:
            fault = self.event("os.replace", os.path.basename(str(dst)))
            if fault is not None:
                raise fault
            real["replace"](src, dst, **kw)

        os.write, os.fsync, os.replace = write, fsync, replace  # type: ignore[assignment]
        real_connect = sqlite3.connect

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = real_connect(*args, **kwargs)
            if str(args[0] if args else kwargs.get("database", "")).endswith("ballots.sqlite"):

                def trace(statement: str) -> None:
                    head = " ".join(statement.split()[:2]).upper()
                    word = next((w for w in WRITES if head.startswith(w)), None)
                    if word is not None:
                        self.event("sql", word.split()[-1])

                conn.set_trace_callback(trace)

                def progress() -> int:
                    if self.interrupt:
                        self.interrupt = False
                        return 1
                    return 0

                conn.set_progress_handler(progress, 1)
            return conn

        sqlite3.connect = connect  # type: ignore[assignment]


def plan_from(obj: dict[str, Any]) -> Any:
    from ballots.ballot import Choice
    from booth.core.session import SessionState
    from booth.driver import VoterPlan

    choices = {q: None if c is None else Choice(c) for q, c in obj["choices"].items()}
    pull = obj.get("pull")
    return VoterPlan(
        obj["identifier"],
        choices,
        obj.get("challenges", 0),
        pull_card_at=None if pull is None else SessionState(pull),
    )


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    folder = Path(config["folder"])
    hooks = Hooks(config.get("fault"), folder / "mirror")
    hooks.install()

    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from ballots.package import verify_package
    from booth.booth import Booth
    from booth.core.ballot import BallotState
    from booth.core.polls import PollsState
    from booth.core.session import SessionState, VoterSession
    from booth.driver import BoothRig, HeadlessVoter, LocalCards, Tally
    from booth.errors import BoothError
    from booth.eventlog import EventLogError
    from crypto.keyfile import read_signing_key
    from hardware.errors import HardwareError

    cards = {
        ident: (load_pem_private_key(pem.encode("ascii"), None), bytes.fromhex(der))
        for ident, (pem, der) in config["cards"].items()
    }
    _, signing_key = read_signing_key(Path(config["booth_key"]), "booth")
    pin, fingerprint, package = config["pin"], config["fingerprint"], Path(config["package"])

    # Phases: each Booth entry point sets the phase its writes are counted in.
    def phased(name: str, phase: str) -> None:
        real = getattr(Booth, name)

        def wrapper(self: Booth, *args: Any, **kwargs: Any) -> Any:
            before, hooks.phase = hooks.phase, phase
            try:
                return real(self, *args, **kwargs)
            finally:
                hooks.phase = before

        setattr(Booth, name, wrapper)

    for name, phase in (
        ("configure", "open"),
        ("open_polls", "open"),
        ("card_inserted", "checkin"),
        ("enter_pin", "checkin"),
        ("confirm", "confirm"),
        ("cast", "cast"),
        ("challenge", "challenge"),
        ("close_polls", "close"),
        ("write_export", "close"),
    ):
        phased(name, phase)
    told: list[bytes] = []
    real_decide = VoterSession._decide

    def decide(self: VoterSession, fate: BallotState) -> None:
        if fate is BallotState.CAST and self._ballot_hash is not None:
            told.append(self._ballot_hash)
        real_decide(self, fate)

    VoterSession._decide = decide  # type: ignore[method-assign]
    real_cast = Booth.cast

    def cast(self: Booth) -> None:
        real_cast(self)
        view = self.view()
        if view is not None and view.state is SessionState.CAST and told:
            say(f"TOLD {told[-1].hex()}")  # Cast returned "counted": the voter was told

    Booth.cast = cast  # type: ignore[method-assign]

    hooks.armed = True
    try:
        rig = BoothRig.create(
            booth_id=config["booth_id"],
            signing_key=signing_key,
            folder=folder,
            verified=verify_package(package, fingerprint),
            tls_key=Path(config["tls_key"]),
            pollbook_address=tuple(config["address"]),
            cards=LocalCards(cards),
            worker_pin=pin,
        )
    except (BoothError, EventLogError) as exc:
        say(f"FAULT {type(exc).__name__}: {exc}")
        return 3
    booth = rig.booth
    hooks.armed = False
    hooks.phase = "other"
    say("SNAPSHOT " + json.dumps(snapshot(booth, Path(config["pollbook_db"]), config)))
    hooks.armed = True
    try:
        if booth.storage_problem is not None:
            say(f"FAULT {type(booth.storage_problem).__name__}: {booth.storage_problem}")
            return 3
        if booth.void_slips_owed:
            booth.printer_attended(pin)  # the poll worker attends: the owed VOID slips print
        voter = HeadlessVoter(rig)
        tally = Tally()
        for step in config["script"]:
            if step["do"] == "open":
                if booth.polls is PollsState.UNCONFIGURED:
                    booth.configure(package, fingerprint, pin)
                if booth.polls is PollsState.CONFIGURED:
                    booth.open_polls(pin)
            elif step["do"] == "vote":
                try:
                    voter.vote(plan_from(step["plan"]), tally)
                except BoothError as exc:
                    if booth.storage_problem is not None:
                        raise
                    say(f"STOP {type(exc).__name__}: {exc}")  # e.g. the poll book is down
                    break
                if booth.storage_problem is not None:
                    say(f"FAULT {type(booth.storage_problem).__name__}: {booth.storage_problem}")
                    return 3
            elif step["do"] == "close":
                usb = folder / "usb"
                usb.mkdir(exist_ok=True)
                if booth.polls is PollsState.CLOSED:
                    written = booth.write_export(pin, usb)
                else:
                    written = booth.close_polls(pin, usb)
                say(f"CLOSED {written.sha256}")
    except (BoothError, HardwareError, EventLogError) as exc:
        # A named fault: the booth says what failed (storage, export medium, printer).
        say(f"FAULT {type(exc).__name__}: {exc}")
        return 3
    finally:
        hooks.armed = False
        say("COUNTS " + json.dumps(hooks.counts))
    rig.close()
    say("DONE")
    return 0


def snapshot(booth: Any, pollbook_db: Path, config: dict[str, Any]) -> dict[str, Any]:
    """What the recovery left, for the parent: polls, faults, the export the store gives now,
    the mirror's entries, and the poll book's counts (a poll worker then releases the
    check-ins the booth, idle, reported not cast)."""
    from ballots.chain import EntryKind
    from booth.core.polls import PollsState
    from booth.pollbook.store import Evidence, PollBookStore
    from booth.store import EntryRecord, Mirror

    out: dict[str, Any] = {
        "polls": booth.polls.value,
        "problem": None if booth.storage_problem is None else str(booth.storage_problem),
        "pending": booth.store.pending() is not None,
        "outbox": len(booth.store.outbox()),
        "void_slips": booth.void_slips_owed,
        # Whether the recovery reached the poll book with its outbox (only then may the poll
        # book release this booth's other check-ins: their evidence is the booth's answer).
        "reported": booth._outbox_reported,
        "export": None,
        "mirror": None,
    }
    if booth.storage_problem is not None:
        return out
    if booth.polls is not PollsState.UNCONFIGURED and booth.store.opening() is not None:
        out["export"] = booth.build_export().to_json().decode()
        records = Mirror(booth.mirror.folder).records()
        out["mirror"] = [
            [EntryKind(r.fate.value).value, r.ballot_hash.hex()]
            for r in records
            if isinstance(r, EntryRecord)
        ]
    if pollbook_db.exists():
        store = PollBookStore(pollbook_db)
        try:
            counts = store.counts()
            stuck = store.stuck()
            out["pollbook"] = {
                "voted": counts.voted,
                "in_progress": counts.in_progress,
                "released_before": counts.released,
                "stuck_evidence": [e for _, e in stuck],
            }
            if out["outbox"] == 0 and any(e == Evidence.BOOTH_ANSWER.value for _, e in stuck):
                released = store.release(config["booth_id"], Evidence.BOOTH_ANSWER)
                out["pollbook"]["released"] = released.released
        finally:
            store.close()
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
