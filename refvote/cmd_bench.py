"""`refvote bench`: performance figures as ratios against ElectionGuard, in the same run.

Per figure, the median of at least 31 runs. The ballot workload runs interleaved with
ElectionGuard 1.4.0's, one run of each in turn, in a peer process under the Python of
.venv-eg (made by `make bench`). It is the real ballot (`ballots.ballot`) of a 4-question
referendum: encrypt = `encrypt_ballot` (every question encrypted and proved), the ballot's
canonical JSON bytes, its ballot_hash and its tracking code; verify = from those bytes,
`EncryptedBallot.from_obj`, `check_ballot` (validity rules and every proof), the ballot_hash
and its tracking code and chain link. Then the group comparison (`refvote.bench_groups`: the
same workloads over ristretto255 and over Ed25519, alternating), a trustee's decryption share,
a 3-of-5 threshold decryption of one sum of 3,000 ballots, and 70,000 worst-case packed
discrete-log solves at N = 3,000.

Every per-operation time (the keys in ms) is CPU time of the process doing the work
(`time.process_time_ns`, here and in the peer), not wall time: on a machine that other
processes load, a run of 2 ms usually fits in one time slice while ElectionGuard's 1 s runs
are shared out over many, so wall-time ratios would flatter refvote by the load factor (seen
here: 10× at a load average of 9 on 2 cores). The table and solve figures (keys in s) are
wall time. The 1-minute load average is recorded at the start and the end.

JSON keys (`--json`), times in milliseconds unless the key says seconds:
  runs, questions, group                 group: the protocol's group ("ristretto255")
  cpus, load_average_start, load_average_end     os.cpu_count(), 1-minute load averages
  encrypt_ms, verify_ms                  refvote, median per ballot
  eg_encrypt_ms, eg_verify_ms            ElectionGuard 1.4.0, median per ballot
  encrypt_ratio_vs_electionguard         eg_encrypt_ms / encrypt_ms (how many times faster)
  prepare_ms                             the K-multiplications of a ballot, done before the
                                         voter chooses (PROTOCOL §10; crypto-level ballot of
                                         refvote.sample_ballots, the booth does not use it yet)
  encrypt_after_choice_ms                what is left after the choice: the wait a voter sees
  verify_ratio_vs_electionguard          eg_verify_ms / verify_ms
  encrypt_wall_ratio_vs_electionguard, verify_wall_ratio_vs_electionguard   the same ratios
                                         over wall-clock medians (flattering under load)
  group_runs                             rounds of the group comparison (= runs)
  group_<w>_ms_ristretto255, group_<w>_ms_ed25519, group_<w>_ratio   for w in encrypt, verify,
                                         share, share_verify: median per workload in each group,
                                         and Ed25519 / ristretto255 (how many times faster)
  share_ms                               median: one trustee's decryption share of one sum
                                         with its DLEQ proof (crypto.threshold.partial_decrypt)
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
    """ElectionGuard in its own process; each request returns the CPU milliseconds it took."""

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

    def run(self, command: str) -> tuple[float, float]:
        """(CPU ms, wall-clock ms) of one command in the peer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self._read()
        return float(answer["ns"]) / 1e6, float(answer["wall_ns"]) / 1e6

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


# The bench's election: 4 questions (as on 2021-12-18), one station, one booth.
BENCH_DEFINITION = (
    """
referendum_id = "bench"
date = "2021-12-18"
title_zh = "全國性公民投票（效能測試）"
title_en = "National referendum (benchmark)"
"""
    + "".join(
        f"""
[[questions]]
question_id = "{q}"
case_number = "第{q}案"
short_title_zh = "第{q}案"
short_title_en = "Case {q}"
text_zh = "您是否同意第{q}案？"
text_en = "Do you agree with case {q}?"
english_unofficial = true
"""
        for q in (17, 18, 19, 20)
    )
    + """
[[stations]]
station_id = "S1"
name = "效能測試國小"
county = "臺北市"
township = "中正區"
eligible = 3000
booths = ["S1-A"]
"""
)


