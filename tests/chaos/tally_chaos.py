"""Crash injection for the tally station (issue 10, Build): `make chaos N=…`.

Each round runs `refvote tally import` (one booth's export) or `refvote tally publish` in a
child process that kills itself with SIGKILL at the k-th call of one of os.write, os.fsync,
os.replace, os.rename or os.mkdir (chosen at random: a hook, never a timed sleep), then checks:

- the workspace (and the record folder) is exactly the old state or exactly the new one (the
  state a clean run of the same command gives, computed first on a copy), ignoring only the
  lock file and the temporary and staging names a killed writer leaves (which the next
  command removes);
- the same command rerun without a kill succeeds and gives exactly the new state, with no
  temporary or staging file left;
- after publishing, the record verifies (the command runs the verifier; it must print no
  FAILED line).

What it does not cover yet: the booth core (cast transactions, the two media, printing), the
poll book, `trustee step|decrypt`, and syscall faults (ENOSPC, EIO, a medium pulled). See
docs/reliability.md.

Usage: python -m tests.chaos.tally_chaos N [SEED]
"""

from __future__ import annotations

import ast
import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ballots.package import key_fingerprint
from crypto.keyfile import write_signing_key
from tally.station import TallyStation
from tests.record_helpers import BuiltRecord, build_record

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ("os.write", "os.fsync", "os.replace", "os.rename", "os.mkdir")
TRANSIENT = (".staging-", ".tmp-", ".partial", ".lock")


class ChaosFailure(AssertionError):
    pass


@dataclass
class Figures:
    rounds: int = 0
    kills: int = 0  # children that died by SIGKILL mid-command
    faults: int = 0  # children whose call failed with ENOSPC or EIO and that said so cleanly
    completed: int = 0  # children whose k-th call never came (the command finished)
    by_hook: dict[str, int] = field(default_factory=dict)


COUNTING = (
    "import atexit, os, sys\n"
    "counts = {}\n"
    "def wrap(name):\n"
    "    real = getattr(os, name)\n"
    "    def hook(*a, **k):\n"
    "        counts[name] = counts.get(name, 0) + 1\n"
    "        return real(*a, **k)\n"
    "    setattr(os, name, hook)\n"
    f"for name in {[h.split('.')[1] for h in HOOKS]!r}: wrap(name)\n"
    "atexit.register(lambda: sys.stderr.write(f'\\nCALLS {counts!r}\\n'))\n"
)


FAULTS = {"kill": None, "enospc": "ENOSPC", "eio": "EIO"}

# Children keep their bytecode in one cache outside the worktree (the environment may say
# PYTHONDONTWRITEBYTECODE, and recompiling every module costs each child about a second).
PYCACHE = Path(tempfile.gettempdir()) / f"refvote-chaos-pycache-{os.getuid()}"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(PYCACHE), **extra}


def refvote(
    args: list[str],
    hook: str | None = None,
    at: int = 0,
    count: bool = False,
    fault: str = "kill",
) -> subprocess.CompletedProcess[str]:
    """`refvote ARGS` in a child; with `hook`, its `at`-th call is killed (SIGKILL) or fails
    with the OSError of `fault` (a full disk, an I/O error: what a pulled medium gives)."""
    prelude = COUNTING if count else ""
    if hook is not None:
        module, name = hook.rsplit(".", 1)
        errno_name = FAULTS[fault]
        act = (
            "os.kill(os.getpid(), signal.SIGKILL)"
            if errno_name is None
            else f"raise OSError(errno.{errno_name}, os.strerror(errno.{errno_name}))"
        )
        prelude = (
            f"import errno, os, signal, {module} as m\n"
            f"real = m.{name}\ncalls = [0]\n"
            "def hook(*a, **k):\n"
            "    calls[0] += 1\n"
            f"    if calls[0] == {at}: {act}\n"
            "    return real(*a, **k)\n"
            f"m.{name} = hook\n"
        )
    code = f"{prelude}\nimport sys\nfrom refvote.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
        env=child_env(),
    )


