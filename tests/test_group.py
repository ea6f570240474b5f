"""The ristretto255 group wrapper, cross-checked against the pure-Python RFC 9496 reference
and RFC 9496's own test vectors; and the Ed25519 point check kept for signature keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import InvalidPoint, InvalidScalar
from crypto.hazmat.ed25519 import ED25519_G, ED25519_IDENTITY_BYTES, is_valid_ed25519_point
from crypto.hazmat.group import ELL, GROUP_NAME, IDENTITY, IDENTITY_BYTES, G, Point, Scalar
from crypto.selftest import NON_CANONICAL_IDENTITIES, TORSION_POINTS, mixed_order_points
from tests.reference import ed25519_ref as edref
from tests.reference import ristretto255_ref as ref

scalars = st.integers(min_value=0, max_value=ELL - 1)
any_ints = st.integers(min_value=-(2**300), max_value=2**300)

RFC_INVALID = [(why, bytes.fromhex(h)) for why, hexes in ref.RFC9496_INVALID.items() for h in hexes]


def test_group_order_is_rfc9496s() -> None:
    assert GROUP_NAME == "ristretto255"
    assert ELL == ref.L == 2**252 + 27742317777372353535851937790883648493


def test_reference_reproduces_rfc9496_vectors() -> None:
    """The reference itself against RFC 9496 Appendix A.1 and A.2 (else it proves nothing)."""
    for k, expected in enumerate(ref.RFC9496_MULTIPLES):
        assert ref.base_mul(k).hex() == expected
        element = ref.decode(bytes.fromhex(expected))
        assert element is not None and ref.encode(element).hex() == expected
    for _, encoding in RFC_INVALID:
        assert ref.decode(encoding) is None
    assert ref.sqrt_ratio_m1(1, (-1 - ref.D) % ref.P) == (True, ref.INVSQRT_A_MINUS_D)


def test_generator_and_identity_are_rfc9496s() -> None:
    assert G.to_bytes().hex() == ref.RFC9496_MULTIPLES[1]
    assert IDENTITY_BYTES.hex() == ref.RFC9496_MULTIPLES[0] == "00" * 32
    assert Point.from_bytes(IDENTITY_BYTES) is IDENTITY


@pytest.mark.parametrize("k", range(16))
def test_multiples_of_the_generator_are_rfc9496s(k: int) -> None:
    expected = bytes.fromhex(ref.RFC9496_MULTIPLES[k])
    assert Point.base_mul(Scalar.from_int(k)).to_bytes() == expected
    assert (G * Scalar.from_int(k)).to_bytes() == expected
    total = IDENTITY
    for _ in range(k):
        total = total + G
    assert total.to_bytes() == expected
    assert Point.from_bytes(expected).to_bytes() == expected


@pytest.mark.parametrize(
    ("why", "encoding"), RFC_INVALID, ids=[e.hex()[:8] for _, e in RFC_INVALID]
)
def test_rfc9496_invalid_encodings_are_rejected(why: str, encoding: bytes) -> None:
    with pytest.raises(InvalidPoint, match="ristretto255"):
        Point.from_bytes(encoding)


@given(scalars)
def test_base_mul_matches_reference(s: int) -> None:
    assert Point.base_mul(Scalar.from_int(s)).to_bytes() == ref.base_mul(s)


@given(scalars, scalars)
def test_var_mul_and_add_match_reference(a: int, b: int) -> None:
    A = Point.base_mul(Scalar.from_int(a))
    assert (A * Scalar.from_int(b)).to_bytes() == ref.encode(ref.mul(b, ref.mul(a, ref.G)))
    B = Point.base_mul(Scalar.from_int(b))
    assert (A + B).to_bytes() == ref.base_mul(a + b)
    assert (A - B).to_bytes() == ref.base_mul(a - b)


@given(scalars)
def test_encodings_are_unique_per_element(s: int) -> None:
    """RFC 9496: the Edwards points P + T, for T in the 4-torsion, are one ristretto255
    element, with one encoding; the wrapper's bytes are that encoding."""
    p = ref.mul(s, ref.G)
    t4 = edref.decompress(bytes(31) + b"\x80")  # x = 0 with the sign bit: a point of order 4
    assert t4 is not None and not edref.equal(t4, edref.IDENTITY)
    assert ref.equal(t4, ref.IDENTITY)  # as a ristretto255 element, T is the identity
    assert edref.equal(ref.mul(4, t4), edref.IDENTITY)
    expected = Point.base_mul(Scalar.from_int(s)).to_bytes()
    for k in range(4):
        q = ref.add(p, ref.mul(k, t4))
        assert ref.equal(p, q)
        assert ref.encode(q) == expected


