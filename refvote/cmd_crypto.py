"""`refvote crypto selftest`: the cryptographic core end to end, with timings.

Checks the library (CVE-2025-69277), runs a 3-of-5 key ceremony as a rehearsal, encrypts
and proves ballots of 4 questions, verifies them from their bytes, sums each question,
decrypts the sums with trustees 1, 3 and 4 and compares with the plaintexts.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

import nacl

from refvote.progress import Progress

WIDTH = 56


@contextmanager
def _step(label: str, per: int = 0) -> Iterator[None]:
    """Time a step and print it; with `per`, also the time per item."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    extra = f"  ({elapsed * 1000 / per:.2f} ms each)" if per else ""
    print(f"  {label:.<{WIDTH}} ok {elapsed * 1000:9.1f} ms{extra}", flush=True)


def selftest(args: argparse.Namespace) -> int:
    import crypto  # runs the library self-test on import
    from crypto.ceremony.rehearsal import open_ceremony, rehearse
    from crypto.ceremony.sealed_share import unseal_key_share
    from crypto.elgamal import sum_ciphertexts
    from crypto.hashing import fingerprint
    from crypto.signing import SigningKey
    from crypto.threshold import ThresholdDecryption, partial_decrypt
    from refvote import sample_ballots as sb

    n_ballots = args.ballots
    if n_ballots < 1:
        print("refvote crypto selftest: --ballots must be at least 1")
        return 2
    print(f"refvote crypto selftest (PyNaCl {nacl.__version__}, libsodium bundled)")
    crypto.require_safe_library()
    print(f"  {'library refuses points of order 2ℓ (CVE-2025-69277)':.<{WIDTH}} ok")

    with _step("key ceremony 3 of 5 (rehearsal, one machine)"):
        identities = [SigningKey.generate() for _ in range(5)]
        manifest_hash = fingerprint("manifest", b"refvote crypto selftest")
        params = open_ceremony(
            manifest_hash, 3, [(f"trustee {i}", key) for i, key in enumerate(identities, 1)]
        )
        passphrases = [f"selftest passphrase {i}" for i in range(1, 6)]
        ceremony = rehearse(params, identities, passphrases)
    joint = ceremony.joint_key
    key, base = joint.public_key, joint.base

    rng = random.Random(2021)  # noqa: S311 - simulated voters, not secrets
    choices = []
    for _ in range(n_ballots):
        ballot = {}
        for qid in sb.QUESTION_IDS:
            if rng.random() < 0.9:  # some voters decline a question
                ballot[qid] = rng.choice(sb.VALUES)
        choices.append(ballot or {sb.QUESTION_IDS[0]: 0})

    encoded = []
    with _step(f"encrypt + prove {n_ballots} ballots of ≤ 4 questions", n_ballots):
        with Progress("encrypt", n_ballots) as bar:
            for ballot in choices:
                encoded.append(sb.to_json(sb.encrypt_sample(key, base, ballot)))
                bar.advance()

    verified = []
    with _step(f"verify {n_ballots} ballots from their bytes", n_ballots):
        with Progress("verify", n_ballots) as bar:
            for data in encoded:
                verified.append(sb.verify_json(data, key, base))
                bar.advance()

    sums = []
    with _step("homomorphic sum per question"):
        for qid in sb.QUESTION_IDS:
            cts = [ct for b in verified for q, ct, _ in b.questions if q == qid]
            sums.append((sum_ciphertexts(cts), len(cts)))

    with _step("threshold decryption by trustees 1, 3, 4"):
        decryption = ThresholdDecryption(joint, sums)
        for t in (1, 3, 4):
            with unseal_key_share(
                ceremony.sealed_shares[t - 1], passphrases[t - 1], joint.public_share(t)
            ) as share:
                decryption.add(t, partial_decrypt(share, [ct for ct, _ in sums], base))
        results = decryption.decrypt()

    failures = 0
    for qid, result in zip(sb.QUESTION_IDS, results, strict=True):
        taken = [b[qid] for b in choices if qid in b]
        expected = (taken.count(1), taken.count(sb.PACKING_BASE), taken.count(0))
        got = (result.yes, result.no, result.blank)
        status = "ok" if got == expected else "MISMATCH"
        failures += got != expected
        print(
            f"  question {qid}: {len(taken):>5} taken  yes {got[0]:>5}  no {got[1]:>5}  "
            f"blank {got[2]:>5}  {status}"
        )
    if failures:
        print("refvote crypto selftest: FAILED: decrypted totals differ from the plaintexts")
        return 1
    print("refvote crypto selftest: all checks passed")
    return 0