def _measure(args: argparse.Namespace, peer: Peer) -> dict[str, Any]:
    import crypto  # noqa: F401 - runs the library self-test
    from ballots.ballot import (
        Choice,
        EncryptedBallot,
        PlaintextBallot,
        check_ballot,
        encrypt_ballot,
    )
    from ballots.chain import EntryKind, chain_link, chain_open, tracking_code
    from ballots.context import ElectionContext
    from ballots.definition import load_source
    from crypto.elgamal import PublicKey
    from crypto.encoding import canonical_json, parse_canonical_json
    from crypto.hashing import fingerprint
    from crypto.hazmat.group import GROUP_NAME, Point
    from crypto.randomness import random_scalar
    from refvote import sample_ballots as sb
    from refvote.bench_groups import compare_groups

    definition = load_source(BENCH_DEFINITION)
    key = PublicKey(Point.base_mul(random_scalar()))
    base = fingerprint("base", b"refvote bench")
    ctx = ElectionContext(definition, definition.manifest_hash(), key, base)
    answers = (Choice.BLANK, Choice.YES, Choice.NO)
    questions = definition.question_ids()
    link = chain_open(base, "S1-A", bytes(32))  # the booth's chain, one ballot after another
    runs = args.runs
    load_start = os.getloadavg()[0]
    times: dict[str, list[float]] = {
        "encrypt": [],
        "verify": [],
        "eg_encrypt": [],
        "eg_verify": [],
        "prepare": [],
        "after_choice": [],
        "encrypt_wall": [],
        "verify_wall": [],
        "eg_encrypt_wall": [],
        "eg_verify_wall": [],
    }

    def peer_run(command: str) -> None:
        cpu, wall = peer.run(command)
        times[f"eg_{command}"].append(cpu)
        times[f"eg_{command}_wall"].append(wall)

    with Progress("ballots", runs) as bar:
        for n in range(runs):
            # Every kind of answer appears, as in the peer's workload.
            plain = PlaintextBallot({q: answers[(n + i) % 3] for i, q in enumerate(questions)})
            # The booth's work for one ballot: encrypt and prove every question, the ballot's
            # JSON bytes, its ballot_hash and its tracking code (fixed before printing).
            start, wall = time.process_time_ns(), time.perf_counter_ns()
            ballot, nonces = encrypt_ballot(ctx, "S1", "S1-A", plain)
            data = canonical_json(ballot.to_obj())
            code = tracking_code(link, ballot.hash(base))
            times["encrypt"].append((time.process_time_ns() - start) / 1e6)
            times["encrypt_wall"].append((time.perf_counter_ns() - wall) / 1e6)
            nonces.forget()
            # The crypto-level ballot with its K-multiplications done while the voter chooses
            # (PROTOCOL §10; the booth may). Measured here, so the headline encrypt above always
            # runs right after the peer's work.
            choices = {qid: sb.VALUES[(n + q) % 3] for q, qid in enumerate(sb.QUESTION_IDS)}
            start = time.process_time_ns()
            prepared = sb.prepare_sample(key)
            times["prepare"].append((time.process_time_ns() - start) / 1e6)
            start = time.process_time_ns()
            sb.to_json(sb.encrypt_prepared_sample(key, base, choices, prepared))
            times["after_choice"].append((time.process_time_ns() - start) / 1e6)
            peer_run("encrypt")
            # The verifier's work for one ballot from its bytes: parse, the validity rules and
            # every proof (check_ballot), its ballot_hash, and its place in the chain.
            start, wall = time.process_time_ns(), time.perf_counter_ns()
            read = EncryptedBallot.from_obj(parse_canonical_json(data, what="ballot"))
            check_ballot(ctx, read)
            if tracking_code(link, read.hash(base)) != code:
                raise RuntimeError("benchmark ballot is not where the chain says")
            link = chain_link(code, EntryKind.CAST)
            times["verify"].append((time.process_time_ns() - start) / 1e6)
            times["verify_wall"].append((time.perf_counter_ns() - wall) / 1e6)
            peer_run("verify")
            bar.advance()
    med = {name: statistics.median(values) for name, values in times.items()}
    figures: dict[str, Any] = {
        "runs": runs,
        "questions": len(questions),
        "group": GROUP_NAME,
        "encrypt_ms": round(med["encrypt"], 3),
        "verify_ms": round(med["verify"], 3),
        "eg_encrypt_ms": round(med["eg_encrypt"], 3),
        "eg_verify_ms": round(med["eg_verify"], 3),
        "encrypt_ratio_vs_electionguard": round(med["eg_encrypt"] / med["encrypt"], 1),
        "prepare_ms": round(med["prepare"], 3),
        "encrypt_after_choice_ms": round(med["after_choice"], 3),
        "verify_ratio_vs_electionguard": round(med["eg_verify"] / med["verify"], 1),
        "encrypt_wall_ratio_vs_electionguard": round(
            med["eg_encrypt_wall"] / med["encrypt_wall"], 1
        ),
        "verify_wall_ratio_vs_electionguard": round(med["eg_verify_wall"] / med["verify_wall"], 1),
    }
    with Progress("groups", runs) as bar:
        figures.update(compare_groups(runs, bar.advance))
    figures.update(_threshold_figures(runs, args.dlog_solves))
    figures["load_average_start"] = round(load_start, 2)
    figures["load_average_end"] = round(os.getloadavg()[0], 2)
    figures["cpus"] = os.cpu_count()
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

    share_times = []  # one trustee's decryption share of one sum, with its DLEQ proof
    for _ in range(runs):
        start = time.process_time_ns()
        partial_decrypt(shares[0], [total], joint.base)
        share_times.append((time.process_time_ns() - start) / 1e6)
    decrypt_times = []
    with Progress("decrypt", runs) as bar:
        for _ in range(runs):
            start = time.process_time_ns()
            decryption = ThresholdDecryption(joint, [(total, DLOG_N)])
            for share in shares:
                decryption.add(share.trustee, partial_decrypt(share, [total], joint.base))
            (out,) = decryption.decrypt(table)
            decrypt_times.append((time.process_time_ns() - start) / 1e6)
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
        "share_ms": round(statistics.median(share_times), 3),
        "decrypt_sum_ms": round(statistics.median(decrypt_times), 3),
        "dlog_n": DLOG_N,
        "dlog_solves": solves,
        "dlog_table_s": round(table_s, 2),
        "dlog_solve_s": round(solve_s, 2),
        "dlog_total_s": round(table_s + solve_s, 2),
    }