@given(any_ints, any_ints)
def test_scalar_arithmetic_is_mod_ell(a: int, b: int) -> None:
    x, y = Scalar.from_int(a), Scalar.from_int(b)
    assert int(x + y) == (a + b) % ELL
    assert int(x - y) == (a - b) % ELL
    assert int(x * y) == (a * b) % ELL
    assert int(-x) == (-a) % ELL
    if a % ELL:
        assert int(x.inverse() * x) == 1


@given(st.binary(min_size=64, max_size=64))
def test_reduce64_is_little_endian_mod_ell(data: bytes) -> None:
    assert int(Scalar.reduce64(data)) == int.from_bytes(data, "little") % ELL


def test_identity_is_handled_without_libsodium_errors() -> None:
    zero = Scalar.from_int(0)
    assert Point.base_mul(zero) is IDENTITY
    assert (G * zero).is_identity()
    assert (IDENTITY * Scalar.from_int(5)).is_identity()
    assert (G - G).to_bytes() == IDENTITY_BYTES
    assert IDENTITY + G == G and G + IDENTITY == G
    # O − P and −P against the reference's negation, not against each other.
    minus_g = ref.encode(ref.neg(ref.G))
    assert minus_g == ref.base_mul(ELL - 1) and minus_g != G.to_bytes()
    assert (IDENTITY - G).to_bytes() == minus_g and (-G).to_bytes() == minus_g
    p = Point.base_mul(Scalar.from_int(7))
    assert (IDENTITY - p).to_bytes() == ref.encode(ref.neg(ref.mul(7, ref.G)))
    assert (IDENTITY + p).to_bytes() == ref.base_mul(7)
    assert Point.base_mul(Scalar.from_int(ELL)).is_identity()  # ℓ ≡ 0 is reduced first
    assert (p - p).is_identity() and (p + (-p)).is_identity()


def test_zero_has_no_inverse() -> None:
    with pytest.raises(ZeroDivisionError):
        Scalar.from_int(0).inverse()


def _accepted(data: bytes) -> bool:
    try:
        Point.from_bytes(data)
    except InvalidPoint:
        return False
    return True


@given(st.binary(min_size=32, max_size=32))
def test_point_decoding_agrees_with_rfc9496_on_any_bytes(data: bytes) -> None:
    assert _accepted(data) == ref.is_valid_encoding(data)


@given(scalars, st.integers(min_value=0, max_value=255), st.integers(min_value=0, max_value=7))
def test_point_decoding_agrees_with_rfc9496_near_valid_encodings(
    s: int, byte: int, bit: int
) -> None:
    """Valid encodings with one bit flipped: the cases random bytes rarely reach."""
    data = bytearray(ref.base_mul(s))
    assert _accepted(bytes(data))
    data[byte % 32] ^= 1 << bit
    assert _accepted(bytes(data)) == ref.is_valid_encoding(bytes(data))


@given(scalars)
def test_non_canonical_encodings_are_rejected(s: int) -> None:
    """s + p, where it fits in 32 bytes, encodes the same field element: always rejected."""
    value = int.from_bytes(ref.base_mul(s), "little")
    if value + ref.P < 2**256:
        with pytest.raises(InvalidPoint):
            Point.from_bytes((value + ref.P).to_bytes(32, "little"))


@pytest.mark.parametrize("k", range(16))
def test_bit_255_set_is_rejected(k: int) -> None:
    """RFC 9496 reads the 32 bytes as an integer that must be below p: bit 255 set is never
    canonical. libsodium 1.0.18 ignores that bit (it would decode s + 2^255 as s, a second
    encoding of the same element); the wrapper refuses it before libsodium sees it."""
    valid = bytes.fromhex(ref.RFC9496_MULTIPLES[k])
    alias = valid[:31] + bytes([valid[31] | 0x80])
    assert ref.decode(alias) is None
    with pytest.raises(InvalidPoint, match="ristretto255"):
        Point.from_bytes(alias)


