"""Plaintext and encrypted ballots (PROTOCOL §5).

A question the voter took is one ciphertext Enc(m), m ∈ (0 blank, 1 同意, B 不同意), with a
membership proof bound to (station_id, booth_id, ballot_id, question_id). A declined question
is absent. A ballot carries no time, no sequence number and nothing about the voter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ballots.context import ElectionContext
from ballots.errors import BallotError
from crypto.elgamal import Ciphertext, encrypt, encrypt_random
from crypto.encoding import to_hex
from crypto.errors import CryptoError, EncodingError
from crypto.fields import Fields, decode_scalar
from crypto.hashing import HashItem, fingerprint
from crypto.hazmat.group import Scalar
from crypto.hazmat.proofs import (
    ChallengeResponse,
    MembershipProof,
    membership_prove,
    membership_verify,
)
from crypto.randomness import SYSTEM, RandomSource

BALLOT_ID_BYTES = 16


class Choice(enum.Enum):
    """What a voter answered to one question they took."""

    BLANK = "blank"
    YES = "yes"  # 同意
    NO = "no"  # 不同意

    def plaintext(self, packing_base: int) -> int:
        return {Choice.BLANK: 0, Choice.YES: 1, Choice.NO: packing_base}[self]

    @classmethod
    def from_plaintext(cls, m: int, packing_base: int) -> Choice:
        for choice in cls:
            if choice.plaintext(packing_base) == m:
                return choice
        raise BallotError(f"{m} is not a valid plaintext (0, 1 or {packing_base})")


@dataclass(frozen=True, slots=True)
class PlaintextBallot:
    """The voter's answers: question_id → Choice; a declined question is absent."""

    choices: Mapping[str, Choice]

    def ordered(self, ctx: ElectionContext) -> list[tuple[str, Choice]]:
        unknown = set(self.choices) - set(ctx.definition.question_ids())
        if unknown:
            raise BallotError(f"unknown question {sorted(unknown)[0]!r}")
        if not self.choices:
            raise BallotError("a voter who declines every question casts no ballot")
        return [(q, self.choices[q]) for q in ctx.definition.question_ids() if q in self.choices]


@dataclass(frozen=True, slots=True)
class EncryptedQuestion:
    question_id: str
    ciphertext: Ciphertext
    proof: MembershipProof


@dataclass(frozen=True, slots=True)
class EncryptedBallot:
    station_id: str
    booth_id: str
    ballot_id: bytes
    questions: tuple[EncryptedQuestion, ...]

    def hash(self, base: bytes) -> bytes:
        """ballot_hash = H("ballot", base, station_id, booth_id, ballot_id, per question …)."""
        items: list[HashItem] = [base, self.station_id, self.booth_id, self.ballot_id]
        for q in self.questions:
            items.extend((q.question_id, q.ciphertext.alpha, q.ciphertext.beta))
            items.extend(q.proof.scalars())
        return fingerprint("ballot", *items)

    def bind(self, question_id: str) -> tuple[HashItem, ...]:
        """What a question's membership proof is bound to (PROTOCOL §4, §5)."""
        return proof_bind(self.station_id, self.booth_id, self.ballot_id, question_id)

    def question(self, question_id: str) -> EncryptedQuestion | None:
        for q in self.questions:
            if q.question_id == question_id:
                return q
        return None

    def to_obj(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id,
            "booth_id": self.booth_id,
            "ballot_id": to_hex(self.ballot_id),
            "questions": [
                {
                    "question_id": q.question_id,
                    "alpha": to_hex(q.ciphertext.alpha.to_bytes()),
                    "beta": to_hex(q.ciphertext.beta.to_bytes()),
                    "proof": [to_hex(s.to_bytes()) for s in q.proof.scalars()],
                }
                for q in self.questions
            ],
        }

    @classmethod
    def read(cls, f: Fields, what: str) -> EncryptedBallot:
        """Read the ballot members from an object (the caller finishes the object)."""
        station_id = f.text("station_id", max_length=64)
        booth_id = f.text("booth_id", max_length=64)
        ballot_id = f.hex("ballot_id", BALLOT_ID_BYTES)
        questions = []
        raw_questions = f.array("questions")
        if not 1 <= len(raw_questions) <= 64:
            raise EncodingError(f"{what}: must take 1 to 64 questions")
        for n, item in enumerate(raw_questions):
            q = Fields(item, f"{what}: question {n}")
            qid = q.text("question_id", max_length=64)
            ct = Ciphertext(q.point("alpha"), q.point("beta"))
            scalars = [decode_scalar(s, f"{what}: proof scalar") for s in q.array("proof", 6)]
            proof = MembershipProof(
                tuple(ChallengeResponse(scalars[i], scalars[i + 1]) for i in range(0, 6, 2))
            )
            q.finish()
            questions.append(EncryptedQuestion(qid, ct, proof))
        return cls(station_id, booth_id, ballot_id, tuple(questions))

    @classmethod
    def from_obj(cls, obj: object, what: str = "ballot") -> EncryptedBallot:
        f = Fields(obj, what)
        ballot = cls.read(f, what)
        f.finish()
        return ballot


def proof_bind(
    station_id: str, booth_id: str, ballot_id: bytes, question_id: str
) -> tuple[HashItem, ...]:
    """bind… = (station_id, booth_id, ballot_id, question_id): a ciphertext with its proof
    cannot be moved to another station, booth, ballot or question."""
    return (station_id, booth_id, ballot_id, question_id)