def _print(f: dict[str, Any]) -> None:
    print(
        f"refvote bench: medians of {f['runs']} interleaved runs; group {f['group']}; "
        f"peer: ElectionGuard 1.4.0 (4096-bit group, gmpy2)"
    )
    print(
        f"  machine: {f['cpus']} CPUs, load average {f['load_average_start']:.2f} at the start, "
        f"{f['load_average_end']:.2f} at the end (other processes slow both sides alike)"
    )
    print(f"  {'':<44}{'refvote':>12}{'ElectionGuard':>16}{'ratio':>10}")
    print(
        f"  {'encrypt one 4-question ballot (real)':<44}{f['encrypt_ms']:>9.2f} ms"
        f"{f['eg_encrypt_ms']:>13.1f} ms{f['encrypt_ratio_vs_electionguard']:>9.1f}×"
    )
    print(
        f"  {'verify it from its bytes, hash and chain':<44}{f['verify_ms']:>9.2f} ms"
        f"{f['eg_verify_ms']:>13.1f} ms{f['verify_ratio_vs_electionguard']:>9.1f}×"
    )
    print(
        f"  {'  the same over wall-clock time':<44}"
        f"encrypt {f['encrypt_wall_ratio_vs_electionguard']:.1f}×, "
        f"verify {f['verify_wall_ratio_vs_electionguard']:.1f}× (under load, flattering)"
    )
    print(
        f"  {'  of which after the voter chooses (prepared)':<44}"
        f"{f['encrypt_after_choice_ms']:>9.2f} ms"
        f"   (+{f['prepare_ms']:.2f} ms before)"
    )
    print(f"  {'the same workloads per group':<44}{'ristretto255':>12}{'Ed25519':>16}{'ratio':>10}")
    for w, label in (
        ("encrypt", "  encrypt a 4-question ballot"),
        ("verify", "  verify it from its bytes"),
        ("share", "  a decryption share with its proof"),
        ("share_verify", "  check a decryption share"),
    ):
        print(
            f"  {label:<44}{f[f'group_{w}_ms_ristretto255']:>9.2f} ms"
            f"{f[f'group_{w}_ms_ed25519']:>13.2f} ms{f[f'group_{w}_ratio']:>9.2f}×"
        )
    print(f"  {'a trustee decryption share with its proof':<44}{f['share_ms']:>9.2f} ms")
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
