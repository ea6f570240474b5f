"""Crash and fault injection for the booth and the station poll book (issue 10, Build).

    python -m tests.chaos.booth_chaos N [SEED]        (make chaos N=…)

One election is built; then polling days follow, each with a fresh booth folder and poll book:
the real poll book (`refvote station serve`, mutual TLS on loopback) in its own process, and
the booth in a child process per round (tests/chaos/booth_child.py: the real booth core, the
virtual printer on a pty, cards answered in-process). Each round's child first restarts the
booth (the recovery path) and reports what the recovery left, then plays a few simulated
voters (or opens, or closes the polls) and is killed with SIGKILL, or has a write fail, at
a point chosen from the seed: the k-th write of a phase (startup = the recovery itself,
open, checkin, confirm = sealing and printing, cast, challenge, close = closing report and
export), counted by hooks on os.write, os.fsync, os.replace and the store's SQL statements —
events, never wall-clock sleeps. Some rounds kill the poll book instead (at the k-th write
statement of its own store), and some inject a fault: ENOSPC or EIO on a write to the mirror
medium, the export medium or the event log, the mirror medium pulled (its folder renamed away,
the write failing with EIO), or a store statement interrupted.

After every restart the harness checks (`check_snapshot`):
- the recovery left no storage problem and no undecided ballot (a half-written one is void);
- every ballot a voter was told was cast (Cast returned "counted") is in the export the
  store gives now exactly once, as cast, and exactly once in the chain and on the mirror;
- the export passes the ballots' verifier (tally.verify: identity and signature, counts
  against the chain, the chain replayed to its close code, ballot validity, chain
  membership, challenged reveals; the proofs at the end of each day), and the mirror's chain
  entries are the export's;
- the poll book's completions equal the cast ballots, and every other check-in left in
  progress carries the booth's own answer that it was not cast (releasable: the child then
  releases it as a poll worker would, logged);
- the polls state is the one before the round, or the one the round was moving to;
- no file the booth or the poll book left (journals, -wal files, temporary files included)
  holds a voter identifier, a roll hash, a session S outside the outboxes, a timed ballot or
  session event, or a plaintext choice (tests/chaos/privacy.py).
A fault must end the child with a named error (FAULT <type>: <message>), never a traceback.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ballots.export import BoothExport, Status
from ballots.package import VerifiedPackage, roll_hash, verify_package
from booth.driver import VoterModel, random_plans
from tests.chaos.booth_child import plan_from
from tests.chaos.privacy import Secrets, scan
from tests.chaos.tally_chaos import child_env

ROOT = Path(__file__).resolve().parents[2]
BOOTH, STATION = "S1-A", "S1"
VOTERS_PER_ROUND = 3
ROUNDS_PER_DAY = 12  # voting rounds, then a closing round
PHASES = ("startup", "checkin", "confirm", "cast", "challenge")
# Writes per phase in a round of VOTERS_PER_ROUND voters (a calibration run; `run` measures its
# own unless given one: the CI test uses this table to save the three calibration children).
CALIBRATION = {"startup": 6, "open": 68, "checkin": 15, "confirm": 108, "challenge": 23,
               "cast": 66, "close": 74}  # fmt: skip
MIRROR_TARGETS = ["booth-mirror.jsonl", "booth-outbox.txt", ".booth-outbox.txt.partial"]
EXPORT_TARGETS = [f"export-{BOOTH}.json", f".export-{BOOTH}.json.partial"]


class ChaosFailure(AssertionError):
    pass


@dataclass
class Figures:
    rounds: int = 0
    kills: int = 0  # booth children killed by SIGKILL at their kill point
    pollbook_kills: int = 0  # poll book processes killed at theirs
    faults: int = 0  # injected faults that ended the child with a named error
    tolerated: int = 0  # injected faults the booth absorbed (it went on, nothing lost)
    completed: int = 0  # the chosen point never came (the script ended first)
    restarts: int = 0  # booth restarts checked (snapshots)
    days: int = 0
    ballots_checked: int = 0  # told-cast ballots found exactly once, summed over every check
    told: int = 0  # ballots voters were told were cast
    cast: int = 0  # cast ballots at the end of each day (told, or durable before the kill)
    released: int = 0  # stuck check-ins the booth said were not cast, released
    files_scanned: int = 0
    by_point: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        points = ", ".join(f"{k} {v}" for k, v in sorted(self.by_point.items()))
        return (
            f"{self.rounds} rounds over {self.days} polling days: {self.kills} booth kills, "
            f"{self.pollbook_kills} poll-book kills, {self.faults} injected faults ended with "
            f"a named error, {self.tolerated} absorbed, {self.completed} rounds ended before "
            f"their point; {self.restarts} restarts checked; {self.told} ballots told cast, "
            f"{self.cast} cast in the days' exports, {self.ballots_checked} told-cast ballot "
            f"checks (each exactly once in store, export and mirror); {self.released} stuck "
            f"check-ins released on the booth's answer; {self.files_scanned} files scanned "
            f"clean. Points hit: {points}"
        )


@dataclass
class Setup:
    tmp: Path
    package: Path
    fingerprint: str
    verified: VerifiedPackage
    keys: Path
    cards: dict[str, list[str]]
    identifiers: list[str]
    pin: str
    secrets: Secrets


def build(tmp: Path, voters: int) -> Setup:
    """One election with a one-booth station of `voters` test cards."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from crypto.keyfile import write_signing_key
    from tests.booth_core_helpers import DEFINITION, build_election

    head = DEFINITION[: DEFINITION.index("[[stations]]")]
    source = head + (
        f'[[stations]]\nstation_id = "{STATION}"\nname = "測試國小"\ncounty = "臺北市"\n'
        f'township = "中正區"\neligible = {voters}\nbooths = ["{BOOTH}"]\n'
    )
    identifiers = [f"C{n:09d}" for n in range(voters)]
    election = build_election(tmp / "election", source, identifiers)
    assert election.devices is not None
    keys = tmp / "keys"
    election.devices.write(keys)
    write_signing_key(keys / "booth.key.json", "booth", BOOTH, election.booth_keys[BOOTH])
    cards = {}
    for ident in identifiers:
        key, der = election.cards[ident]
        pem = key.private_bytes(  # type: ignore[attr-defined]
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        cards[ident] = [pem.decode("ascii"), der.hex()]
    verified = verify_package(election.folder, election.fingerprint)
    secrets = Secrets.for_voters(
        identifiers, [roll_hash(election.roll_key, i) for i in identifiers]
    )
    return Setup(
        tmp,
        election.folder,
        election.fingerprint,
        verified,
        keys,
        cards,
        identifiers,
        election.station_pins[STATION].officer,
        secrets,
    )


class PollBook:
    """`refvote station serve` in its own process, on one loopback port for its lifetime;
    with `kill_at`, it kills itself at its k-th write statement (counted once it serves)."""

    PRELUDE = (
        "import os, signal, sqlite3, sys\n"
        "at = int(os.environ.get('CHAOS_PB_AT', '0'))\n"
        "state = {'n': 0, 'armed': False}\n"
        "WRITES = ('BEGIN', 'INSERT', 'UPDATE', 'DELETE', 'COMMIT')\n"
        "real_connect = sqlite3.connect\n"
        "def connect(*a, **k):\n"
        "    conn = real_connect(*a, **k)\n"
        "    def trace(stmt):\n"
        "        word = stmt.split(None, 1)[0].upper() if stmt.strip() else ''\n"
        "        if state['armed'] and word in WRITES:\n"
        "            state['n'] += 1\n"
        "            if state['n'] == at:\n"
        "                sys.stdout.write(f'HIT kill pollbook:sql:{word}\\n'); sys.stdout.flush()\n"
        "                os.kill(os.getpid(), signal.SIGKILL)\n"
        "    conn.set_trace_callback(trace)\n"
        "    return conn\n"
        "sqlite3.connect = connect\n"
        "import booth.pollbook.server as server\n"
        "real_serve = server.PollBookServer.serve_forever\n"
        "def serve(self):\n"
        "    state['armed'] = True\n"
        "    return real_serve(self)\n"
        "server.PollBookServer.serve_forever = serve\n"
        "from refvote.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )

    def __init__(self, setup: Setup, db: Path, port: int) -> None:
        self.setup, self.db, self.port = setup, db, port
        self.process: subprocess.Popen[str] | None = None

    def start(self, kill_at: int = 0) -> None:
        s = self.setup
        args = [
            "station", "serve", "--package", str(s.package), "--authority", s.fingerprint,
            "--station", STATION, "--db", str(self.db),
            "--tls-key", str(s.keys / "stations" / f"{STATION}.tls.key.pem"),
            "--listen", f"127.0.0.1:{self.port}",
        ]  # fmt: skip
        env = child_env(CHAOS_PB_AT=str(kill_at))
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.PRELUDE, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening" not in line:
            self.process.kill()
            _, err = self.process.communicate()
            raise ChaosFailure(f"the poll book did not start: {line}{err}")

    def died(self) -> str | None:
        """If the process ended (killed at its point): the HIT line it printed."""
        p = self.process
        if p is None or p.poll() is None:
            return None
        out, err = p.communicate()
        if p.returncode != -signal.SIGKILL:
            raise ChaosFailure(f"the poll book ended by itself ({p.returncode}): {err[-2000:]}")
        self.process = None
        return next((ln[4:] for ln in out.splitlines() if ln.startswith("HIT ")), "?")

    def sessions(self) -> list[bytes]:
        """Every S the poll book ever handed out (voted, in progress or released)."""
        if not self.db.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT session FROM voters WHERE session IS NOT NULL "
                "UNION SELECT session FROM released"
            ).fetchall()
        finally:
            conn.close()
        return [bytes(r[0]) for r in rows]

    def stop(self) -> None:
        p = self.process
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
        self.process = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Child:
    rc: int
    lines: list[str]
    stderr: str

    def get(self, tag: str) -> list[str]:
        return [ln[len(tag) + 1 :] for ln in self.lines if ln.startswith(tag + " ")]


def run_child(config: dict[str, Any], path: Path) -> Child:
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tests.chaos.booth_child", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
        env=child_env(),
    )
    return Child(done.returncode, done.stdout.splitlines(), done.stderr)


