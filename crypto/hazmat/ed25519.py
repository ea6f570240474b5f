"""The prime-order subgroup of Ed25519 through PyNaCl's libsodium. You can misuse this.

Protocol version 2 computes over ristretto255 (`crypto.hazmat.group`). What remains of the
Ed25519 group is used for two things only:

- validating Ed25519 signature public keys (PROTOCOL §8: a canonical RFC 8032 encoding of a
  point P ≠ O with ℓ·P = O), through `crypto_core_ed25519_is_valid_point`, which
  `crypto.selftest` checks at start-up (CVE-2025-69277);
- `refvote bench`, which measures the same workloads over both groups side by side, so the
  choice of group stays a measured one.

`Ed25519Point` has the interface of `crypto.hazmat.group.Point` and shares its `Scalar` (both
groups have order ℓ). libsodium's Ed25519 scalar multiplication refuses the identity O as
input, refuses a scalar ≡ 0 and drops bit 255: scalars are kept below ℓ and O and 0 handled
here.
"""

from __future__ import annotations

import hmac
from typing import Final

import nacl.bindings as sodium

from crypto.errors import InvalidPoint
from crypto.hazmat.group import Scalar

POINT_BYTES: Final = 32
ED25519_IDENTITY_BYTES: Final = b"\x01" + b"\x00" * 31


def is_valid_ed25519_point(data: bytes) -> bool:
    """PROTOCOL §8's rule for an Ed25519 public key's point, the identity included: 32 bytes,
    the canonical RFC 8032 encoding of a point of the prime-order subgroup (O only as 01 00…00).
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) != POINT_BYTES:
        return False
    data = bytes(data)
    return data == ED25519_IDENTITY_BYTES or bool(sodium.crypto_core_ed25519_is_valid_point(data))


class Ed25519Point:
    """A validated element of the prime-order subgroup of Ed25519 (the identity included)."""

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self, canonical: bytes) -> None:
        object.__setattr__(self, "_b", canonical)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Ed25519Point is immutable")

    @classmethod
    def from_bytes(cls, data: bytes, *, what: str = "point") -> Ed25519Point:
        """Decode a point; accepts exactly the canonical encodings of subgroup elements."""
        if not isinstance(data, (bytes, bytearray)) or len(data) != POINT_BYTES:
            raise InvalidPoint(f"{what}: a point is exactly {POINT_BYTES} bytes")
        if not is_valid_ed25519_point(data):
            raise InvalidPoint(
                f"{what}: not a canonical encoding of an element of Ed25519's prime-order subgroup"
            )
        data = bytes(data)
        return ED25519_IDENTITY if data == ED25519_IDENTITY_BYTES else cls(data)

    @staticmethod
    def base_mul(scalar: Scalar) -> Ed25519Point:
        if scalar.is_zero():
            return ED25519_IDENTITY
        return Ed25519Point(sodium.crypto_scalarmult_ed25519_base_noclamp(scalar.to_bytes()))

    def __mul__(self, scalar: Scalar) -> Ed25519Point:
        if self.is_identity() or scalar.is_zero():
            return ED25519_IDENTITY
        return Ed25519Point(sodium.crypto_scalarmult_ed25519_noclamp(scalar.to_bytes(), self._b))

    def __add__(self, other: Ed25519Point) -> Ed25519Point:
        if self.is_identity():
            return other
        if other.is_identity():
            return self
        return Ed25519Point(sodium.crypto_core_ed25519_add(self._b, other._b))

    def __sub__(self, other: Ed25519Point) -> Ed25519Point:
        if other.is_identity():
            return self
        return Ed25519Point(sodium.crypto_core_ed25519_sub(self._b, other._b))

    def __neg__(self) -> Ed25519Point:
        return ED25519_IDENTITY - self

    def is_identity(self) -> bool:
        return self._b == ED25519_IDENTITY_BYTES

    def to_bytes(self) -> bytes:
        return self._b

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ed25519Point):
            return NotImplemented
        return hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash(self._b)

    def __repr__(self) -> str:
        return f"Ed25519Point({self._b.hex()[:16]}…)"


ED25519_IDENTITY: Final = Ed25519Point(ED25519_IDENTITY_BYTES)
ED25519_G: Final = Ed25519Point(
    sodium.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little"))
)
