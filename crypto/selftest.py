"""Start-up self-test of the cryptographic libraries (PROTOCOL §1.1, §8).

Two decoders decide what the protocol accepts, and both are checked before any point is read:

- the ristretto255 decoder (the system's libsodium through pysodium): it must refuse every
  invalid encoding of RFC 9496 Appendix A.2, and decode and recompute the multiples of the
  generator of Appendix A.1;
- the Ed25519 point check used for signature public keys (PyNaCl's bundled libsodium):
  libsodium before 1.0.20-stable of 2025-12-30 (CVE-2025-69277) accepted some points outside
  the prime-order subgroup in crypto_core_ed25519_is_valid_point, those P with ℓ·P of order 2.

Every component that decodes points calls `require_safe_library()` once before use (importing
`crypto` does): it refuses to run on a library that fails either check, so the booth and the
tally station do not start.
"""

from __future__ import annotations

from collections.abc import Callable

import nacl.bindings as sodium
import pysodium  # type: ignore[import-untyped]

from crypto.errors import InvalidPoint, SelfTestFailed
from crypto.hazmat.ed25519 import ED25519_G, is_valid_ed25519_point
from crypto.hazmat.group import ELL, IDENTITY_BYTES, G, Point, Scalar

_P = 2**255 - 19

# RFC 9496 Appendix A.1: B·0 … B·15 (B·0 is the identity).
RFC9496_MULTIPLES: tuple[bytes, ...] = tuple(
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
        "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
        "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
        "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
        "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
        "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
        "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
        "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
        "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
        "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
        "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
        "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
        "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
        "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
        "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
    )
)

# RFC 9496 Appendix A.2: non-canonical field encodings (4), negative field elements (8),
# non-square x^2 (8), negative xy value (8), and s = −1, which causes y = 0 (1).
RFC9496_INVALID: tuple[bytes, ...] = tuple(
    bytes.fromhex(h)
    for h in (
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )
)


def check_ristretto255_decoder(is_valid: Callable[[bytes], bool]) -> None:
    """Raise SelfTestFailed unless `is_valid` refuses every RFC 9496 invalid encoding and
    accepts every encoding of a multiple of the generator (the identity included)."""
    for encoding in RFC9496_INVALID:
        if is_valid(encoding):
            raise SelfTestFailed(
                "the ristretto255 decoder accepts an invalid encoding of RFC 9496 "
                f"({encoding.hex()}): install a libsodium of 1.0.18 or later that passes "
                "RFC 9496's test vectors"
            )
    for encoding in RFC9496_MULTIPLES:
        if not is_valid(encoding):
            raise SelfTestFailed(
                f"the ristretto255 decoder rejects a valid element ({encoding.hex()})"
            )


# Ed25519 (signature public keys only): the 7 torsion points other than O (small order),
# canonical encodings: order 2 (0, −1); order 4 (±√−1, 0); order 8: the two y of libsodium's
# small-order blacklist, each with both signs of x (the sign bit is bit 255).
TORSION_POINTS: tuple[bytes, ...] = (
    (_P - 1).to_bytes(32, "little"),
    bytes(32),
    bytes(31) + b"\x80",
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
)

# Encodings of the Ed25519 identity other than 01 00…00: sign bit set; y = p + 1.
NON_CANONICAL_IDENTITIES: tuple[bytes, ...] = (
    b"\x01" + bytes(30) + b"\x80",
    (_P + 1).to_bytes(32, "little"),
)


def mixed_order_points() -> list[bytes]:
    """Ed25519: G + T for every torsion point T: points of order 2ℓ, 4ℓ and 8ℓ."""
    return [sodium.crypto_core_ed25519_add(ED25519_G.to_bytes(), t) for t in TORSION_POINTS]


def check_subgroup_validation(is_valid: Callable[[bytes], bool]) -> None:
    """Raise SelfTestFailed if the Ed25519 point check `is_valid` accepts a point outside the
    prime-order subgroup (CVE-2025-69277), a small-order point, or rejects the base point."""
    for point in mixed_order_points():
        if is_valid(point):
            raise SelfTestFailed(
                "libsodium accepts an Ed25519 point outside the prime-order subgroup "
                "(CVE-2025-69277): install PyNaCl 1.6.2 or later"
            )
    for point in TORSION_POINTS:
        if is_valid(point):
            raise SelfTestFailed("libsodium accepts a small-order Ed25519 point")
    for encoding in NON_CANONICAL_IDENTITIES:
        if is_valid(encoding):
            raise SelfTestFailed("a non-canonical Ed25519 identity encoding was accepted")
    if not is_valid(ED25519_G.to_bytes()):
        raise SelfTestFailed("libsodium rejects the Ed25519 base point")


def _check_group() -> None:
    try:
        check_ristretto255_decoder(pysodium.crypto_core_ristretto255_is_valid_point)
    except ValueError as exc:  # pysodium: 'Unavailable in this libsodium version'
        raise SelfTestFailed(f"the system libsodium has no ristretto255 ({exc})") from None
    for encoding in RFC9496_INVALID:
        try:
            Point.from_bytes(encoding)
        except InvalidPoint:
            continue
        raise SelfTestFailed("the group wrapper accepts an invalid ristretto255 encoding")
    for encoding in RFC9496_MULTIPLES:  # s + 2^255: libsodium 1.0.18 takes it, the wrapper not
        try:
            Point.from_bytes(encoding[:31] + bytes([encoding[31] | 0x80]))
        except InvalidPoint:
            continue
        raise SelfTestFailed("the group wrapper accepts an encoding with bit 255 set")
    for k, encoding in enumerate(RFC9496_MULTIPLES):
        if (
            Point.base_mul(Scalar.from_int(k)).to_bytes() != encoding
            or Point.from_bytes(encoding).to_bytes() != encoding
        ):
            raise SelfTestFailed(f"{k}·G differs from RFC 9496's test vector")
    if G.to_bytes() != RFC9496_MULTIPLES[1] or IDENTITY_BYTES != RFC9496_MULTIPLES[0]:
        raise SelfTestFailed("the generator or the identity is not RFC 9496's")
    two = Scalar.from_int(2)
    if G * two != G + G or Point.base_mul(Scalar.from_int(ELL - 1)) != -G:
        raise SelfTestFailed("scalar multiplication disagrees with addition")
    if not (G * Scalar.from_int(0)).is_identity() or not (G - G).is_identity():
        raise SelfTestFailed("the identity is not handled")
    check_subgroup_validation(is_valid_ed25519_point)


_checked = False


def require_safe_library() -> None:
    """Run the self-test once per process; raise SelfTestFailed if anything is wrong."""
    global _checked
    if not _checked:
        _check_group()
        _checked = True
