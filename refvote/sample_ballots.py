"""A crypto-level referendum ballot, for the self-test and the benchmark.

This is what the booth's encryption costs: per question taken, one ciphertext of
m ∈ (0, 1, B) and its membership proof bound to (ballot_id, question_id). The ballot format
proper (ballot_hash, chain, export) belongs to `ballots/`; this module only mirrors its
cryptographic work and its JSON size so that the figures are honest.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.elgamal import Ciphertext, PublicKey, encrypt_random
from crypto.encoding import canonical_json, parse_canonical_json, to_hex
from crypto.errors import InvalidProof
from crypto.fields import Fields, decode_scalar
from crypto.hazmat.group import Point, Scalar
from crypto.hazmat.proofs import (
    ChallengeResponse,
    MembershipProof,
    PreparedEncryption,
    membership_prove,
    membership_verify,
)
from crypto.randomness import SYSTEM, RandomSource

PACKING_BASE = 65536
VALUES = (0, 1, PACKING_BASE)  # blank, 同意 (yes), 不同意 (no)
VALUE_POINTS = tuple(Point.base_mul(Scalar.from_int(v)) for v in VALUES)
QUESTION_IDS = ("17", "18", "19", "20")


@dataclass(frozen=True)
class SampleBallot:
    ballot_id: bytes
    questions: tuple[tuple[str, Ciphertext, MembershipProof], ...]


def encrypt_sample(
    key: PublicKey, base: bytes, choices: dict[str, int], rng: RandomSource = SYSTEM
) -> SampleBallot:
    """Encrypt and prove {question_id: m} in QUESTION_IDS order."""
    ballot_id = rng.bytes(16)
    questions = []
    for qid in QUESTION_IDS:
        if qid not in choices:
            continue
        m = choices[qid]
        ct, r = encrypt_random(key, m, rng)
        proof = membership_prove(key, ct, r, m, VALUES, base, (ballot_id, qid), rng)
        questions.append((qid, ct, proof))
    return SampleBallot(ballot_id, tuple(questions))


def prepare_sample(key: PublicKey, rng: RandomSource = SYSTEM) -> list[PreparedEncryption]:
    """The K-multiplications of a whole ballot, done while the voter is still choosing."""
    return [PreparedEncryption(key, len(VALUES), rng) for _ in QUESTION_IDS]


def encrypt_prepared_sample(
    key: PublicKey,
    base: bytes,
    choices: dict[str, int],
    prepared: list[PreparedEncryption],
    rng: RandomSource = SYSTEM,
) -> SampleBallot:
    """The same ballot as `encrypt_sample`, from prepared randomness: what is left to do
    after the voter chooses."""
    ballot_id = rng.bytes(16)
    questions = []
    for qid, ready in zip(QUESTION_IDS, prepared, strict=True):
        if qid in choices:
            ct, proof, _ = ready.encrypt(
                key, choices[qid], VALUES, VALUE_POINTS, base, (ballot_id, qid)
            )
            questions.append((qid, ct, proof))
    return SampleBallot(ballot_id, tuple(questions))


def to_json(ballot: SampleBallot) -> bytes:
    return canonical_json(
        {
            "ballot_id": to_hex(ballot.ballot_id),
            "questions": [
                {
                    "question_id": qid,
                    "alpha": to_hex(ct.alpha.to_bytes()),
                    "beta": to_hex(ct.beta.to_bytes()),
                    "proof": [to_hex(s.to_bytes()) for s in proof.scalars()],
                }
                for qid, ct, proof in ballot.questions
            ],
        }
    )


def verify_json(data: bytes, key: PublicKey, base: bytes) -> SampleBallot:
    """Parse a sample ballot from its bytes and verify every proof (raises on any fault)."""
    f = Fields(parse_canonical_json(data, what="ballot"), "ballot")
    ballot_id = f.hex("ballot_id", 16)
    questions = []
    for item in f.array("questions"):
        q = Fields(item, "ballot question")
        qid = q.text("question_id", max_length=16)
        ct = Ciphertext(q.point("alpha"), q.point("beta"))
        raw = q.array("proof", 2 * len(VALUES))
        scalars = [decode_scalar(s, "proof scalar") for s in raw]
        proof = MembershipProof(
            tuple(ChallengeResponse(scalars[2 * j], scalars[2 * j + 1]) for j in range(len(VALUES)))
        )
        q.finish()
        if ct.alpha.is_identity():
            raise InvalidProof(f"ballot question {qid}: α is the identity")
        membership_verify(key, ct, proof, VALUES, base, (ballot_id, qid), VALUE_POINTS)
        questions.append((qid, ct, proof))
    f.finish()
    return SampleBallot(ballot_id, tuple(questions))


__all__ = ["QUESTION_IDS", "VALUES", "SampleBallot", "encrypt_sample", "to_json", "verify_json"]
