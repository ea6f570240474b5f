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

from refvote.messages import say, t, width
from refvote.progress import Progress

WIDTH = 56


@contextmanager
def _step(label: str, per: int = 0) -> Iterator[None]:
    """Time a step and print it; with `per`, also the time per item."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    extra = t("crypto.each", ms=f"{elapsed * 1000 / per:.2f}") if per else ""
    print(f"  {_leader(label)} {t('crypto.ok')} {elapsed * 1000:9.1f} ms{extra}", flush=True)


def _leader(label: str) -> str:
    """`label` followed by dots to WIDTH display columns (CJK characters take two)."""
    return label + "." * max(0, WIDTH - width(label))


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
        say("crypto.ballots_min")
        return 2
    say("crypto.title", version=nacl.__version__)
    crypto.require_safe_library()
    print(f"  {_leader(t('crypto.library'))} {t('crypto.ok')}")

    with _step(t("crypto.ceremony")):
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
    with _step(t("crypto.encrypt", n=n_ballots), n_ballots):
        with Progress(t("progress.encrypt"), n_ballots) as bar:
            for ballot in choices:
                encoded.append(sb.to_json(sb.encrypt_sample(key, base, ballot)))
                bar.advance()

    verified = []
    with _step(t("crypto.verify", n=n_ballots), n_ballots):
        with Progress(t("progress.verify"), n_ballots) as bar:
            for data in encoded:
                verified.append(sb.verify_json(data, key, base))
                bar.advance()

    sums = []
    with _step(t("crypto.sum")):
        for qid in sb.QUESTION_IDS:
            cts = [ct for b in verified for q, ct, _ in b.questions if q == qid]
            sums.append((sum_ciphertexts(cts), len(cts)))

    with _step(t("crypto.decrypt")):
        decryption = ThresholdDecryption(joint, sums)
        for trustee in (1, 3, 4):
            with unseal_key_share(
                ceremony.sealed_shares[trustee - 1],
                passphrases[trustee - 1],
                joint.public_share(trustee),
            ) as share:
                decryption.add(trustee, partial_decrypt(share, [ct for ct, _ in sums], base))
        results = decryption.decrypt()

    failures = 0
    for qid, result in zip(sb.QUESTION_IDS, results, strict=True):
        taken = [b[qid] for b in choices if qid in b]
        expected = (taken.count(1), taken.count(sb.PACKING_BASE), taken.count(0))
        got = (result.yes, result.no, result.blank)
        status = t("crypto.ok") if got == expected else t("crypto.mismatch")
        failures += got != expected
        say(
            "crypto.question",
            qid=qid,
            taken=f"{len(taken):>5}",
            yes=f"{got[0]:>5}",
            no=f"{got[1]:>5}",
            blank=f"{got[2]:>5}",
            status=status,
        )
    if failures:
        say("crypto.failed")
        return 1
    say("crypto.passed")
    return 0