def state(folder: Path) -> dict[str, bytes]:
    """The files of `folder` a reader sees (without the lock and a killed writer's temps)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): _content(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not any(t in part for part in p.parts for t in TRANSIENT)
        # index.sqlite is derived state, reconciled with imports/ by the next command
        # (tests/test_tally_import_index.py); its journal is SQLite's own.
        and not p.name.startswith("index.sqlite")
    }


def _content(path: Path) -> bytes:
    """A file's bytes; for a PDF (whose bytes hold its creation time) only whether it is one
    complete PDF, from its header to its end-of-file marker."""
    data = path.read_bytes()
    if path.suffix == ".pdf" and data.startswith(b"%PDF-") and b"%%EOF" in data[-32:]:
        return b"a complete PDF"
    return data


def leftovers(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if any(t in p.name for t in TRANSIENT[:3])
    )


def _round(
    rng: random.Random, figures: Figures, command: list[str], folders: list[Path], tmp: Path
) -> None:
    """Kill `command` somewhere, then check old-or-new and that a rerun gives the new state."""
    old = [state(f) for f in folders]
    # The new state: a clean run on copies (paths rewritten to the copies).
    shadow = tmp / f"shadow-{figures.rounds}"
    shadow.mkdir()
    mapping = {}
    for n, f in enumerate(folders):
        copy = shadow / f"{n}-{f.name}"
        if f.exists():
            shutil.copytree(f, copy)
        mapping[str(f)] = str(copy)
    clean = refvote([mapping.get(a, a) for a in command], count=True)
    if clean.returncode != 0:
        raise ChaosFailure(f"clean run failed: {command}: {clean.stderr}")
    new = [state(Path(mapping[str(f)])) for f in folders]
    shutil.rmtree(shadow)

    # Kill at a call the command makes: counted in the clean run.
    calls = ast.literal_eval(clean.stderr.rsplit("CALLS ", 1)[1].strip())
    hook = "os." + rng.choice(sorted(calls))
    at = rng.randint(1, calls[hook[3:]])
    fault = rng.choice(["kill", "kill", "enospc", "eio"])
    killed = refvote(command, hook, at, fault=fault)
    figures.rounds += 1
    if fault != "kill" and killed.returncode not in (0, -signal.SIGKILL):
        said = killed.stderr + killed.stdout
        code = getattr(errno, FAULTS[fault] or "")
        reasons = (os.strerror(code), "the disk is full")  # crypto.files names ENOSPC so
        if "Traceback" in said or not any(r in said for r in reasons):  # says what failed
            raise ChaosFailure(f"{command} with {fault} at {hook}#{at}: {said}")
        figures.faults += 1
        figures.by_hook[f"{fault} {hook}"] = figures.by_hook.get(f"{fault} {hook}", 0) + 1
    elif killed.returncode == -signal.SIGKILL:
        figures.kills += 1
        figures.by_hook[hook] = figures.by_hook.get(hook, 0) + 1
    elif killed.returncode == 0:
        figures.completed += 1
    else:
        raise ChaosFailure(f"{command} with {hook}#{at}: {killed.returncode} {killed.stderr}")
    after = [state(f) for f in folders]
    if killed.returncode == 0 and after != new:  # success said, so the new state it must be
        raise ChaosFailure(f"{command} with {fault} at {hook}#{at} said done but is not")
    for f, a, o, w in zip(folders, after, old, new, strict=True):
        if a not in (o, w):
            raise ChaosFailure(
                f"{command} killed at {hook}#{at}: {f} is neither the old state nor the new one"
                f" (differs in {sorted(set(a) ^ set(w) | {k for k in a if a.get(k) != w.get(k)})})"
            )
    again = refvote(command)
    if again.returncode != 0:
        raise ChaosFailure(f"rerun after {hook}#{at} failed: {command}: {again.stderr}")
    for f, w in zip(folders, new, strict=True):
        if state(f) != w:
            differ = sorted(k for k in set(w) | set(state(f)) if state(f).get(k) != w.get(k))
            raise ChaosFailure(f"rerun after {hook}#{at}: {f} is not the new state: {differ}")
        if f.exists() and leftovers(f):
            raise ChaosFailure(f"rerun after {hook}#{at}: {f} keeps {leftovers(f)}")
    if "verifying" in again.stdout and "FAILED" in again.stdout.split("verifying")[1]:
        raise ChaosFailure(f"the record published after {hook}#{at} does not verify")


def run(
    n: int, seed: int = 1, tmp: Path | None = None, built: BuiltRecord | None = None
) -> Figures:
    rng = random.Random(seed)
    tmp = tmp or Path(tempfile.mkdtemp(prefix="chaos-"))
    built = built or build_record(tmp / "election", ballots=16, challenged=1, voided=1)
    key_file = tmp / "tally.key.json"
    write_signing_key(key_file, "tally", "tally station", built.tally_key)
    figures = Figures()
    while figures.rounds < n:
        ws = tmp / f"ws-{figures.rounds}"
        station = TallyStation(ws)
        station.init(built.package_folder, key_fingerprint(built.authority.verify_key))
        # Import every export, each through a killed child and a rerun.
        for export in built.exports:
            media = tmp / f"media-{figures.rounds}"
            media.mkdir()
            (media / f"{export.booth_id}.json").write_bytes(export.to_json())
            _round(rng, figures, ["tally", "import", "--workspace", str(ws), str(media)], [ws], tmp)
            shutil.rmtree(media)
            if figures.rounds >= n:
                return figures
        station.prepare(tmp / f"pre-{figures.rounds}", built.tally_key)
        for path in sorted((built.folder / "tally/shares").glob("*.json")):
            station.accept_shares(path.read_bytes())
        out = tmp / f"out-{figures.rounds}"
        command = [
            "tally", "publish", "--workspace", str(ws), "--tally-key", str(key_file),
            "--out", str(out / "record"), "--reports", str(out / "reports"),
            "--workers", "1",  # workers write no file; the parent's calls are counted and killed
        ]  # fmt: skip
        out.mkdir()
        # The record and the reports are each old or new (publish writes the record first;
        # a rerun completes the reports).
        _round(rng, figures, command, [ws, out / "record", out / "reports"], tmp)
    return figures


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 20
    seed = int(argv[1]) if len(argv) > 1 else 1
    try:
        figures = run(n, seed)
    except ChaosFailure as exc:
        print(f"CHAOS FAILED: {exc}", file=sys.stderr)
        return 1
    print(
        f"{figures.rounds} rounds: {figures.kills} children killed by SIGKILL mid-command, "
        f"{figures.faults} failed cleanly on ENOSPC or EIO "
        f"({', '.join(f'{k} {v}' for k, v in sorted(figures.by_hook.items()))}), "
        f"{figures.completed} finished before their kill point; every state old or new, "
        "every rerun complete"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