def test_ed25519_encodings_are_not_ristretto255_encodings() -> None:
    """A point of the earlier (Ed25519) draft of version 2 is not read as a ristretto255
    element by accident: the Ed25519 base point and its small multiples are refused."""
    refused = 0
    for k in range(1, 17):
        encoding = edref.compress(edref.mul(k, edref.G))
        refused += not _accepted(encoding)
        assert _accepted(encoding) == ref.is_valid_encoding(encoding)
    assert not _accepted(ED25519_G.to_bytes())
    assert not _accepted(ED25519_IDENTITY_BYTES)
    assert refused >= 8


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_points_and_scalars_are_rejected(length: int) -> None:
    with pytest.raises(InvalidPoint, match="exactly 32 bytes"):
        Point.from_bytes(b"\x02" * length)
    with pytest.raises(InvalidScalar, match="exactly 32 bytes"):
        Scalar.from_bytes(b"\x01" * length)


@given(st.integers(min_value=ELL, max_value=2**256 - 1))
def test_non_canonical_scalars_are_rejected(value: int) -> None:
    with pytest.raises(InvalidScalar, match="below the group order"):
        Scalar.from_bytes(value.to_bytes(32, "little"))


@given(scalars)
def test_canonical_scalars_round_trip(value: int) -> None:
    data = value.to_bytes(32, "little")
    assert Scalar.from_bytes(data).to_bytes() == data


def test_secret_scalars_do_not_print() -> None:
    assert "Scalar(…)" == repr(Scalar.from_int(12345))


# The Ed25519 point check, kept for signature public keys (PROTOCOL §8). ----------------------


def test_ed25519_base_point_matches_rfc8032() -> None:
    assert ED25519_G.to_bytes() == edref.compress(edref.G)
    assert ED25519_G.to_bytes().hex() == "58" + "66" * 31


@given(st.binary(min_size=32, max_size=32))
def test_ed25519_check_agrees_with_the_protocol_definition(data: bytes) -> None:
    assert is_valid_ed25519_point(data) == edref.is_valid_protocol_point(data)


@given(scalars, st.sampled_from(TORSION_POINTS))
def test_ed25519_points_outside_the_subgroup_are_rejected(s: int, torsion: bytes) -> None:
    tp = edref.decompress(torsion)
    assert tp is not None
    mixed = edref.compress(edref.add(edref.mul(s, edref.G), tp))
    assert not is_valid_ed25519_point(mixed)
    assert is_valid_ed25519_point(edref.compress(edref.mul(s, edref.G)))


@pytest.mark.parametrize(
    "encoding", [*mixed_order_points(), *TORSION_POINTS, *NON_CANONICAL_IDENTITIES]
)
def test_ed25519_small_mixed_order_and_non_canonical_are_rejected(encoding: bytes) -> None:
    assert not is_valid_ed25519_point(encoding)
    assert not edref.is_valid_protocol_point(encoding)


# The bench's side-by-side workloads (refvote.bench_groups) are real work in both groups. ------


@pytest.mark.parametrize("group", ["ristretto255", "ed25519"])
def test_the_bench_workloads_check_what_they_make(group: str) -> None:
    from crypto.errors import InvalidProof
    from crypto.hazmat.ed25519 import Ed25519Point
    from refvote.bench_groups import VALUES, Workloads

    w = Workloads(Point if group == "ristretto255" else Ed25519Point)
    data = w.encrypt((VALUES[0], VALUES[1], VALUES[2], VALUES[1]))
    w.verify(data)
    alpha = w.cls.base_mul(Scalar.from_int(12345)).to_bytes()
    share = w.share(alpha)
    w.share_verify(alpha, share)
    # A proof scalar changed: verify refuses, so the timed work is the whole check.
    text = data.decode()
    first = text.index('"proof":["') + len('"proof":["')
    digit = "1" if text[first] == "0" else "0"
    with pytest.raises(InvalidProof):
        w.verify((text[:first] + digit + text[first + 1 :]).encode())
    with pytest.raises(InvalidProof):
        w.share_verify(alpha, (share[0], share[1] + Scalar.from_int(1), share[2]))


def test_the_group_comparison_reports_every_documented_key() -> None:
    from refvote.bench_groups import compare_groups

    out = compare_groups(2)
    for name in ("encrypt", "verify", "share", "share_verify"):
        assert out[f"group_{name}_ms_ristretto255"] > 0 and out[f"group_{name}_ms_ed25519"] > 0
        assert out[f"group_{name}_ratio"] > 0
    assert out["group_runs"] == 2
