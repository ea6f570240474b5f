"""`refvote bench`: performance figures as ratios against ElectionGuard, in the same run.

Per figure, the median of at least 31 runs. The ballot workload (encrypt + prove one
4-question referendum ballot; verify all its proofs from its bytes) runs interleaved with
ElectionGuard 1.4.0's, one run of each in turn, in a peer process under the Python of
.venv-eg (made by `make bench`). Also: a 3-of-5 threshold decryption of one sum of 3,000
ballots, and 70,000 worst-case packed discrete-log solves at N = 3,000.

JSON keys (`--json`), times in milliseconds unless the key says seconds:
  runs, questions
  encrypt_ms, verify_ms                  refvote, median per ballot
  eg_encrypt_ms, eg_verify_ms            ElectionGuard 1.4.0, median per ballot
  encrypt_ratio_vs_electionguard         eg_encrypt_ms / encrypt_ms (how many times faster)
  prepare_ms                             the K-multiplications of a ballot, done before the
                                         voter chooses (the booth may; PROTOCOL §4)
  encrypt_after_choice_ms                what is left after the choice: the wait a voter sees
  verify_ratio_vs_electionguard          eg_verify_ms / verify_ms
  decrypt_sum_ms                         median: 3 trustees' shares with proofs, their checks,
                                         Lagrange combination and the packed search (N = 3,000)
  dlog_n, dlog_solves                    the discrete-log workload
  dlog_table_s, dlog_solve_s, dlog_total_s
Booth figures (refvote.bench_booth: a simulated day of --booth-voters voters at one real
booth, in a child process; no peer to compare with):
  booth_voters, booth_cast, booth_day_s
  booth_cast_latency_median_ms, booth_cast_latency_p95_ms   Cast → durable on both media
  booth_startup_new_s                    create, configure, open polls (zero report printed)
  booth_startup_restart_s                restart over the full store (store, mirror, chain)
  booth_peak_rss_mib                     the booth process's peak RSS over the day
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from refvote.progress import Progress

MIN_RUNS = 31
DLOG_N = 3000


class PeerMissing(Exception):
    pass


class Peer:
    """ElectionGuard in its own process; each request returns the elapsed nanoseconds."""

    def __init__(self, python: str) -> None:
        if not Path(python).is_file() or not os.access(python, os.X_OK):
            raise PeerMissing(python)
        script = Path(__file__).with_name("_eg_peer.py")
        # stderr goes to a file: a pipe nobody reads could fill and stall the peer.
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(  # noqa: S603 - a fixed script under a chosen interpreter
            [str(Path(python).absolute()), str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )
        first = self._read()
        if not first.get("ready"):
            raise PeerMissing(python)

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.errors.seek(0)
            err = self.errors.read().strip().splitlines()
            raise PeerMissing(err[-1] if err else "the ElectionGuard peer exited")
        result: dict[str, Any] = json.loads(line)
        return result

    def run(self, command: str) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return float(self._read()["ns"]) / 1e6

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.errors.close()


def bench(args: argparse.Namespace) -> int:
    if args.runs < MIN_RUNS:
        print(f"refvote bench: --runs must be at least {MIN_RUNS}", file=sys.stderr)
        return 2
    try:
        peer = Peer(args.peer_python)
    except PeerMissing as exc:
        print(
            f"refvote bench: ElectionGuard 1.4.0 is not available at {args.peer_python} ({exc}).\n"
            "Run `make bench`: it installs electionguard==1.4.0 into .venv-eg/ and runs this.",
            file=sys.stderr,
        )
        return 3
    try:
        figures = _measure(args, peer)
    finally:
        peer.close()
    if args.booth_voters > 0:
        from refvote.bench_booth import booth_figures

        print(f"booth: a {args.booth_voters}-voter day at one booth…", file=sys.stderr)
        figures.update(booth_figures(args.booth_voters))
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
    else:
        _print(figures)
    return 0


def _measure(args: argparse.Namespace, peer: Peer) -> dict[str, Any]:
    import crypto  # noqa: F401 - runs the library self-test
    from crypto.elgamal import PublicKey
    from crypto.hashing import fingerprint
    from crypto.hazmat.group import Point
    from crypto.randomness import random_scalar
    from refvote import sample_ballots as sb

    key = PublicKey(Point.base_mul(random_scalar()))
    base = fingerprint("base", b"refvote bench")
    runs = args.runs
    times: dict[str, list[float]] = {
        "encrypt": [],
        "verify": [],
        "eg_encrypt": [],
        "eg_verify": [],
        "prepare": [],
        "after_choice": [],
    }
    with Progress("ballots", runs) as bar:
        for n in range(runs):
            # Every kind of answer appears, as in the peer's workload.
            choices = {qid: sb.VALUES[(n + q) % 3] for q, qid in enumerate(sb.QUESTION_IDS)}
            start = time.perf_counter_ns()
            data = sb.to_json(sb.encrypt_sample(key, base, choices))
            times["encrypt"].append((time.perf_counter_ns() - start) / 1e6)
            # The same ballot with its K-multiplications done while the voter chooses. Measured
            # here, so the headline encrypt above always runs right after the peer's work.
            start = time.perf_counter_ns()
            prepared = sb.prepare_sample(key)
            times["prepare"].append((time.perf_counter_ns() - start) / 1e6)
            start = time.perf_counter_ns()
            sb.to_json(sb.encrypt_prepared_sample(key, base, choices, prepared))
            times["after_choice"].append((time.perf_counter_ns() - start) / 1e6)
            times["eg_encrypt"].append(peer.run("encrypt"))
            start = time.perf_counter_ns()
            sb.verify_json(data, key, base)
            times["verify"].append((time.perf_counter_ns() - start) / 1e6)
            times["eg_verify"].append(peer.run("verify"))
            bar.advance()
    med = {name: statistics.median(values) for name, values in times.items()}
    figures: dict[str, Any] = {
        "runs": runs,
        "questions": len(sb.QUESTION_IDS),
        "encrypt_ms": round(med["encrypt"], 3),
        "verify_ms": round(med["verify"], 3),
        "eg_encrypt_ms": round(med["eg_encrypt"], 3),
        "eg_verify_ms": round(med["eg_verify"], 3),
        "encrypt_ratio_vs_electionguard": round(med["eg_encrypt"] / med["encrypt"], 1),
        "prepare_ms": round(med["prepare"], 3),
        "encrypt_after_choice_ms": round(med["after_choice"], 3),
        "verify_ratio_vs_electionguard": round(med["eg_verify"] / med["verify"], 1),
    }
    figures.update(_threshold_figures(runs, args.dlog_solves))
    return figures


def _threshold_figures(runs: int, solves: int) -> dict[str, Any]:
    from crypto.ceremony.rehearsal import open_ceremony, rehearse
    from crypto.ceremony.sealed_share import unseal_key_share
    from crypto.elgamal import encrypt_random, sum_ciphertexts
    from crypto.hashing import fingerprint
    from crypto.hazmat.group import Point, Scalar
    from crypto.signing import SigningKey
    from crypto.threshold import PACKING_BASE, PackedTable, ThresholdDecryption, partial_decrypt

    identities = [SigningKey.generate() for _ in range(5)]
    params = open_ceremony(
        fingerprint("manifest", b"refvote bench"),
        3,
        [(f"t{i}", k) for i, k in enumerate(identities, 1)],
    )
    passphrases = [f"bench {i}" for i in range(5)]
    result = rehearse(params, identities, passphrases)
    joint = result.joint_key
    # One station's sum for one question: 3,000 ballots, worst case for the search (all "no").
    votes = [PACKING_BASE] * DLOG_N
    total = sum_ciphertexts([encrypt_random(joint.public_key, m)[0] for m in votes])
    shares = []
    for t in (1, 3, 4):
        shares.append(
            unseal_key_share(result.sealed_shares[t - 1], passphrases[t - 1], joint.public_share(t))
        )
    start = time.perf_counter()
    table = PackedTable(DLOG_N)
    table_s = time.perf_counter() - start

    decrypt_times = []
    with Progress("decrypt", runs) as bar:
        for _ in range(runs):
            start = time.perf_counter_ns()
            decryption = ThresholdDecryption(joint, [(total, DLOG_N)])
            for share in shares:
                decryption.add(share.trustee, partial_decrypt(share, [total], joint.base))
            (out,) = decryption.decrypt(table)
            decrypt_times.append((time.perf_counter_ns() - start) / 1e6)
            if (out.yes, out.no) != (0, DLOG_N):
                raise RuntimeError("benchmark decryption gave a wrong result")
            bar.advance()
    for share in shares:
        share.wipe()

    # Worst case for the search: the most giant steps, i.e. `no` in the last block of 256.
    worst = [(yes, DLOG_N - yes) for yes in range(0, DLOG_N - (DLOG_N // 256) * 256 + 1, 7)]
    targets = [(Point.base_mul(Scalar.from_int(y + PACKING_BASE * n)), y, n) for y, n in worst]
    start = time.perf_counter()
    with Progress("dlog", solves) as bar:
        for i in range(solves):
            M, y, n = targets[i % len(targets)]
            if table.solve(M, DLOG_N) != (y, n):
                raise RuntimeError("benchmark discrete log gave a wrong result")
            if i % 1000 == 999:
                bar.advance(1000)
    solve_s = time.perf_counter() - start
    return {
        "decrypt_sum_ms": round(statistics.median(decrypt_times), 3),
        "dlog_n": DLOG_N,
        "dlog_solves": solves,
        "dlog_table_s": round(table_s, 2),
        "dlog_solve_s": round(solve_s, 2),
        "dlog_total_s": round(table_s + solve_s, 2),
    }


def _print(f: dict[str, Any]) -> None:
    print(
        f"refvote bench: medians of {f['runs']} interleaved runs; "
        f"peer: ElectionGuard 1.4.0 (4096-bit group, gmpy2)"
    )
    print(f"  {'':<44}{'refvote':>12}{'ElectionGuard':>16}{'ratio':>10}")
    print(
        f"  {'encrypt + prove one 4-question ballot':<44}{f['encrypt_ms']:>9.2f} ms"
        f"{f['eg_encrypt_ms']:>13.1f} ms{f['encrypt_ratio_vs_electionguard']:>9.1f}×"
    )
    print(
        f"  {'verify all its proofs from its bytes':<44}{f['verify_ms']:>9.2f} ms"
        f"{f['eg_verify_ms']:>13.1f} ms{f['verify_ratio_vs_electionguard']:>9.1f}×"
    )
    print(
        f"  {'  of which after the voter chooses (prepared)':<44}"
        f"{f['encrypt_after_choice_ms']:>9.2f} ms"
        f"   (+{f['prepare_ms']:.2f} ms before)"
    )
    print(f"  {'threshold-decrypt one sum, 3 of 5, N=3,000':<44}{f['decrypt_sum_ms']:>9.2f} ms")
    print(f"  {'packed dlog table, N_max=3,000 (once)':<44}{f['dlog_table_s']:>10.2f} s")
    solves = f"{f['dlog_solves']:,} worst-case solves at N=3,000"
    print(
        f"  {solves:<44}{f['dlog_solve_s']:>10.2f} s"
        f"   (with the table {f['dlog_total_s']:.1f} s; target < 120 s)"
    )
    if "booth_voters" in f:
        print(
            f"booth (one booth process, {f['booth_voters']} voters, {f['booth_cast']} cast "
            f"in {f['booth_day_s']:.0f} s; printer on a pty, poll book over TLS):"
        )
        print(
            f"  {'cast latency, Cast → durable on both media':<44}"
            f"{f['booth_cast_latency_median_ms']:>9.1f} ms median,"
            f" {f['booth_cast_latency_p95_ms']:.1f} ms p95"
        )
        print(
            f"  {'start-up: new booth to polls open':<44}{f['booth_startup_new_s']:>10.2f} s"
            f"   (restart over the full store {f['booth_startup_restart_s']:.2f} s)"
        )
        print(f"  {'peak RSS of the booth process':<44}{f['booth_peak_rss_mib']:>9.1f} MiB")
