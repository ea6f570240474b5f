"""Crash injection for the trustees' commands (issue 10, Build): `trustee step`, `trustee
decrypt`.

    python -m tests.chaos.trustee_chaos N [SEED]        (make chaos N=…)

A ceremony of three trustees (k = 2) runs through their media, every `refvote trustee step`
in a child that kills itself with SIGKILL at a random one of its os.write, os.fsync,
os.replace, os.rename or os.mkdir calls (counted first in a clean run of the same step on a
copy: a hook, never a timed sleep; tests/chaos/tally_chaos.py's `refvote`), and the officials
collect after each round. Then the package is built on that ceremony, each medium accepts it,
a simulated polling day is imported and the pre-decryption record prepared, and each
`refvote trustee decrypt` is killed the same way. After each kill:

- the rerun succeeds (it resumes; a step never starts its round again silently, issue 10 fix 1);
- every file the killed command had completed on the medium (its outbox messages, the sealed
  share) is byte-identical after the rerun: the rerun did not redo with new randomness what
  was already published or sealed; a completed shares file may be written again by a rerun
  of `trustee decrypt`, with new proof nonces but the same trustee and the same decryption
  shares D;
- no temporary file is left;
- at the end the ceremony collects to a joint key, every medium holds its sealed share and no
  state, and every trustee's decryption shares are accepted by the tally station (their
  signature and proofs hold against the sums).

These commands draw fresh randomness, so "the new state" cannot be computed in advance as in
tally_chaos; what a kill may never do is change what was already written.
"""

from __future__ import annotations

import ast
import random
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.chaos.tally_chaos import TRANSIENT, leftovers, refvote

N_TRUSTEES, K = 3, 2
PASSPHRASES = [f"chaos trustee {t}" for t in range(1, N_TRUSTEES + 1)]


class ChaosFailure(AssertionError):
    pass


@dataclass
class Figures:
    rounds: int = 0
    kills: int = 0
    completed: int = 0
    steps: int = 0
    decrypts: int = 0
    ceremonies: int = 0
    by_hook: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        hooks = ", ".join(f"{k} {v}" for k, v in sorted(self.by_hook.items()))
        return (
            f"{self.rounds} rounds ({self.steps} trustee steps, {self.decrypts} trustee "
            f"decrypts over {self.ceremonies} ceremonies): {self.kills} children killed by "
            f"SIGKILL mid-command ({hooks}), {self.completed} finished before their kill "
            "point; every rerun resumed, nothing completed was rewritten (a shares file only "
            "with the same shares D), every ceremony reached its joint key and every "
            "trustee's shares were accepted"
        )