def plan_obj(plan: Any) -> dict[str, Any]:
    return {
        "identifier": plan.identifier,
        "choices": {q: None if c is None else c.value for q, c in plan.choices.items()},
        "challenges": plan.challenges,
        "pull": None if plan.pull_card_at is None else plan.pull_card_at.value,
    }


class Day:
    """One polling day: a fresh booth folder and poll book, rounds until closed."""

    def __init__(self, run: Harness, n: int) -> None:
        self.run = run
        self.folder = run.setup.tmp / f"day-{n}"
        self.booth = self.folder / "booth"
        self.booth.mkdir(parents=True)
        self.pollbook = PollBook(run.setup, self.folder / "pollbook.sqlite", free_port())
        self.told: list[str] = []
        self.polls = {"unconfigured"}  # the states the next restart may find
        self.children = 0
        self.plans = random_plans(
            run.setup.verified.definition,
            run.setup.identifiers,
            seed=run.rng.randrange(1 << 30),
            model=VoterModel(challenge=0.25),
        )
        self.next_voter = 0
        self.used: list[Any] = []  # the plans handed to children (the scan's plaintexts)

    def config(self, script: list[dict[str, Any]], fault: dict[str, Any] | None) -> dict[str, Any]:
        s = self.run.setup
        assert self.pollbook.port
        return {
            "folder": str(self.booth),
            "booth_id": BOOTH,
            "booth_key": str(s.keys / "booth.key.json"),
            "tls_key": str(s.keys / "booths" / f"{BOOTH}.tls.key.pem"),
            "package": str(s.package),
            "fingerprint": s.fingerprint,
            "pin": s.pin,
            "address": ["127.0.0.1", self.pollbook.port],
            "pollbook_db": str(self.pollbook.db),
            "cards": s.cards,
            "script": script,
            "fault": fault,
        }

    def votes(self, count: int, plain: bool = False) -> list[dict[str, Any]]:
        """The next `count` voters' plans; `plain`: each one casts, no challenge, no pull."""
        rng = self.run.rng
        out = []
        for _ in range(count):
            plan = self.plans[self.next_voter % len(self.plans)]
            self.next_voter += 1
            obj = plan_obj(plan)
            if plain:
                obj["challenges"] = 0
                obj["choices"] = {q: c or "yes" for q, c in obj["choices"].items()}
            elif rng.random() < 0.15:
                obj["pull"] = rng.choice(["questions", "review", "deciding"])
            out.append({"do": "vote", "plan": obj})
            self.used.append(plan_from(obj))
        return out

    def child(self, script: list[dict[str, Any]], fault: dict[str, Any] | None) -> Child:
        self.children += 1
        return run_child(self.config(script, fault), self.folder / f"child-{self.children}.json")


