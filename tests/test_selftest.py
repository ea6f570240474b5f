"""The start-up check: the ristretto255 decoder against RFC 9496's vectors, and the Ed25519
point check of signature keys against CVE-2025-69277. A library that fails either is
refused, so nothing that imports `crypto` (booth, tally, verifier) starts on it."""

from __future__ import annotations

import nacl.bindings as sodium
import pysodium  # type: ignore[import-untyped]
import pytest

import crypto.selftest as selftest
from crypto.errors import SelfTestFailed
from crypto.hazmat.ed25519 import is_valid_ed25519_point
from crypto.selftest import (
    NON_CANONICAL_IDENTITIES,
    RFC9496_INVALID,
    RFC9496_MULTIPLES,
    TORSION_POINTS,
    check_ristretto255_decoder,
    check_subgroup_validation,
    mixed_order_points,
    require_safe_library,
)
from tests.reference import ed25519_ref as edref
from tests.reference import ristretto255_ref as ref

# ristretto255 ---------------------------------------------------------------------------------


def test_the_self_tests_vectors_are_rfc9496s() -> None:
    """The production copy of RFC 9496 Appendix A equals the test's own copy, in order."""
    assert [e.hex() for e in RFC9496_MULTIPLES] == list(ref.RFC9496_MULTIPLES)
    assert [e.hex() for e in RFC9496_INVALID] == [
        h for hexes in ref.RFC9496_INVALID.values() for h in hexes
    ]
    assert len(RFC9496_INVALID) == 29


def lenient_decoder(skip: str):  # type: ignore[no-untyped-def]
    """RFC 9496 §4.3.1 decoding with one of its checks left out: the bugs a decoder can have."""

    def is_valid(data: bytes) -> bool:
        s = int.from_bytes(data, "little")
        if skip == "canonical":
            s %= ref.P
        if skip != "sign" and ref.is_negative(s):
            return False
        if skip != "canonical" and s >= ref.P:
            return False
        ss = s * s % ref.P
        u1, u2 = (1 - ss) % ref.P, (1 + ss) % ref.P
        v = (-(ref.D * u1 * u1) - u2 * u2) % ref.P
        was_square, invsqrt = ref.sqrt_ratio_m1(1, v * u2 * u2)
        den_x = invsqrt * u2 % ref.P
        x = ref.ct_abs(2 * s * den_x)
        y = u1 * invsqrt * den_x * v % ref.P
        if skip != "square" and not was_square:
            return False
        if skip != "xy" and ref.is_negative(x * y):
            return False
        return skip == "y" or y != 0

    return is_valid


@pytest.mark.parametrize("skip", ["canonical", "sign", "square", "xy", "y"])
def test_a_decoder_missing_any_check_is_refused(skip: str) -> None:
    decoder = lenient_decoder(skip)
    # The simulation is faithful: with nothing skipped it is exactly RFC 9496's decoder.
    assert all(lenient_decoder("")(bytes.fromhex(h)) for h in ref.RFC9496_MULTIPLES)
    assert not any(lenient_decoder("")(e) for e in RFC9496_INVALID)
    assert any(decoder(e) for e in RFC9496_INVALID)
    with pytest.raises(SelfTestFailed, match="RFC 9496"):
        check_ristretto255_decoder(decoder)


def test_a_decoder_rejecting_valid_elements_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="rejects a valid element"):
        check_ristretto255_decoder(lambda data: data == RFC9496_MULTIPLES[0])


def test_start_up_refuses_a_lenient_libsodium(monkeypatch: pytest.MonkeyPatch) -> None:
    """require_safe_library runs the decoder check on the real entry point: were libsodium's
    decoder lenient, importing `crypto` (and so starting a booth or a tally) would fail."""
    monkeypatch.setattr(
        pysodium, "crypto_core_ristretto255_is_valid_point", lenient_decoder("canonical")
    )
    monkeypatch.setattr(selftest, "_checked", False)
    with pytest.raises(SelfTestFailed, match="invalid encoding of RFC 9496"):
        require_safe_library()


def test_this_libsodium_passes() -> None:
    check_ristretto255_decoder(pysodium.crypto_core_ristretto255_is_valid_point)
    check_subgroup_validation(sodium.crypto_core_ed25519_is_valid_point)
    selftest._check_group()
    require_safe_library()


# Ed25519 (signature public keys) -------------------------------------------------------------


def vulnerable_is_valid(data: bytes) -> bool:
    """libsodium before the fix: 'on the main subgroup' tested only that ℓ·P has x = 0,
    which the order-2 point (0, −1) also has; so points of order 2ℓ passed."""
    p = edref.decompress(data)
    if p is None or data in TORSION_POINTS:
        return False
    q = edref.mul(edref.L, p)
    zinv = pow(q[2], edref.P - 2, edref.P)
    return q[0] * zinv % edref.P == 0


def test_the_simulated_bug_is_the_real_one() -> None:
    order_2l = mixed_order_points()[0]
    assert vulnerable_is_valid(order_2l) and not edref.is_valid_protocol_point(order_2l)


def test_vulnerable_validator_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="CVE-2025-69277"):
        check_subgroup_validation(vulnerable_is_valid)


def test_validator_accepting_small_order_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="small-order"):
        check_subgroup_validation(lambda data: data in TORSION_POINTS)


def test_validator_accepting_a_non_canonical_identity_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="non-canonical"):
        check_subgroup_validation(lambda data: data in NON_CANONICAL_IDENTITIES)


def test_validator_rejecting_everything_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="base point"):
        check_subgroup_validation(lambda data: False)


def test_every_torsion_point_is_covered() -> None:
    """The self-test lists all 7 points T ≠ O with 8·T = O, found on the reference curve."""
    y = 0  # a point of order 8: (x, 0) has order 4, so search for T with 4·T of order 2
    while True:
        y += 1
        x = edref.recover_x(y, 0)
        if x is None:
            continue
        point = (x, y, 1, x * y % edref.P)
        t8 = edref.mul(edref.L, point)
        if not edref.equal(edref.mul(4, t8), edref.IDENTITY):
            break
    torsion = {edref.compress(edref.mul(k, t8)) for k in range(1, 8)}
    assert len(torsion) == 7
    assert set(TORSION_POINTS) == torsion
    assert len(mixed_order_points()) == 7
    for encoding in mixed_order_points():
        assert not edref.is_valid_protocol_point(encoding)
        assert not is_valid_ed25519_point(encoding)