def _done(folder: Path) -> dict[str, bytes]:
    """The medium's completed files (what a kill must never see rewritten), without the
    progress state itself and the temporaries."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.name != "state.json"
        and not any(t in part for part in p.parts for t in TRANSIENT)
    }


def _same_shares(old: bytes, new: bytes | None) -> bool:
    """A shares file a killed `trustee decrypt` completed may be written again by the rerun:
    its DLEQ proofs draw fresh nonces, but the trustee and every decryption share D (a
    function of the key share and the sums alone) must be the same."""
    from ballots.record import SharesFile

    if new is None:
        return False
    a, b = SharesFile.from_json(old), SharesFile.from_json(new)
    return (a.trustee, a.base, [p.share for p in a.shares]) == (
        b.trustee,
        b.base,
        [p.share for p in b.shares],
    )


class Harness:
    def __init__(self, tmp: Path, seed: int, limit: int) -> None:
        self.tmp = tmp
        self.rng = random.Random(seed)  # reproducible kill points, not secrets
        self.figures = Figures()
        self.limit = limit
        for t, p in enumerate(PASSPHRASES, 1):
            (tmp / f"pass-{t}").write_text(p + "\n", encoding="utf-8")

    def killed_round(
        self, command: list[str], folders: list[Path], medium: Path, redone: str = ""
    ) -> None:
        """Count the command's calls on copies, kill it at one of them, rerun, check."""
        f = self.figures
        shadow = self.tmp / f"shadow-{f.rounds}"
        mapping = {}
        for n, folder in enumerate(folders):
            copy = shadow / f"{n}-{folder.name}"
            shutil.copytree(folder, copy)
            mapping[str(folder)] = str(copy)
        clean = refvote([mapping.get(a, a) for a in command], count=True)
        shutil.rmtree(shadow)
        if clean.returncode != 0:
            raise ChaosFailure(f"clean run failed: {command}: {clean.stderr[-2000:]}")
        calls = ast.literal_eval(clean.stderr.rsplit("CALLS ", 1)[1].strip())
        hook = "os." + self.rng.choice(sorted(calls))
        at = self.rng.randint(1, calls[hook[3:]])
        killed = refvote(command, hook, at)
        f.rounds += 1
        if killed.returncode == -signal.SIGKILL:
            f.kills += 1
            f.by_hook[hook] = f.by_hook.get(hook, 0) + 1
        elif killed.returncode == 0:
            f.completed += 1
        else:
            raise ChaosFailure(f"{command} at {hook}#{at}: {killed.returncode} {killed.stderr}")
        written = _done(medium)
        again = refvote(command)
        if again.returncode != 0:
            raise ChaosFailure(f"rerun after {hook}#{at} failed: {command}: {again.stderr}")
        after = _done(medium)
        changed = sorted(
            k
            for k in written
            if after.get(k) != written[k]
            and not (redone and k.startswith(redone) and _same_shares(written[k], after.get(k)))
        )
        if changed:
            raise ChaosFailure(f"the rerun after {hook}#{at} rewrote {changed}: {command}")
        if leftovers(medium):
            raise ChaosFailure(f"rerun after {hook}#{at}: {medium} keeps {leftovers(medium)}")

    def ceremony(self, n: int) -> None:
        from ballots.definition import load_source
        from tally.ceremony import collect, open_ceremony
        from tally.trustee import SHARE, STATE, TrusteeMedium
        from tests.record_helpers import DEFINITION

        f = self.figures
        root = self.tmp / f"ceremony-{n}"
        media = [TrusteeMedium(root / f"medium-{t}") for t in range(1, N_TRUSTEES + 1)]
        keys = [m.init(f"T{t}", PASSPHRASES[t - 1]) for t, m in enumerate(media, 1)]
        definition = load_source(DEFINITION)
        ceremony = root / "ceremony"
        open_ceremony(ceremony, definition.manifest_hash(), K, [(f"T{t}", key) for t, key in
                                                                 enumerate(keys, 1)])  # fmt: skip
        f.ceremonies += 1
        for _ in range(4):  # commit; reveal; confirm and send envelopes; seal the share
            for t, medium in enumerate(media, 1):
                if f.rounds >= self.limit:
                    return
                passphrase = str(self.tmp / f"pass-{t}")
                command = ["trustee", "step", "--medium", str(medium.folder), "--ceremony",
                           str(ceremony), "--passphrase-file", passphrase]  # fmt: skip
                self.killed_round(command, [medium.folder, ceremony], medium.folder)
                f.steps += 1
            collect(ceremony, [m.folder for m in media])
        status = collect(ceremony, [m.folder for m in media])
        if status.joint is None:
            raise ChaosFailure(f"ceremony {n} did not reach its joint key: {status.status}")
        for m in media:
            if not (m.folder / SHARE).is_file() or (m.folder / STATE).exists():
                raise ChaosFailure(f"{m.folder}: no sealed share, or a state left")
        self.decrypt(n, root, ceremony, media)

    def decrypt(self, n: int, root: Path, ceremony: Path, media: list[object]) -> None:
        from ballots.definition import load_source
        from ballots.package import build_package, key_fingerprint, verify_package
        from ballots.station_link import DevStationKeys
        from crypto.signing import SigningKey
        from tally.station import TallyStation
        from tally.trustee import TrusteeMedium, accept_package
        from tests.ballot_exports import simulate_station_day
        from tests.record_helpers import DEFINITION

        f = self.figures
        definition = load_source(DEFINITION)
        authority, tally_key = SigningKey.generate(), SigningKey.generate()
        booth_keys = {b: SigningKey.generate() for b in definition.booth_ids()}
        roll = {
            s.station_id: [f"T{s.station_id}{i:08d}" for i in range(s.eligible)]
            for s in definition.stations
        }
        package = root / "package"
        build_package(
            package, definition.to_json(), ceremony, authority, tally_key.verify_key,
            {b: k.verify_key for b, k in booth_keys.items()}, [], roll, [],
            DevStationKeys.generate(definition).setup(),
        )  # fmt: skip
        fingerprint = key_fingerprint(authority.verify_key)
        for t, medium in enumerate(media, 1):
            assert isinstance(medium, TrusteeMedium)
            accept_package(medium, package, PASSPHRASES[t - 1], fingerprint)
        ctx = verify_package(package, fingerprint).context
        exports, _ = simulate_station_day(ctx, booth_keys, 4, seed=n)
        station = TallyStation(root / "ws")
        station.init(package, fingerprint)
        for e in exports:
            station.import_export(e.to_json())
        station.prepare(root / "pre", tally_key)
        for t, medium in enumerate(media, 1):
            assert isinstance(medium, TrusteeMedium)
            if f.rounds >= self.limit:
                return
            command = ["trustee", "decrypt", "--medium", str(medium.folder), "--record",
                       str(root / "pre"), "--authority", fingerprint,
                       "--passphrase-file", str(self.tmp / f"pass-{t}")]  # fmt: skip
            self.killed_round(command, [medium.folder], medium.folder, "outbox/shares/")
            f.decrypts += 1
            (shares,) = sorted((medium.folder / "outbox" / "shares").glob("*.json"))
            try:
                station.accept_shares(shares.read_bytes())
            except Exception as exc:  # any refusal is the failure reported
                raise ChaosFailure(f"trustee {t}'s shares after a kill: {exc}") from None

    def run(self) -> Figures:
        n = 0
        while self.figures.rounds < self.limit:
            n += 1
            self.ceremony(n)
        return self.figures


def run(n: int, seed: int = 1, tmp: Path | None = None) -> Figures:
    tmp = tmp or Path(tempfile.mkdtemp(prefix="trustee-chaos-"))
    return Harness(tmp, seed, n).run()


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 15
    seed = int(argv[1]) if len(argv) > 1 else 1
    try:
        figures = run(n, seed)
    except ChaosFailure as exc:
        print(f"TRUSTEE CHAOS FAILED: {exc}", file=sys.stderr)
        return 1
    print(figures.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
