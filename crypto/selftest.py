"""Start-up self-test of the cryptographic library (PROTOCOL §1).

libsodium before 1.0.20-stable of 2025-12-30 (CVE-2025-69277) accepted some points outside
the prime-order subgroup in crypto_core_ed25519_is_valid_point: those P with ℓ·P of order 2.
Every component that decodes points calls `require_safe_library()` once before use; it
refuses to run on such a library.
"""

from __future__ import annotations

from collections.abc import Callable

import nacl.bindings as sodium

from crypto.errors import SelfTestFailed
from crypto.hazmat.group import ELL, IDENTITY_BYTES, G, Point, Scalar

_P = 2**255 - 19

# The 7 torsion points other than O (small order), canonical encodings: order 2 (0, −1);
# order 4 (±√−1, 0); order 8: the two y of libsodium's small-order blacklist, each with both
# signs of x (the sign bit is bit 255).
TORSION_POINTS: tuple[bytes, ...] = (
    (_P - 1).to_bytes(32, "little"),
    bytes(32),
    bytes(31) + b"\x80",
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
)

# Encodings of the identity other than 01 00…00: sign bit set; y = p + 1 (non-canonical).
NON_CANONICAL_IDENTITIES: tuple[bytes, ...] = (
    b"\x01" + bytes(30) + b"\x80",
    (_P + 1).to_bytes(32, "little"),
)


def mixed_order_points() -> list[bytes]:
    """G + T for every torsion point T: points of order 2ℓ, 4ℓ and 8ℓ."""
    return [sodium.crypto_core_ed25519_add(G.to_bytes(), t) for t in TORSION_POINTS]


def check_subgroup_validation(is_valid: Callable[[bytes], bool]) -> None:
    """Raise SelfTestFailed if `is_valid` accepts a point outside the prime-order subgroup."""
    for point in mixed_order_points():
        if is_valid(point):
            raise SelfTestFailed(
                "libsodium accepts a point outside the prime-order subgroup "
                "(CVE-2025-69277): install PyNaCl 1.6.2 or later"
            )
    for point in TORSION_POINTS:
        if is_valid(point):
            raise SelfTestFailed("libsodium accepts a small-order point")
    if not is_valid(G.to_bytes()):
        raise SelfTestFailed("libsodium rejects the base point")


def _check_group() -> None:
    check_subgroup_validation(sodium.crypto_core_ed25519_is_valid_point)
    for encoding in NON_CANONICAL_IDENTITIES:
        try:
            Point.from_bytes(encoding)
        except ValueError:
            continue
        raise SelfTestFailed("a non-canonical identity encoding was accepted")
    if Point.from_bytes(IDENTITY_BYTES).to_bytes() != IDENTITY_BYTES:
        raise SelfTestFailed("the identity does not round-trip")
    two = Scalar.from_int(2)
    if G * two != G + G or Point.base_mul(Scalar.from_int(ELL - 1)) != -G:
        raise SelfTestFailed("scalar multiplication disagrees with addition")
    if not (G * Scalar.from_int(0)).is_identity() or not (G - G).is_identity():
        raise SelfTestFailed("the identity is not handled")


_checked = False


def require_safe_library() -> None:
    """Run the group self-test once per process; raise SelfTestFailed if anything is wrong."""
    global _checked
    if not _checked:
        _check_group()
        _checked = True
