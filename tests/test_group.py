"""The libsodium group wrapper, cross-checked against the pure-Python reference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import InvalidPoint, InvalidScalar
from crypto.hazmat.group import ELL, IDENTITY, IDENTITY_BYTES, G, Point, Scalar
from crypto.selftest import NON_CANONICAL_IDENTITIES, TORSION_POINTS, mixed_order_points
from tests.reference import ed25519_ref as ref

scalars = st.integers(min_value=0, max_value=ELL - 1)
any_ints = st.integers(min_value=-(2**300), max_value=2**300)


def ref_point(s: int) -> bytes:
    return ref.compress(ref.mul(s, ref.G))


def test_base_point_matches_rfc8032() -> None:
    assert G.to_bytes() == ref.compress(ref.G)
    assert G.to_bytes().hex() == "58" + "66" * 31


@given(scalars)
def test_base_mul_matches_reference(s: int) -> None:
    assert Point.base_mul(Scalar.from_int(s)).to_bytes() == ref_point(s)


@given(scalars, scalars)
def test_var_mul_and_add_match_reference(a: int, b: int) -> None:
    A = Point.base_mul(Scalar.from_int(a))
    expected = ref.compress(ref.mul(b, ref.mul(a, ref.G)))
    assert (A * Scalar.from_int(b)).to_bytes() == expected
    B = Point.base_mul(Scalar.from_int(b))
    assert (A + B).to_bytes() == ref_point((a + b) % ELL)
    assert (A - B).to_bytes() == ref_point((a - b) % ELL)


@given(any_ints, any_ints)
def test_scalar_arithmetic_is_mod_ell(a: int, b: int) -> None:
    x, y = Scalar.from_int(a), Scalar.from_int(b)
    assert int(x + y) == (a + b) % ELL
    assert int(x - y) == (a - b) % ELL
    assert int(x * y) == (a * b) % ELL
    assert int(-x) == (-a) % ELL
    if a % ELL:
        assert int(x.inverse() * x) == 1


def test_identity_is_handled_without_libsodium_errors() -> None:
    zero = Scalar.from_int(0)
    assert Point.base_mul(zero) is IDENTITY
    assert (G * zero).is_identity()
    assert (IDENTITY * Scalar.from_int(5)).is_identity()
    assert (G - G).to_bytes() == IDENTITY_BYTES
    assert IDENTITY + G == G and G + IDENTITY == G
    # O − P and −P against the reference's negation (x ↦ −x), not against each other.
    minus_g = ref.compress(ref.neg(ref.G))
    assert minus_g == ref_point(ELL - 1) and minus_g != G.to_bytes()
    assert (IDENTITY - G).to_bytes() == minus_g and (-G).to_bytes() == minus_g
    p = Point.base_mul(Scalar.from_int(7))
    assert (IDENTITY - p).to_bytes() == ref.compress(ref.neg(ref.mul(7, ref.G)))
    assert (IDENTITY + p).to_bytes() == ref_point(7)
    assert Point.base_mul(Scalar.from_int(ELL)).is_identity()  # ℓ ≡ 0 is reduced first


def test_zero_has_no_inverse() -> None:
    with pytest.raises(ZeroDivisionError):
        Scalar.from_int(0).inverse()


@given(st.binary(min_size=32, max_size=32))
def test_point_decoding_agrees_with_the_protocol_definition(data: bytes) -> None:
    expected = ref.is_valid_protocol_point(data)
    try:
        Point.from_bytes(data)
        accepted = True
    except InvalidPoint:
        accepted = False
    assert accepted == expected


@given(scalars, st.sampled_from(TORSION_POINTS))
def test_points_outside_the_subgroup_are_rejected(s: int, torsion: bytes) -> None:
    # P + T with T of order 2, 4 or 8 has order 2ℓ, 4ℓ or 8ℓ (or is small-order when s = 0).
    tp = ref.decompress(torsion)
    assert tp is not None
    mixed = ref.compress(ref.add(ref.mul(s, ref.G), tp))
    with pytest.raises(InvalidPoint, match="prime-order subgroup"):
        Point.from_bytes(mixed)


@pytest.mark.parametrize(
    "encoding", mixed_order_points(), ids=["2l", "4l", "4l-", "8l-a", "8l-a-", "8l-b", "8l-b-"]
)
def test_order_2l_4l_8l_points_are_rejected(encoding: bytes) -> None:
    with pytest.raises(InvalidPoint):
        Point.from_bytes(encoding)


@pytest.mark.parametrize("encoding", TORSION_POINTS)
def test_small_order_points_are_rejected(encoding: bytes) -> None:
    with pytest.raises(InvalidPoint):
        Point.from_bytes(encoding)


@pytest.mark.parametrize("encoding", NON_CANONICAL_IDENTITIES)
def test_non_canonical_identity_encodings_are_rejected(encoding: bytes) -> None:
    with pytest.raises(InvalidPoint):
        Point.from_bytes(encoding)


def test_non_canonical_y_is_rejected() -> None:
    # G's y plus p: the same point, a second encoding.
    y = int.from_bytes(G.to_bytes(), "little") & ((1 << 255) - 1)
    if y + ref.P < 2**255:
        with pytest.raises(InvalidPoint):
            Point.from_bytes((y + ref.P).to_bytes(32, "little"))
    # y = p itself (≡ 0): non-canonical.
    with pytest.raises(InvalidPoint):
        Point.from_bytes(ref.P.to_bytes(32, "little"))


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_points_and_scalars_are_rejected(length: int) -> None:
    with pytest.raises(InvalidPoint, match="exactly 32 bytes"):
        Point.from_bytes(b"\x01" * length)
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
