"""Exponential ElGamal and the three proofs: honest proofs verify, any single change fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.elgamal import Ciphertext, PublicKey, encrypt, plaintext_point, sum_ciphertexts
from crypto.errors import InvalidKey, InvalidProof
from crypto.hashing import challenge
from crypto.hazmat.group import ELL, IDENTITY, G, Point, Scalar
from crypto.hazmat.proofs import (
    ChallengeResponse,
    MembershipProof,
    dleq_prove,
    dleq_verify,
    membership_prove,
    membership_verify,
    schnorr_prove,
    schnorr_verify,
)
from crypto.randomness import random_scalar

B = 65536
S = (0, 1, B)
BASE = bytes(range(32))
BIND = (b"\x11" * 16, "17")
nonzero = st.integers(min_value=1, max_value=ELL - 1)
ONE = Scalar.from_int(1)


def keypair(secret: int) -> tuple[Scalar, PublicKey]:
    s = Scalar.from_int(secret)
    return s, PublicKey(Point.base_mul(s))


def bump(s: Scalar) -> Scalar:
    return s + ONE


# ElGamal ----------------------------------------------------------------------------------


@given(nonzero, st.integers(min_value=0, max_value=2**32), nonzero)
def test_encrypt_decrypt_round_trip(secret: int, m: int, r: int) -> None:
    s, key = keypair(secret)
    ct = encrypt(key, m, Scalar.from_int(r))
    assert plaintext_point(ct, s) == Point.base_mul(Scalar.from_int(m))


@given(nonzero, st.lists(st.tuples(st.integers(0, 1000), nonzero), min_size=1, max_size=6))
def test_homomorphic_sum(secret: int, items: list[tuple[int, int]]) -> None:
    s, key = keypair(secret)
    cts = [encrypt(key, m, Scalar.from_int(r)) for m, r in items]
    total = sum(m for m, _ in items)
    assert plaintext_point(sum_ciphertexts(cts), s) == Point.base_mul(Scalar.from_int(total))


def test_identity_key_and_zero_nonce_are_refused() -> None:
    with pytest.raises(InvalidKey):
        PublicKey(IDENTITY)
    with pytest.raises(ValueError, match="nonzero"):
        encrypt(PublicKey(G), 1, Scalar.from_int(0))


# Schnorr ----------------------------------------------------------------------------------

CTX = (b"m" * 32, b"n" * 32, 2, 1)


@given(nonzero)
def test_schnorr_honest_and_tampered(a_int: int) -> None:
    a = Scalar.from_int(a_int)
    A = Point.base_mul(a)
    proof = schnorr_prove(a, A, CTX)
    schnorr_verify(A, proof, CTX)
    for bad_A, bad_proof, bad_ctx in [
        (A + G, proof, CTX),  # statement
        (A, ChallengeResponse(bump(proof.c), proof.v), CTX),  # challenge
        (A, ChallengeResponse(proof.c, bump(proof.v)), CTX),  # response
        (A, proof, (*CTX[:3], 2)),  # context: another coefficient j
        (A, proof, (b"x" * 32, *CTX[1:])),  # context: another manifest
    ]:
        with pytest.raises(InvalidProof):
            schnorr_verify(bad_A, bad_proof, bad_ctx)


def test_schnorr_for_the_identity_commitment_verifies() -> None:
    zero = Scalar.from_int(0)
    proof = schnorr_prove(zero, IDENTITY, CTX)
    schnorr_verify(IDENTITY, proof, CTX)
    with pytest.raises(InvalidProof):
        schnorr_verify(G, proof, CTX)


# DLEQ -------------------------------------------------------------------------------------


@given(nonzero, nonzero)
def test_dleq_honest_and_tampered(s_int: int, alpha_int: int) -> None:
    s = Scalar.from_int(s_int)
    X = Point.base_mul(s)
    A = Point.base_mul(Scalar.from_int(alpha_int))
    D = A * s
    proof = dleq_prove(s, X, A, D, BASE)
    dleq_verify(X, A, D, proof, BASE)
    cases = [
        (X + G, A, D, proof, BASE),
        (X, A + G, D, proof, BASE),
        (X, A, D + G, proof, BASE),
        (X, A, D, ChallengeResponse(bump(proof.c), proof.v), BASE),
        (X, A, D, ChallengeResponse(proof.c, bump(proof.v)), BASE),
        (X, A, D, proof, bytes(32)),
    ]
    for case in cases:
        with pytest.raises(InvalidProof):
            dleq_verify(*case)


def test_dleq_with_wrong_secret_fails() -> None:
    s, other = random_scalar(), random_scalar()
    X, A = Point.base_mul(s), Point.base_mul(random_scalar())
    D = A * other  # not s·A
    with pytest.raises(InvalidProof):
        dleq_verify(X, A, D, dleq_prove(s, X, A, D, BASE), BASE)


# Membership ------------------------------------------------------------------------------


@given(nonzero, st.sampled_from(S), nonzero)
def test_membership_for_a_ballot_question(secret: int, m: int, r_int: int) -> None:
    _, key = keypair(secret)
    r = Scalar.from_int(r_int)
    ct = encrypt(key, m, r)
    proof = membership_prove(key, ct, r, m, S, BASE, BIND)
    membership_verify(key, ct, proof, S, BASE, BIND)


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=7, unique=True), st.data())
def test_membership_for_longer_lists(values: list[int], data: st.DataObject) -> None:
    _, key = keypair(99)
    m = data.draw(st.sampled_from(values))
    r = random_scalar()
    ct = encrypt(key, m, r)
    proof = membership_prove(key, ct, r, m, values, BASE, BIND)
    membership_verify(key, ct, proof, values, BASE, BIND)
    assert len(proof.branches) == len(values)


def test_membership_refuses_a_value_outside_the_list() -> None:
    _, key = keypair(5)
    r = random_scalar()
    ct = encrypt(key, 2, r)
    with pytest.raises(ValueError, match="not in the list"):
        membership_prove(key, ct, r, 2, S, BASE, BIND)
    # A cheating prover that claims m = 1 for an encryption of 2 cannot make it verify.
    forged = membership_prove(key, encrypt(key, 1, r), r, 1, S, BASE, BIND)
    with pytest.raises(InvalidProof):
        membership_verify(key, ct, forged, S, BASE, BIND)


def _tampered_proofs(proof: MembershipProof) -> list[MembershipProof]:
    out = []
    for j, branch in enumerate(proof.branches):
        for field in ("c", "v"):
            changed = ChallengeResponse(
                bump(branch.c) if field == "c" else branch.c,
                bump(branch.v) if field == "v" else branch.v,
            )
            out.append(
                MembershipProof(
                    tuple(changed if i == j else b for i, b in enumerate(proof.branches))
                )
            )
    return out


@pytest.mark.parametrize("m", S)
def test_membership_any_single_change_fails(m: int) -> None:
    _, key = keypair(1234)
    r = random_scalar()
    ct = encrypt(key, m, r)
    proof = membership_prove(key, ct, r, m, S, BASE, BIND)
    membership_verify(key, ct, proof, S, BASE, BIND)
    other_key = PublicKey(key.point + G)
    statement_changes = [
        (key, Ciphertext(ct.alpha + G, ct.beta), proof, S, BASE, BIND),  # α
        (key, Ciphertext(ct.alpha, ct.beta + G), proof, S, BASE, BIND),  # β
        (other_key, ct, proof, S, BASE, BIND),  # public key
        (key, ct, proof, (0, 1, B + 1), BASE, BIND),  # the list of values
        (key, ct, proof, S, bytes(32), BIND),  # base
        (key, ct, proof, S, BASE, (BIND[0], "18")),  # binding: another question
        (key, ct, proof, S, BASE, (b"\x22" * 16, "17")),  # binding: another ballot
    ]
    for case in statement_changes:
        with pytest.raises(InvalidProof):
            membership_verify(*case)
    for bad in _tampered_proofs(proof):
        with pytest.raises(InvalidProof):
            membership_verify(key, ct, bad, S, BASE, BIND)
    with pytest.raises(InvalidProof, match="branches"):
        membership_verify(key, ct, MembershipProof(proof.branches[:2]), S, BASE, BIND)


def test_zero_scalars_in_a_simulated_branch_still_verify() -> None:
    # Build a proof whose simulated branch has c_j = 0 and v_j = 0 by hand: the prover draws
    # c_j and v_j uniformly, and 0 is a legitimate (if improbable) draw the verifier must accept.
    _, key = keypair(77)
    r = random_scalar()
    m = 1
    ct = encrypt(key, m, r)
    proof = _prove_with_simulated(key, ct, r, m, zero_branch=0)
    assert proof.branches[0].c.is_zero() and proof.branches[0].v.is_zero()
    membership_verify(key, ct, proof, S, BASE, BIND)


def _prove_with_simulated(
    key: PublicKey, ct: Ciphertext, r: Scalar, m: int, zero_branch: int
) -> MembershipProof:
    from crypto.hazmat import proofs

    zero = Scalar.from_int(0)
    draws = iter([zero, zero])
    real = proofs.random_scalar

    def fake(rng: object = None) -> Scalar:
        # The real branch's u comes first, then (c_j, v_j) for each simulated j in order.
        fake.calls += 1  # type: ignore[attr-defined]
        if fake.calls == 2 + 2 * zero_branch or fake.calls == 3 + 2 * zero_branch:  # type: ignore[attr-defined]
            return next(draws)
        return real()

    fake.calls = 0  # type: ignore[attr-defined]
    proofs.random_scalar = fake  # type: ignore[assignment]
    try:
        return membership_prove(key, ct, r, m, S, BASE, BIND)
    finally:
        proofs.random_scalar = real


# A prover who hashes a commitment other than the one its response opens is caught. -----------


def test_schnorr_with_a_changed_commitment_fails() -> None:
    a, u = random_scalar(), random_scalar()
    A = Point.base_mul(a)
    h = Point.base_mul(u) + G  # not u·G
    c = challenge("schnorr", *CTX, A, h)
    with pytest.raises(InvalidProof):
        schnorr_verify(A, ChallengeResponse(c, u + c * a), CTX)


@pytest.mark.parametrize("which", ["a", "b"])
def test_dleq_with_a_changed_commitment_fails(which: str) -> None:
    s, u = random_scalar(), random_scalar()
    X, A = Point.base_mul(s), Point.base_mul(random_scalar())
    D = A * s
    a, b = Point.base_mul(u), A * u
    a, b = (a + G, b) if which == "a" else (a, b + G)
    c = challenge("dleq", BASE, X, A, D, a, b)
    with pytest.raises(InvalidProof):
        dleq_verify(X, A, D, ChallengeResponse(c, u + c * s), BASE)


@pytest.mark.parametrize("position", [None, 0, 1, 2, 3, 4, 5])
def test_membership_with_a_changed_commitment_fails(position: int | None) -> None:
    from crypto.hazmat import proofs

    _, key = keypair(4321)
    r = random_scalar()
    ct = encrypt(key, 1, r)
    honest = membership_prove(key, ct, r, 1, S, BASE, BIND)
    # Recompute the honest commitments, change one, and re-derive the real branch's challenge.
    commitments = []
    for branch, s_j in zip(honest.branches, S, strict=True):
        a = Point.base_mul(branch.v) - ct.alpha * branch.c
        b = key.point * branch.v - (ct.beta - Point.base_mul(Scalar.from_int(s_j))) * branch.c
        commitments.append([a, b])
    if position is not None:
        commitments[position // 2][position % 2] += G
    c = proofs._membership_challenge(BASE, key, BIND, ct, S, [tuple(x) for x in commitments])  # type: ignore[misc]
    real = honest.branches[1]
    c_1 = c - honest.branches[0].c - honest.branches[2].c
    shifted = ChallengeResponse(c_1, real.v + (c_1 - real.c) * r)
    forged = MembershipProof((honest.branches[0], shifted, honest.branches[2]))
    if position is None:  # the baseline: the same recipe with the true commitments verifies
        membership_verify(key, ct, forged, S, BASE, BIND)
        return
    with pytest.raises(InvalidProof):
        membership_verify(key, ct, forged, S, BASE, BIND)


@given(st.sampled_from(S), nonzero)
def test_prepared_encryption_verifies_and_decrypts(m: int, secret: int) -> None:
    from crypto.hazmat.proofs import PreparedEncryption

    s, key = keypair(secret)
    points = [Point.base_mul(Scalar.from_int(v)) for v in S]
    prepared = PreparedEncryption(key, len(S))
    ct, proof, r = prepared.encrypt(key, m, S, points, BASE, BIND)
    membership_verify(key, ct, proof, S, BASE, BIND)
    assert ct == encrypt(key, m, r)
    assert plaintext_point(ct, s) == points[S.index(m)]
    with pytest.raises(ValueError, match="used once"):
        prepared.encrypt(key, m, S, points, BASE, BIND)
    with pytest.raises(InvalidProof):
        membership_verify(key, ct, proof, S, BASE, (BIND[0], "18"))


def test_encrypting_0_and_1_makes_the_same_libsodium_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """No shortcut for m = 0 or the identity: the booth's encryption of a blank or "no" answer
    does the same group work as a "yes", so its time says nothing of the choice."""
    from crypto import elgamal
    from crypto.hazmat import group

    calls: list[str] = []
    for name in ("_base_mul", "_mul", "_add", "_sub"):
        real = getattr(group, name)

        def counted(*args: bytes, _real=real, _name=name) -> bytes:  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(group, name, counted)
    key = elgamal.PublicKey(group.Point.base_mul(group.Scalar.from_int(7)))
    r = group.Scalar.from_int(12345)
    traces = []
    for m in (0, 1):
        calls.clear()
        c = elgamal.encrypt(key, m, r)
        traces.append(list(calls))
        assert c.beta == group.Point.base_mul(group.Scalar.from_int(m)) + key.point * r
    assert traces[0] == traces[1] and traces[0]