class Harness:
    def __init__(self, setup: Setup, seed: int, calibration: dict[str, int] | None = None) -> None:
        self.setup = setup
        self.rng = random.Random(seed)
        self.figures = Figures()
        self.calibration = calibration or {}
        self.limit = 1 << 30
        self.pollbook_writes = 18  # a round of three voters makes about 20

    # Calibration: how many writes each phase makes in a round of this size -------------------

    def calibrate(self) -> None:
        day = Day(self, 0)
        day.pollbook.start()
        try:
            first = day.child([{"do": "open"}, *day.votes(VOTERS_PER_ROUND)], None)
            second = day.child(day.votes(VOTERS_PER_ROUND), None)
            third = day.child([{"do": "close"}], None)
        finally:
            day.pollbook.stop()
        for child in (first, second, third):
            if child.rc != 0:
                raise ChaosFailure(f"calibration child failed ({child.rc}): {child.stderr[-3000:]}")
        counts: Counter[str] = Counter()
        for child in (first, second, third):
            for phase, n in json.loads(child.get("COUNTS")[0]).items():
                counts[phase] = max(counts[phase], n)
        self.calibration = dict(counts)
        if os.environ.get("CHAOS_VERBOSE"):
            print(f"calibration {self.calibration}", file=sys.stderr)
        self.calibration.setdefault("challenge", 10)

    # Rounds ------------------------------------------------------------------------------------

    def choose(self, day: Day, kind: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        rng = self.rng
        if kind == "open":
            script = [{"do": "open"}, *day.votes(VOTERS_PER_ROUND)]
            phase = rng.choice(["open", "open", "checkin", "confirm", "cast"])
            return script, {"phase": phase, "at": self._at(phase), "action": "kill"}
        if kind == "close":
            script = [{"do": "close"}]
            if rng.random() < 0.25:
                action = rng.choice(["enospc", "eio"])
                return script, {"phase": "close", "at": 1, "action": action,
                                "targets": EXPORT_TARGETS[::-1]}  # fmt: skip
            return script, {"phase": "close", "at": self._at("close"), "action": "kill"}
        script = [{"do": "open"}, *day.votes(VOTERS_PER_ROUND)]
        if kind == "fault":
            action = rng.choice(["enospc", "eio", "pulled", "sqlfault", "log"])
            if action == "sqlfault":  # the store on the internal disk: sealing or deciding
                phase = rng.choice(["cast", "confirm", "challenge"])
                targets = ["BEGIN", "INSERT", "UPDATE", "DELETE", "COMMIT"]
            elif action == "log":  # the event log, on the internal disk too
                phase = rng.choice(["cast", "checkin", "challenge"])
                targets, action = ["events.log"], rng.choice(["enospc", "eio"])
            else:  # the mirror medium: written when a ballot is decided
                phase = rng.choice(["cast", "cast", "challenge"])
                targets = MIRROR_TARGETS
            at = rng.randint(1, 3)
            return script, {"phase": phase, "at": at, "action": action, "targets": targets}
        phase = rng.choice(PHASES)
        return script, {"phase": phase, "at": self._at(phase), "action": "kill"}

    def _at(self, phase: str) -> int:
        return self.rng.randint(1, max(1, self.calibration.get(phase, 10)))

    def one_day(self, n: int, rounds: int) -> None:
        f = self.figures
        day = Day(self, n)
        day.pollbook.start()
        f.days += 1
        try:
            kinds = ["open"] + [
                self.rng.choice(["kill", "kill", "kill", "pollbook", "fault"])
                for _ in range(rounds - 2)
            ] + ["close"]  # fmt: skip
            for kind in kinds[:rounds]:
                if f.rounds >= self.limit:
                    break
                self.round(day, kind)
            self.finish(day)
        finally:
            day.pollbook.stop()

    def round(self, day: Day, kind: str) -> None:
        f = self.figures
        script, fault = self.choose(day, kind)
        if kind == "pollbook":
            day.pollbook.stop()
            day.pollbook.start(kill_at=self.rng.randint(1, self.pollbook_writes))
            fault = None
        before = day.polls
        child = day.child(script, fault)
        f.rounds += 1
        self.absorb(day, child, before, script)
        hit = child.get("HIT")
        died = day.pollbook.died()
        if kind == "pollbook":
            if died is not None:
                f.pollbook_kills += 1
                f.by_point[died.split(" ", 1)[1]] += 1
            else:  # its point never came: disarm it, so it never dies in a later round
                f.completed += 1
                day.pollbook.stop()
            if child.rc not in (0,):
                raise ChaosFailure(f"booth child with the poll book killed: {child.rc}")
        elif died is not None:
            raise ChaosFailure(f"the poll book died outside a poll-book round: {died}")
        elif child.rc == -signal.SIGKILL:
            f.kills += 1
            f.by_point[hit[0].split(" ", 1)[1]] += 1
        elif fault is not None and fault["action"] != "kill" and hit:
            label = hit[0]
            if child.rc == 3:
                f.faults += 1
            elif child.rc == 0:
                f.tolerated += 1
            f.by_point[label] += 1
        elif child.rc == 0 and not hit:
            f.completed += 1
        else:
            raise ChaosFailure(f"round {f.rounds}: child ended {child.rc}: {child.stderr[-3000:]}")
        if os.environ.get("CHAOS_VERBOSE"):
            told = len(child.get("TOLD"))
            print(f"round {f.rounds} {kind} {fault} rc={child.rc} hit={hit} "
                  f"faults={child.get('FAULT')} stop={child.get('STOP')} told={told}",
                  file=sys.stderr)  # fmt: skip
            if f.rounds % 25 == 0:
                print(f.line(), file=sys.stderr)
        # Clear the fault (the medium plugged back in), scan what the crash left, restart.
        pulled = day.booth / "mirror.pulled"
        if pulled.exists():
            pulled.rename(day.booth / "mirror")
        if day.pollbook.process is None:
            day.pollbook.start()
        self.scan(day)

    def absorb(
        self, day: Day, child: Child, before: set[str], script: list[dict[str, Any]]
    ) -> None:
        """Read one child's report: check its snapshot (taken right after its restart), note
        what its voters were told, and whether it stopped with a named error."""
        if "Traceback" in child.stderr:
            raise ChaosFailure(f"a traceback reached the booth's output: {child.stderr[-3000:]}")
        faults = child.get("FAULT")
        if child.rc == 3 and not faults:
            raise ChaosFailure(f"the child stopped without naming its fault: {child.lines}")
        snapshots = child.get("SNAPSHOT")
        if snapshots:
            self.check_snapshot(day, json.loads(snapshots[0]), before)
        elif child.rc != -signal.SIGKILL or not child.get("HIT"):
            raise ChaosFailure(f"the booth did not start: {child.lines} {child.stderr[-3000:]}")
        day.told += child.get("TOLD")
        self.figures.told += len(child.get("TOLD"))
        now = json.loads(snapshots[0])["polls"] if snapshots else None
        target = "closed" if any(st["do"] == "close" for st in script) else "open"
        if child.rc == 0:
            day.polls = {target}
        else:  # cut short: where it was, or any state on its way to the target
            start = {now} if now is not None else day.polls
            path = ["unconfigured", "configured", "open", "closed"]
            day.polls = set()
            for state in start:
                if path.index(state) <= path.index(target):
                    day.polls |= set(path[path.index(state) : path.index(target) + 1])
                else:
                    day.polls.add(state)

    # Checks ------------------------------------------------------------------------------------

    def check_snapshot(self, day: Day, snap: dict[str, Any], before: set[str]) -> None:
        f = self.figures
        f.restarts += 1
        where = f"day {f.days}, restart {day.children}"
        if snap["problem"] is not None:
            raise ChaosFailure(f"{where}: the recovery left a storage problem: {snap['problem']}")
        if snap["pending"]:
            raise ChaosFailure(f"{where}: an undecided ballot survived the restart")
        if snap["polls"] not in before:
            raise ChaosFailure(f"{where}: polls are {snap['polls']}, expected one of {before}")
        if snap["export"] is None:
            if day.told:
                raise ChaosFailure(f"{where}: ballots were told cast but the store has no chain")
            return
        export = self.verify_export(snap["export"].encode(), where, proofs=False)
        self.check_told(day, export, snap["mirror"], where)
        pb = snap.get("pollbook")
        if pb is not None and snap["outbox"] == 0:
            if pb["voted"] != export.counts.cast:
                raise ChaosFailure(
                    f"{where}: the poll book counts {pb['voted']} voted, the booth "
                    f"{export.counts.cast} cast"
                )
            if snap["reported"] and any(e != "booth-answer" for e in pb["stuck_evidence"]):
                raise ChaosFailure(
                    f"{where}: a check-in in progress lacks the booth's answer: "
                    f"{pb['stuck_evidence']}"
                )
            f.released += pb.get("released", 0)

    def verify_export(self, data: bytes, where: str, proofs: bool) -> BoothExport:
        from tally.verify import (
            Seen,
            VerificationFailed,
            check_chain,
            check_chain_membership,
            check_challenged,
            check_export_identity,
            check_proofs,
            check_validity,
        )

        pkg = self.setup.verified
        try:
            export = check_export_identity(pkg, BOOTH, data, f"{where}: export")
            check_chain(export)
            check_validity(pkg, export, Seen())
            check_chain_membership(pkg, export)
            check_challenged(pkg, export)
            if proofs:
                check_proofs(pkg, export)
        except VerificationFailed as exc:
            raise ChaosFailure(f"{where}: the export does not verify: {exc}") from None
        return export

    def check_told(
        self, day: Day, export: BoothExport, mirror: list[list[str]], where: str
    ) -> None:
        base = self.setup.verified.public.base
        cast = Counter(b.ballot.hash(base).hex() for b in export.ballots if b.status is Status.CAST)
        chain_cast = Counter(e.ballot_hash.hex() for e in export.chain if e.kind.value == "cast")
        mirror_cast = Counter(h for kind, h in mirror if kind == "cast")
        chain = [[e.kind.value, e.ballot_hash.hex()] for e in export.chain]
        if chain != mirror:
            raise ChaosFailure(f"{where}: the mirror's entries are not the store's chain")
        for told in day.told:
            if (cast[told], chain_cast[told], mirror_cast[told]) != (1, 1, 1):
                raise ChaosFailure(
                    f"{where}: a ballot told cast is there {cast[told]}, {chain_cast[told]}, "
                    f"{mirror_cast[told]} times (export, chain, mirror)"
                )
            self.figures.ballots_checked += 1

    def scan(self, day: Day) -> None:
        """Every file the booth and the poll book left after this child (crash leftovers too)."""
        files = [
            p for p in sorted(day.folder.rglob("*"))
            if p.is_file() and "paper" not in p.relative_to(day.folder).parts
            and not p.name.startswith("child-")
        ]  # fmt: skip
        secrets = replace(self.setup.secrets, sessions=day.pollbook.sessions())
        plans = [*day.plans, *day.used]
        problems = scan(files, secrets, self.setup.verified.definition, plans)
        if problems:
            raise ChaosFailure(f"privacy scan after round {self.figures.rounds}: {problems}")
        self.figures.files_scanned += len(files)

    def finish(self, day: Day) -> None:
        """Close the day (a child without a fault completes a closing a kill cut short) and
        verify the export on the medium completely, proofs included."""
        f = self.figures
        child = day.child([{"do": "close"}], None)
        self.absorb(day, child, day.polls, [{"do": "close"}])
        if child.rc != 0 or not child.get("CLOSED"):
            raise ChaosFailure(f"the day did not close: {child.lines} {child.stderr[-3000:]}")
        export_path = day.booth / "usb" / f"export-{BOOTH}.json"
        export = self.verify_export(export_path.read_bytes(), f"day {f.days} export", proofs=True)
        snap = json.loads(child.get("SNAPSHOT")[0])
        self.check_told(day, export, snap["mirror"], f"day {f.days} export")
        f.cast += export.counts.cast
        self.scan(day)

    def run(self, n: int) -> Figures:
        self.limit = n
        if not self.calibration:
            self.calibrate()
        day = 1
        while self.figures.rounds < n:
            self.one_day(day, min(ROUNDS_PER_DAY, n - self.figures.rounds + 1))
            day += 1
        return self.figures


def run(n: int, seed: int = 1, tmp: Path | None = None) -> Figures:
    tmp = tmp or Path(tempfile.mkdtemp(prefix="booth-chaos-"))
    voters = 3 * VOTERS_PER_ROUND * ROUNDS_PER_DAY
    setup = build(tmp, voters)
    return Harness(setup, seed).run(n)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 20
    seed = int(argv[1]) if len(argv) > 1 else 1
    started = time.monotonic()
    try:
        figures = run(n, seed)
    except ChaosFailure as exc:
        print(f"BOOTH CHAOS FAILED: {exc}", file=sys.stderr)
        return 1
    print(figures.line())
    print(f"({time.monotonic() - started:.0f} s, seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
