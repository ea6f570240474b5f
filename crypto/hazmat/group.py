"""The prime-order subgroup of Ed25519 through libsodium (PROTOCOL §1). You can misuse this.

`Scalar` is an integer mod ℓ kept as its 32 canonical bytes; arithmetic on it goes through
libsodium's constant-time scalar routines, because secret scalars (nonces, key shares) pass
through here. `Point` is a validated element of the subgroup, kept as its canonical bytes.

libsodium's scalar multiplication refuses the identity O as input, refuses a scalar ≡ 0 and
silently drops bit 255: this wrapper reduces every scalar below ℓ first and handles O and 0
itself, so every caller gets total, exception-free group operations on valid elements.
"""

from __future__ import annotations

import hmac
from typing import Final

import nacl.bindings as sodium

from crypto.errors import InvalidPoint, InvalidScalar

ELL: Final = 2**252 + 27742317777372353535851937790883648493
SCALAR_BYTES: Final = 32
POINT_BYTES: Final = 32
IDENTITY_BYTES: Final = b"\x01" + b"\x00" * 31


class Scalar:
    """An integer mod ℓ. Immutable; equality is constant-time."""

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self, canonical: bytes) -> None:
        # Internal: callers use from_int / from_bytes / reduce64, which guarantee canonical bytes.
        object.__setattr__(self, "_b", canonical)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Scalar is immutable")

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """The scalar `value mod ℓ` (any Python int, negative included)."""
        return cls((value % ELL).to_bytes(SCALAR_BYTES, "little"))

    @classmethod
    def from_bytes(cls, data: bytes, *, what: str = "scalar") -> Scalar:
        """Decode 32 bytes little-endian; rejects any value ≥ ℓ (no silent reduction)."""
        if not isinstance(data, (bytes, bytearray)) or len(data) != SCALAR_BYTES:
            raise InvalidScalar(f"{what}: a scalar is exactly {SCALAR_BYTES} bytes")
        if int.from_bytes(data, "little") >= ELL:
            raise InvalidScalar(f"{what}: scalar is not below the group order ℓ")
        return cls(bytes(data))

    @classmethod
    def reduce64(cls, data: bytes) -> Scalar:
        """A 64-byte string read little-endian, mod ℓ (for hash challenges and uniform draws)."""
        if len(data) != 64:
            raise InvalidScalar("reduce64 takes exactly 64 bytes")
        return cls(sodium.crypto_core_ed25519_scalar_reduce(bytes(data)))

    def to_bytes(self) -> bytes:
        return self._b

    def __bytes__(self) -> bytes:
        return self._b

    def __int__(self) -> int:
        return int.from_bytes(self._b, "little")

    def is_zero(self) -> bool:
        return hmac.compare_digest(self._b, ZERO_BYTES)

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_add(self._b, other._b))

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_sub(self._b, other._b))

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_mul(self._b, other._b))

    def __neg__(self) -> Scalar:
        return Scalar(sodium.crypto_core_ed25519_scalar_negate(self._b))

    def inverse(self) -> Scalar:
        """Multiplicative inverse mod ℓ; zero has none."""
        if self.is_zero():
            raise ZeroDivisionError("zero has no inverse mod ℓ")
        return Scalar(sodium.crypto_core_ed25519_scalar_invert(self._b))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash(self._b)

    def __repr__(self) -> str:
        # Never print a scalar's value: it may be a secret.
        return "Scalar(…)"


ZERO_BYTES: Final = b"\x00" * SCALAR_BYTES


class Point:
    """A validated element of the prime-order subgroup of Ed25519 (the identity included)."""

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self, canonical: bytes) -> None:
        object.__setattr__(self, "_b", canonical)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    @classmethod
    def from_bytes(cls, data: bytes, *, what: str = "point") -> Point:
        """Decode a point; accepts exactly the canonical encodings of subgroup elements.

        The identity is only `01 00…00`. Every other point must pass libsodium's
        `crypto_core_ed25519_is_valid_point` (canonical y, not small order, ℓ·P = O).
        """
        if not isinstance(data, (bytes, bytearray)) or len(data) != POINT_BYTES:
            raise InvalidPoint(f"{what}: a point is exactly {POINT_BYTES} bytes")
        data = bytes(data)
        if data == IDENTITY_BYTES:
            return IDENTITY
        if not sodium.crypto_core_ed25519_is_valid_point(data):
            raise InvalidPoint(
                f"{what}: not a canonical encoding of an element of the prime-order subgroup"
            )
        return cls(data)

    @staticmethod
    def base_mul(scalar: Scalar) -> Point:
        """scalar·G."""
        if scalar.is_zero():
            return IDENTITY
        return Point(sodium.crypto_scalarmult_ed25519_base_noclamp(scalar.to_bytes()))

    def __mul__(self, scalar: Scalar) -> Point:
        """self·scalar (written `P * s`; the protocol writes s·P)."""
        if self.is_identity() or scalar.is_zero():
            return IDENTITY
        return Point(sodium.crypto_scalarmult_ed25519_noclamp(scalar.to_bytes(), self._b))

    def __add__(self, other: Point) -> Point:
        if self.is_identity():
            return other
        if other.is_identity():
            return self
        return Point(sodium.crypto_core_ed25519_add(self._b, other._b))

    def __sub__(self, other: Point) -> Point:
        if other.is_identity():
            return self
        return Point(sodium.crypto_core_ed25519_sub(self._b, other._b))

    def __neg__(self) -> Point:
        return IDENTITY - self

    def is_identity(self) -> bool:
        return self._b == IDENTITY_BYTES

    def to_bytes(self) -> bytes:
        return self._b

    def __bytes__(self) -> bytes:
        return self._b

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return hmac.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash(self._b)

    def __repr__(self) -> str:
        return f"Point({self._b.hex()[:16]}…)"


IDENTITY: Final = Point(IDENTITY_BYTES)
G: Final = Point(sodium.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little")))
