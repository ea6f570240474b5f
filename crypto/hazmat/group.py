"""The ristretto255 group (RFC 9496) through libsodium (PROTOCOL §1.1). You can misuse this.

ristretto255 is a prime-order group of order ℓ = 2^252 + 27742317777372353535851937790883648493
built on Curve25519: every element has exactly one 32-byte encoding, and decoding rejects
every string that is not one (non-canonical field elements, negative s, points off the group).
There is no cofactor, so there is no small-order or mixed-order point to check for.

`Scalar` is an integer mod ℓ kept as its 32 canonical bytes; arithmetic on it goes through
libsodium's constant-time scalar routines, because secret scalars (nonces, key shares) pass
through here. `Point` is a validated group element, kept as its canonical encoding.

libsodium is reached through pysodium (ctypes over the operating system's libsodium, ≥ 1.0.18):
PyNaCl does not expose ristretto255. libsodium's ristretto255 scalar multiplications fail when
the result is the identity (a scalar ≡ 0) and drop bit 255 of the scalar: this wrapper keeps
every scalar below ℓ and handles O and 0 itself, so every caller gets total, exception-free
group operations on valid elements.
"""

from __future__ import annotations

import hmac
from typing import Final

import pysodium  # type: ignore[import-untyped]

from crypto.errors import InvalidPoint, InvalidScalar

GROUP_NAME: Final = "ristretto255"
ELL: Final = 2**252 + 27742317777372353535851937790883648493
SCALAR_BYTES: Final = 32
POINT_BYTES: Final = 32
IDENTITY_BYTES: Final = b"\x00" * 32  # RFC 9496 §4.3.2: the identity encodes as 32 zero bytes

if pysodium.sodium.sodium_init() < 0:  # the system libsodium, distinct from PyNaCl's bundled one
    raise ImportError("libsodium failed to initialise")

_scalar_reduce = pysodium.crypto_core_ristretto255_scalar_reduce
_scalar_add = pysodium.crypto_core_ristretto255_scalar_add
_scalar_sub = pysodium.crypto_core_ristretto255_scalar_sub
_scalar_mul = pysodium.crypto_core_ristretto255_scalar_mul
_scalar_negate = pysodium.crypto_core_ristretto255_scalar_negate
_scalar_invert = pysodium.crypto_core_ristretto255_scalar_invert
_is_valid_point = pysodium.crypto_core_ristretto255_is_valid_point
_base_mul = pysodium.crypto_scalarmult_ristretto255_base
_mul = pysodium.crypto_scalarmult_ristretto255
_add = pysodium.crypto_core_ristretto255_add
_sub = pysodium.crypto_core_ristretto255_sub


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
        return cls(_scalar_reduce(bytes(data)))

    def to_bytes(self) -> bytes:
        return self._b

    def __bytes__(self) -> bytes:
        return self._b

    def __int__(self) -> int:
        return int.from_bytes(self._b, "little")

    def is_zero(self) -> bool:
        return hmac.compare_digest(self._b, ZERO_BYTES)

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(_scalar_add(self._b, other._b))

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar(_scalar_sub(self._b, other._b))

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar(_scalar_mul(self._b, other._b))

    def __neg__(self) -> Scalar:
        return Scalar(_scalar_negate(self._b))

    def inverse(self) -> Scalar:
        """Multiplicative inverse mod ℓ; zero has none."""
        if self.is_zero():
            raise ZeroDivisionError("zero has no inverse mod ℓ")
        return Scalar(_scalar_invert(self._b))

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
    """A validated element of ristretto255 (the identity included), kept as its encoding."""

    __slots__ = ("_b",)
    _b: bytes

    def __init__(self, canonical: bytes) -> None:
        object.__setattr__(self, "_b", canonical)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Point is immutable")

    @classmethod
    def from_bytes(cls, data: bytes, *, what: str = "point") -> Point:
        """Decode a point; accepts exactly the canonical encodings of ristretto255 elements.

        The identity is `00 00…00`. Every other string must have bit 255 clear and pass
        libsodium's `crypto_core_ristretto255_is_valid_point` (RFC 9496 §4.3.1 decoding).
        Bit 255 is checked here because libsodium 1.0.18 (Debian 12's) ignores it: it
        decodes s + 2^255 as s, a second encoding of the same element, which RFC 9496 refuses
        (the integer is not below p). Every point bytes compared as bytes in the protocol (the
        α of every ballot must be distinct) rely on there being one encoding per element.
        """
        if not isinstance(data, (bytes, bytearray)) or len(data) != POINT_BYTES:
            raise InvalidPoint(f"{what}: a point is exactly {POINT_BYTES} bytes")
        data = bytes(data)
        if data == IDENTITY_BYTES:
            return IDENTITY
        if data[31] & 0x80 or not _is_valid_point(data):
            raise InvalidPoint(f"{what}: not the canonical encoding of a ristretto255 element")
        return cls(data)

    @staticmethod
    def base_mul(scalar: Scalar) -> Point:
        """scalar·G."""
        if scalar.is_zero():
            return IDENTITY
        return Point(_base_mul(scalar.to_bytes()))

    def __mul__(self, scalar: Scalar) -> Point:
        """self·scalar (written `P * s`; the protocol writes s·P)."""
        if self.is_identity() or scalar.is_zero():
            return IDENTITY
        return Point(_mul(scalar.to_bytes(), self._b))

    def __add__(self, other: Point) -> Point:
        # No shortcut for O: libsodium takes and gives the identity's all-zero encoding (the
        # self-test checks it), and a sum that skipped work for O would time a blank answer.
        return Point(_add(self._b, other._b))

    def __sub__(self, other: Point) -> Point:
        return Point(_sub(self._b, other._b))

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
G: Final = Point(_base_mul((1).to_bytes(32, "little")))
