"""Exponential ElGamal over ristretto255 (PROTOCOL §3).

Enc(m; r) = (α, β) = (r·G, m·G + r·K) with r ≠ 0. Ciphertexts add componentwise, so a sum of
encryptions of m_i encrypts Σ m_i. The joint public key K is never O, and its secret is
never assembled: decryption is threshold (crypto.threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.errors import InvalidKey
from crypto.hazmat.group import IDENTITY, G, Point, Scalar
from crypto.randomness import SYSTEM, RandomSource, random_scalar


@dataclass(frozen=True, slots=True)
class Ciphertext:
    alpha: Point
    beta: Point

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)


ZERO_CIPHERTEXT = Ciphertext(IDENTITY, IDENTITY)


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The joint election public key K; rejected if it is the identity."""

    point: Point

    def __post_init__(self) -> None:
        if self.point.is_identity():
            raise InvalidKey("the election public key K is the identity")


def encrypt(key: PublicKey, m: int, r: Scalar) -> Ciphertext:
    """Enc(m; r); r must be nonzero (draw it with `random_scalar`)."""
    if r.is_zero():
        raise ValueError("the encryption nonce r must be nonzero")
    # m·G as (m+1)·G − G: the same libsodium work whatever m is (base_mul skips m = 0, and a
    # faster encryption of 0 would time the voter's blank or "no" answer).
    m_g = Point.base_mul(Scalar.from_int(m + 1)) - G
    return Ciphertext(Point.base_mul(r), m_g + key.point * r)


def encrypt_random(key: PublicKey, m: int, rng: RandomSource = SYSTEM) -> tuple[Ciphertext, Scalar]:
    """Encrypt m under a fresh nonce; returns the ciphertext and the nonce (a secret)."""
    r = random_scalar(rng)
    return encrypt(key, m, r), r


def sum_ciphertexts(ciphertexts: list[Ciphertext]) -> Ciphertext:
    """Σ ciphertexts (the encryption of 0 with nonce 0, (O, O), for an empty list)."""
    total = ZERO_CIPHERTEXT
    for c in ciphertexts:
        total = total + c
    return total


def plaintext_point(ciphertext: Ciphertext, secret: Scalar) -> Point:
    """β − s·α = m·G, for tests and single-key rehearsals; elections use threshold shares."""
    return ciphertext.beta - ciphertext.alpha * secret


__all__ = [
    "ZERO_CIPHERTEXT",
    "Ciphertext",
    "G",
    "PublicKey",
    "encrypt",
    "encrypt_random",
    "plaintext_point",
    "sum_ciphertexts",
]
