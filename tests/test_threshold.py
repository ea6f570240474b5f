"""Threshold decryption: any k of n agree, a faulty trustee is named, the packed search is exact."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.ceremony.rehearsal import rehearse
from crypto.ceremony.sealed_share import KeyShare, unseal_key_share
from crypto.elgamal import Ciphertext, encrypt_random, sum_ciphertexts
from crypto.errors import ThresholdError, TrusteeFault
from crypto.hazmat.group import ELL, Point, Scalar
from crypto.hazmat.proofs import ChallengeResponse
from crypto.threshold import (
    PACKING_BASE,
    PackedTable,
    PartialDecryption,
    ThresholdDecryption,
    combine,
    lagrange_weight,
    partial_decrypt,
    unpack,
)
from tests.ceremony_helpers import PASSPHRASES, make_params

B = PACKING_BASE


@pytest.fixture(scope="module")
def election():  # type: ignore[no-untyped-def]
    params, identities = make_params(5, 3)
    result = rehearse(params, identities, PASSPHRASES[:5])
    joint = result.joint_key
    shares = {
        t: unseal_key_share(result.sealed_shares[t - 1], PASSPHRASES[t - 1], joint.public_share(t))
        for t in range(1, 6)
    }
    rng = random.Random(17)
    sums = []
    expected = []
    for n in (0, 1, 40, 300):
        votes = [rng.choice((0, 1, B)) for _ in range(n)]
        ct = sum_ciphertexts([encrypt_random(joint.public_key, m)[0] for m in votes])
        sums.append((ct, n))
        expected.append((votes.count(1), votes.count(B), votes.count(0)))
    return joint, shares, sums, expected


def _partials(election, t: int):  # type: ignore[no-untyped-def]
    joint, shares, sums, _ = election
    return partial_decrypt(shares[t], [ct for ct, _ in sums], joint.base)


def test_every_3_subset_of_5_gives_the_same_result(election) -> None:  # type: ignore[no-untyped-def]
    joint, _, sums, expected = election
    partials = {t: _partials(election, t) for t in range(1, 6)}
    table = PackedTable(300)
    for quorum in itertools.combinations(range(1, 6), 3):
        decryption = ThresholdDecryption(joint, sums)
        for t in quorum:
            decryption.add(t, partials[t])
        results = decryption.decrypt(table)
        assert [(r.yes, r.no, r.blank) for r in results] == expected
        assert all(r.quorum == quorum for r in results)


def test_more_than_k_shares_use_the_first_k(election) -> None:  # type: ignore[no-untyped-def]
    joint, _, sums, expected = election
    decryption = ThresholdDecryption(joint, sums)
    for t in (5, 2, 4, 1):
        decryption.add(t, _partials(election, t))
    results = decryption.decrypt()
    assert [(r.yes, r.no, r.blank) for r in results] == expected
    assert results[0].quorum == (1, 2, 4)


def test_wrong_share_names_the_trustee_and_decryption_goes_on(election) -> None:  # type: ignore[no-untyped-def]
    joint, shares, sums, expected = election
    decryption = ThresholdDecryption(joint, sums)
    decryption.add(1, _partials(election, 1))
    wrong = KeyShare(
        2, bytearray((shares[2].scalar() + Scalar.from_int(1)).to_bytes()), joint.public_share(2)
    )
    with pytest.raises(
        TrusteeFault, match="trustee 2: decryption share proof does not verify"
    ) as info:
        decryption.add(2, partial_decrypt(wrong, [ct for ct, _ in sums], joint.base))
    assert info.value.trustee == 2 and 2 in decryption.faults
    assert not decryption.ready()
    with pytest.raises(ThresholdError, match="1 trustees gave valid shares; k = 3"):
        decryption.decrypt()
    decryption.add(3, _partials(election, 3))
    decryption.add(5, _partials(election, 5))
    assert [(r.yes, r.no, r.blank) for r in decryption.decrypt()] == expected


@pytest.mark.parametrize("field", ["share", "c", "v"])
def test_tampered_share_or_proof_names_the_trustee(election, field: str) -> None:  # type: ignore[no-untyped-def]
    joint, _, sums, _ = election
    partials = _partials(election, 4)
    p = partials[2]
    one = Scalar.from_int(1)
    bad = {
        "share": PartialDecryption(p.share + Point.base_mul(one), p.proof),
        "c": PartialDecryption(p.share, ChallengeResponse(p.proof.c + one, p.proof.v)),
        "v": PartialDecryption(p.share, ChallengeResponse(p.proof.c, p.proof.v + one)),
    }[field]
    partials[2] = bad
    with pytest.raises(TrusteeFault) as info:
        ThresholdDecryption(joint, sums).add(4, partials)
    assert info.value.trustee == 4


def test_share_for_another_trustee_is_named(election) -> None:  # type: ignore[no-untyped-def]
    joint, _, sums, _ = election
    with pytest.raises(TrusteeFault) as info:
        ThresholdDecryption(joint, sums).add(3, _partials(election, 2))  # 2's shares claimed as 3's
    assert info.value.trustee == 3


def test_share_count_and_duplicates(election) -> None:  # type: ignore[no-untyped-def]
    joint, _, sums, _ = election
    decryption = ThresholdDecryption(joint, sums)
    with pytest.raises(TrusteeFault, match="gave 3 decryption shares for 4 sums"):
        decryption.add(1, _partials(election, 1)[:3])
    decryption.add(2, _partials(election, 2))
    with pytest.raises(ThresholdError, match="already"):
        decryption.add(2, _partials(election, 2))
    with pytest.raises(ThresholdError, match="no trustee 9"):
        ThresholdDecryption(joint, sums).add(9, _partials(election, 2))


def test_fewer_than_k_cannot_combine(election) -> None:  # type: ignore[no-untyped-def]
    _, _, sums, _ = election
    ct = sums[1][0]
    with pytest.raises(ThresholdError, match="need k = 3"):
        combine(ct, {1: ct.alpha, 2: ct.alpha}, 3)


def test_wiped_share_cannot_be_used(election) -> None:  # type: ignore[no-untyped-def]
    joint, _, sums, _ = election
    params, identities = make_params(3, 2)
    result = rehearse(params, identities, PASSPHRASES[:3])
    with unseal_key_share(result.sealed_shares[0], PASSPHRASES[0]) as share:
        pass
    with pytest.raises(Exception, match="wiped"):
        partial_decrypt(share, [sums[0][0]], joint.base)


@given(st.lists(st.integers(1, 50), min_size=1, max_size=5, unique=True), st.integers(0, ELL - 1))
def test_lagrange_interpolates_the_constant_term(quorum: list[int], seed: int) -> None:
    rng = random.Random(seed)
    coeffs = [rng.randrange(ELL) for _ in range(len(quorum))]
    value = lambda x: sum(a * x**j for j, a in enumerate(coeffs)) % ELL  # noqa: E731
    total = Scalar.from_int(0)
    for t in quorum:
        total = total + lagrange_weight(t, quorum) * Scalar.from_int(value(t))
    assert int(total) == coeffs[0]


# The packed search -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table() -> PackedTable:
    return PackedTable(600)


@given(st.integers(0, 600), st.data())
def test_packed_search_finds_every_split(table: PackedTable, n: int, data: st.DataObject) -> None:
    yes = data.draw(st.integers(0, n))
    no = data.draw(st.integers(0, n - yes))
    M = Point.base_mul(Scalar.from_int(yes + B * no))
    assert table.solve(M, n) == (yes, no)
    assert unpack(yes + B * no) == (yes, no)


@pytest.mark.parametrize(
    "yes, no, n", [(0, 0, 0), (600, 0, 600), (0, 600, 600), (345, 255, 600), (0, 256, 300)]
)
def test_packed_search_edges(table: PackedTable, yes: int, no: int, n: int) -> None:
    assert table.solve(Point.base_mul(Scalar.from_int(yes + B * no)), n) == (yes, no)


@pytest.mark.parametrize(
    "T, n", [(601, 600), (3 + B * 5, 7), (B * 601, 600), (-1, 10), (B - 1, 600)]
)
def test_packed_search_refuses_what_no_honest_sum_gives(table: PackedTable, T: int, n: int) -> None:
    with pytest.raises(ThresholdError, match="no \\(yes, no\\)"):
        table.solve(Point.base_mul(Scalar.from_int(T)), n)


def test_table_limits(table: PackedTable) -> None:
    with pytest.raises(ThresholdError, match="exceeds the table's N_max"):
        table.solve(Point.base_mul(Scalar.from_int(1)), 601)
    with pytest.raises(ThresholdError, match="below the packing base"):
        PackedTable(B)


def test_decryption_of_a_non_ballot_ciphertext_fails_cleanly(election) -> None:  # type: ignore[no-untyped-def]
    joint, _, _, _ = election
    ct, _ = encrypt_random(joint.public_key, 2)  # 2 is not a valid packed value for N = 1
    decryption = ThresholdDecryption(joint, [(ct, 1)])
    for t in (1, 2, 3):
        decryption.add(t, partial_decrypt(election[1][t], [ct], joint.base))
    with pytest.raises(ThresholdError, match="no \\(yes, no\\)"):
        decryption.decrypt()
    assert isinstance(ct, Ciphertext)