class BallotNonces:
    """The encryption nonces r of one ballot: secret unless the voter challenges."""

    __slots__ = ("_nonces",)

    def __init__(self, nonces: dict[str, Scalar]) -> None:
        self._nonces = nonces

    def reveal(
        self, plaintext: PlaintextBallot, ctx: ElectionContext
    ) -> tuple[QuestionReveal, ...]:
        return tuple(
            QuestionReveal(qid, choice.plaintext(ctx.definition.packing_base), self._nonces[qid])
            for qid, choice in plaintext.ordered(ctx)
        )

    def forget(self) -> None:
        self._nonces.clear()


def encrypt_ballot(
    ctx: ElectionContext,
    station_id: str,
    booth_id: str,
    plaintext: PlaintextBallot,
    rng: RandomSource = SYSTEM,
) -> tuple[EncryptedBallot, BallotNonces]:
    """Encrypt and prove each question taken; returns the ballot and its (secret) nonces."""
    station = ctx.definition.station(station_id)
    if booth_id not in station.booths:
        raise BallotError(f"booth {booth_id!r} is not a booth of station {station_id!r}")
    ballot_id = rng.bytes(BALLOT_ID_BYTES)
    questions = []
    nonces = {}
    for qid, choice in plaintext.ordered(ctx):
        m = choice.plaintext(ctx.definition.packing_base)
        ct, r = encrypt_random(ctx.public_key, m, rng)
        bind = proof_bind(station_id, booth_id, ballot_id, qid)
        proof = membership_prove(ctx.public_key, ct, r, m, ctx.values, ctx.base, bind, rng)
        questions.append(EncryptedQuestion(qid, ct, proof))
        nonces[qid] = r
    return EncryptedBallot(station_id, booth_id, ballot_id, tuple(questions)), BallotNonces(nonces)


def check_ballot(ctx: ElectionContext, ballot: EncryptedBallot) -> None:
    """The per-ballot validity rules of PROTOCOL §5 (record-wide rules are the verifier's).

    Checks: at least one question; question IDs known and strictly increasing in definition
    order; the booth is a booth of the station; no α is O; every membership proof verifies.
    """
    label = f"ballot {ballot.ballot_id.hex()}"
    if len(ballot.ballot_id) != BALLOT_ID_BYTES:
        raise BallotError(f"{label}: ballot_id must be {BALLOT_ID_BYTES} bytes")
    try:
        station = ctx.definition.station(ballot.station_id)
    except KeyError:
        raise BallotError(f"{label}: unknown station {ballot.station_id!r}") from None
    if ballot.booth_id not in station.booths:
        raise BallotError(
            f"{label}: booth {ballot.booth_id!r} is not in station {ballot.station_id!r}"
        )
    if not ballot.questions:
        raise BallotError(f"{label}: takes no question")
    order = {qid: n for n, qid in enumerate(ctx.definition.question_ids())}
    previous = -1
    for q in ballot.questions:
        if q.question_id not in order:
            raise BallotError(f"{label}: unknown question {q.question_id!r}")
        if order[q.question_id] <= previous:
            raise BallotError(f"{label}: questions are not in strictly increasing definition order")
        previous = order[q.question_id]
        if q.ciphertext.alpha.is_identity():
            raise BallotError(f"{label}: question {q.question_id}: α is the identity")
        try:
            membership_verify(
                ctx.public_key,
                q.ciphertext,
                q.proof,
                ctx.values,
                ctx.base,
                ballot.bind(q.question_id),
                ctx.value_points,
            )
        except CryptoError:
            raise BallotError(
                f"{label}: question {q.question_id}: membership proof does not verify"
            ) from None


@dataclass(frozen=True, slots=True)
class QuestionReveal:
    """A challenged ballot's question opened: its plaintext m and nonce r."""

    question_id: str
    m: int
    r: Scalar

    def to_obj(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "m": self.m, "r": to_hex(self.r.to_bytes())}

    @classmethod
    def from_obj(cls, obj: object, what: str) -> QuestionReveal:
        f = Fields(obj, what)
        reveal = cls(f.text("question_id", max_length=64), f.integer("m", 0, 2**32), f.scalar("r"))
        f.finish()
        return reveal


def check_reveal(
    ctx: ElectionContext, ballot: EncryptedBallot, reveals: tuple[QuestionReveal, ...]
) -> dict[str, Choice]:
    """A challenged ballot must re-encrypt, question by question, to exactly its ciphertexts."""
    label = f"challenged ballot {ballot.ballot_id.hex()}"
    if [r.question_id for r in reveals] != [q.question_id for q in ballot.questions]:
        raise BallotError(f"{label}: the reveal does not cover exactly its questions")
    choices = {}
    for q, reveal in zip(ballot.questions, reveals, strict=True):
        if reveal.m not in ctx.values:
            raise BallotError(f"{label}: question {q.question_id}: revealed value is not 0, 1 or B")
        if reveal.r.is_zero() or encrypt(ctx.public_key, reveal.m, reveal.r) != q.ciphertext:
            raise BallotError(
                f"{label}: question {q.question_id}: the revealed choice does not re-encrypt "
                "to the ciphertext"
            )
        choices[q.question_id] = Choice.from_plaintext(reveal.m, ctx.definition.packing_base)
    return choices
