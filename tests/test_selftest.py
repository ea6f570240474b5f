"""The start-up check refuses a libsodium with the CVE-2025-69277 subgroup bug."""

from __future__ import annotations

import nacl.bindings as sodium
import pytest

from crypto.errors import SelfTestFailed
from crypto.selftest import (
    TORSION_POINTS,
    check_subgroup_validation,
    mixed_order_points,
    require_safe_library,
)
from tests.reference import ed25519_ref as ref


def vulnerable_is_valid(data: bytes) -> bool:
    """libsodium before the fix: 'on the main subgroup' tested only that ℓ·P has x = 0,
    which the order-2 point (0, −1) also has; so points of order 2ℓ passed."""
    p = ref.decompress(data)
    if p is None or data in TORSION_POINTS:
        return False
    q = ref.mul(ref.L, p)
    zinv = pow(q[2], ref.P - 2, ref.P)
    return q[0] * zinv % ref.P == 0


def test_the_simulated_bug_is_the_real_one() -> None:
    order_2l = mixed_order_points()[0]
    assert vulnerable_is_valid(order_2l) and not ref.is_valid_protocol_point(order_2l)


def test_vulnerable_validator_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="CVE-2025-69277"):
        check_subgroup_validation(vulnerable_is_valid)


def test_validator_accepting_small_order_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="small-order"):
        check_subgroup_validation(lambda data: data in TORSION_POINTS)


def test_validator_rejecting_everything_is_refused() -> None:
    with pytest.raises(SelfTestFailed, match="base point"):
        check_subgroup_validation(lambda data: False)


def test_this_libsodium_passes() -> None:
    check_subgroup_validation(sodium.crypto_core_ed25519_is_valid_point)
    require_safe_library()


def test_every_torsion_point_is_covered() -> None:
    """The self-test lists all 7 points T ≠ O with 8·T = O, found on the reference curve."""
    y = 0  # a point of order 8: (x, 0) has order 4, so search for T with 4·T of order 2
    while True:
        y += 1
        x = ref.recover_x(y, 0)
        if x is None:
            continue
        point = (x, y, 1, x * y % ref.P)
        t8 = ref.mul(ref.L, point)
        if not ref.equal(ref.mul(4, t8), ref.IDENTITY):
            break
    torsion = {ref.compress(ref.mul(k, t8)) for k in range(1, 8)}
    assert len(torsion) == 7
    assert set(TORSION_POINTS) == torsion
    assert len(mixed_order_points()) == 7
    for point in mixed_order_points():
        assert not ref.is_valid_protocol_point(point)
        assert not sodium.crypto_core_ed25519_is_valid_point(point)
