"""Zero-knowledge proofs of PROTOCOL §4, with strong Fiat–Shamir. You can misuse this.

Each challenge hashes the whole statement and every commitment. What a proof is bound to
(the election `base`, the ballot and question a ciphertext belongs to, the ceremony context
of a Schnorr proof) is passed in by the caller: a proof verified against the wrong context
fails, so callers must pass the context that the protocol names.

Proof scalars may be 0 and recomputed commitments may be O: verification never rejects for
either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crypto.elgamal import Ciphertext, PublicKey
from crypto.errors import InvalidProof
from crypto.hashing import HashItem, challenge
from crypto.hazmat.group import Point, Scalar
from crypto.randomness import SYSTEM, RandomSource, random_scalar


@dataclass(frozen=True, slots=True)
class ChallengeResponse:
    """A Schnorr or DLEQ proof, serialised as c, v."""

    c: Scalar
    v: Scalar

    def scalars(self) -> tuple[Scalar, Scalar]:
        return (self.c, self.v)


# Schnorr: knowledge of a with A = a·G. ------------------------------------------------------


def schnorr_prove(
    a: Scalar, A: Point, context: Sequence[HashItem], rng: RandomSource = SYSTEM
) -> ChallengeResponse:
    u = random_scalar(rng)
    h = Point.base_mul(u)
    c = challenge("schnorr", *context, A, h)
    return ChallengeResponse(c, u + c * a)


def schnorr_verify(A: Point, proof: ChallengeResponse, context: Sequence[HashItem]) -> None:
    """Raise InvalidProof unless `proof` shows knowledge of log_G A in `context`."""
    h = Point.base_mul(proof.v) - A * proof.c
    if challenge("schnorr", *context, A, h) != proof.c:
        raise InvalidProof("Schnorr proof does not verify")


# DLEQ: log_G X = log_A D = s. ---------------------------------------------------------------


def dleq_prove(
    s: Scalar, X: Point, A: Point, D: Point, base: bytes, rng: RandomSource = SYSTEM
) -> ChallengeResponse:
    u = random_scalar(rng)
    a = Point.base_mul(u)
    b = A * u
    c = challenge("dleq", base, X, A, D, a, b)
    return ChallengeResponse(c, u + c * s)


def dleq_verify(X: Point, A: Point, D: Point, proof: ChallengeResponse, base: bytes) -> None:
    """Raise InvalidProof unless log_G X = log_A D."""
    a = Point.base_mul(proof.v) - X * proof.c
    b = A * proof.v - D * proof.c
    if challenge("dleq", base, X, A, D, a, b) != proof.c:
        raise InvalidProof("DLEQ proof does not verify")


# Membership (CDS disjunction): (α, β) encrypts one value of a public list S. ----------------


@dataclass(frozen=True, slots=True)
class MembershipProof:
    """(c_j, v_j) for each j in S, serialised as c_0, v_0, c_1, v_1, …"""

    branches: tuple[ChallengeResponse, ...]

    def scalars(self) -> tuple[Scalar, ...]:
        return tuple(s for branch in self.branches for s in branch.scalars())


def _membership_challenge(
    base: bytes,
    key: PublicKey,
    bind: Sequence[HashItem],
    ct: Ciphertext,
    values: Sequence[int],
    commitments: Sequence[tuple[Point, Point]],
) -> Scalar:
    items: list[HashItem] = [base, key.point, *bind, ct.alpha, ct.beta, len(values), *values]
    for a, b in commitments:
        items.extend((a, b))
    return challenge("member", *items)


def membership_prove(
    key: PublicKey,
    ct: Ciphertext,
    r: Scalar,
    m: int,
    values: Sequence[int],
    base: bytes,
    bind: Sequence[HashItem],
    rng: RandomSource = SYSTEM,
) -> MembershipProof:
    """Prove that ct = Enc(m; r) with m in `values`.

    The prover knows r, which halves its variable-base multiplications: a simulated branch's
    a_j = (v_j − c_j·r)·G and b_j = (v_j − c_j·r)·K − c_j·(m − s_j)·G.
    """
    if m not in values:
        raise ValueError("the plaintext is not in the list of allowed values")
    i = list(values).index(m)
    commitments: list[tuple[Point, Point]] = []
    simulated: dict[int, ChallengeResponse] = {}
    u = random_scalar(rng)
    for j, s_j in enumerate(values):
        if j == i:
            commitments.append((Point.base_mul(u), key.point * u))
            continue
        c_j, v_j = random_scalar(rng), random_scalar(rng)
        w = v_j - c_j * r
        b_j = key.point * w - Point.base_mul(c_j * Scalar.from_int(m - s_j))
        commitments.append((Point.base_mul(w), b_j))
        simulated[j] = ChallengeResponse(c_j, v_j)
    c = _membership_challenge(base, key, bind, ct, values, commitments)
    c_i = c
    for branch in simulated.values():
        c_i = c_i - branch.c
    real = ChallengeResponse(c_i, u + c_i * r)
    return MembershipProof(tuple(real if j == i else simulated[j] for j in range(len(values))))


def membership_verify(
    key: PublicKey,
    ct: Ciphertext,
    proof: MembershipProof,
    values: Sequence[int],
    base: bytes,
    bind: Sequence[HashItem],
    value_points: Sequence[Point] | None = None,
) -> None:
    """Raise InvalidProof unless `proof` shows ct encrypts one of `values`.

    `value_points` (s_j·G for each value) may be passed by callers that verify many proofs
    over the same list.
    """
    if len(proof.branches) != len(values):
        raise InvalidProof(
            f"membership proof has {len(proof.branches)} branches for {len(values)} values"
        )
    if value_points is None:
        value_points = [Point.base_mul(Scalar.from_int(s)) for s in values]
    commitments = []
    total = Scalar.from_int(0)
    for branch, s_point in zip(proof.branches, value_points, strict=True):
        a = Point.base_mul(branch.v) - ct.alpha * branch.c
        b = key.point * branch.v - (ct.beta - s_point) * branch.c
        commitments.append((a, b))
        total = total + branch.c
    if _membership_challenge(base, key, bind, ct, values, commitments) != total:
        raise InvalidProof("membership proof does not verify")


# Encryption prepared before the voter chooses ------------------------------------------------


class PreparedEncryption:
    """The randomness of one question's encryption and proof, with every multiplication by K
    done before the plaintext is known: r·K, u·K, and w_j·K for each possible simulated branch
    (w_j = v_j − c_j·r, drawn uniformly). After the voter chooses, only fixed-base
    multiplications remain. Single use: `encrypt` consumes it. It holds secrets (r, u).
    """

    __slots__ = ("_used", "alpha", "c", "r", "r_k", "u", "u_g", "u_k", "w", "w_g", "w_k")

    def __init__(self, key: PublicKey, size: int, rng: RandomSource = SYSTEM) -> None:
        self.r = random_scalar(rng)
        self.alpha = Point.base_mul(self.r)
        self.r_k = key.point * self.r
        self.u = random_scalar(rng)
        self.u_g, self.u_k = Point.base_mul(self.u), key.point * self.u
        self.c = [random_scalar(rng) for _ in range(size)]
        self.w = [random_scalar(rng) for _ in range(size)]
        self.w_g = [Point.base_mul(w) for w in self.w]
        self.w_k = [key.point * w for w in self.w]
        self._used = False

    def encrypt(
        self,
        key: PublicKey,
        m: int,
        values: Sequence[int],
        value_points: Sequence[Point],
        base: bytes,
        bind: Sequence[HashItem],
    ) -> tuple[Ciphertext, MembershipProof, Scalar]:
        """Enc(m; r) and its membership proof; returns the nonce r too (for a challenge)."""
        if self._used:
            raise ValueError("a prepared encryption is used once")
        if len(values) != len(self.c) or m not in values:
            raise ValueError("the plaintext is not in the list of allowed values")
        self._used = True
        i = list(values).index(m)
        ct = Ciphertext(self.alpha, value_points[i] + self.r_k)
        commitments: list[tuple[Point, Point]] = []
        for j, s_j in enumerate(values):
            if j == i:
                commitments.append((self.u_g, self.u_k))
            else:
                c_term = Point.base_mul(self.c[j] * Scalar.from_int(m - s_j))
                commitments.append((self.w_g[j], self.w_k[j] - c_term))
        c = _membership_challenge(base, key, bind, ct, values, commitments)
        c_i = c
        for j in range(len(values)):
            if j != i:
                c_i = c_i - self.c[j]
        branches = tuple(
            ChallengeResponse(c_i, self.u + c_i * self.r)
            if j == i
            else ChallengeResponse(self.c[j], self.w[j] + self.c[j] * self.r)
            for j in range(len(values))
        )
        return ct, MembershipProof(branches), self.r
