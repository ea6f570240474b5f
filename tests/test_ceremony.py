"""The k-of-n key ceremony: honest runs, tampered files, complaints that name the cheater."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.ceremony.folder import CeremonyFiles, verify_ceremony
from crypto.ceremony.messages import (
    CeremonyParameters,
    Complaint,
    Envelope,
    Round1Message,
    TrusteeEntry,
)
from crypto.ceremony.public import joint_key, judge_complaint, restart_parameters
from crypto.ceremony.rehearsal import rehearse
from crypto.ceremony.sealed_share import SealedKeyShare, unseal_key_share
from crypto.ceremony.trustee import TrusteeDevice
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CeremonyError, CryptoError, DecryptionFailed, EncodingError, TrusteeFault
from crypto.hazmat.group import Point, Scalar
from crypto.hazmat.proofs import ChallengeResponse
from crypto.sealing import TransportKey
from crypto.signing import SigningKey
from tests.ceremony_helpers import (
    PASSPHRASES,
    BadDealer,
    make_params,
    receive_all,
    run_until_round2,
)


@pytest.fixture(scope="module")
def honest() -> tuple[CeremonyParameters, list[SigningKey], object]:
    params, identities = make_params(5, 3)
    return params, identities, rehearse(params, identities, PASSPHRASES[:5])


def test_rehearsal_gives_shares_that_match_the_public_shares(honest) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    joint = result.joint_key
    assert joint.n == 5 and joint.k == 3
    assert not joint.public_key.point.is_identity()
    for t, sealed in enumerate(result.sealed_shares, 1):
        loaded = SealedKeyShare.from_json(sealed.to_json())
        with unseal_key_share(loaded, PASSPHRASES[t - 1], joint.public_share(t)) as share:
            assert Point.base_mul(share.scalar()) == joint.public_share(t)
        with pytest.raises(DecryptionFailed):
            unseal_key_share(loaded, "wrong passphrase")


def test_sealed_share_of_another_trustee_is_refused(honest) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    joint = result.joint_key
    with pytest.raises(DecryptionFailed, match="public share"):
        unseal_key_share(result.sealed_shares[0], PASSPHRASES[0], joint.public_share(2))
    # Relabelling the file as trustee 2's breaks the associated data.
    relabelled = dataclasses.replace(result.sealed_shares[0], trustee=2)
    with pytest.raises(DecryptionFailed):
        unseal_key_share(relabelled, PASSPHRASES[0])


def test_folder_round_trip_and_verify(honest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "accept",
        "ceremony.json",
        "confirm",
        "round1",
        "round1-commit",
        "round2",
    ]
    assert len(list((tmp_path / "round2").iterdir())) == 20
    joint = verify_ceremony(CeremonyFiles.read(tmp_path))
    assert joint.base == result.joint_key.base
    assert joint.public_shares == result.joint_key.public_shares


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    obj = parse_canonical_json(path.read_bytes())
    change(obj)
    path.write_bytes(canonical_json(obj))


def _flip_hex(value: str, pos: int = 0) -> str:
    return value[:pos] + ("1" if value[pos] != "1" else "2") + value[pos + 1 :]


@pytest.mark.parametrize(
    "name, change, error, trustee",
    [
        (
            "round1-commit/trustee-02.json",
            lambda o: o.update(signature=_flip_hex(o["signature"])),
            TrusteeFault,
            2,
        ),
        (
            "round1-commit/trustee-03.json",
            lambda o: o.update(round1_hash=_flip_hex(o["round1_hash"])),
            TrusteeFault,
            3,
        ),
        (
            "round1/trustee-04.json",
            lambda o: o.update(signature=_flip_hex(o["signature"])),
            TrusteeFault,
            4,
        ),
        ("round1/trustee-01.json", lambda o: o["commitments"].reverse(), EncodingError, None),
        ("round1/trustee-01.json", lambda o: o.update(n=6), EncodingError, None),
        (
            "confirm/trustee-05.json",
            lambda o: o.update(signature=_flip_hex(o["signature"])),
            TrusteeFault,
            5,
        ),
        (
            "confirm/trustee-02.json",
            lambda o: o.update(transcript=_flip_hex(o["transcript"])),
            TrusteeFault,
            2,
        ),
        (
            "round2/from-03-to-01.json",
            lambda o: o.update(ciphertext=_flip_hex(o["ciphertext"])),
            TrusteeFault,
            3,
        ),
        ("round2/from-03-to-01.json", lambda o: o.update(extra=1), EncodingError, None),
        (
            "accept/trustee-03.json",
            lambda o: o.update(signature=_flip_hex(o["signature"])),
            TrusteeFault,
            3,
        ),
        (
            "accept/trustee-04.json",
            lambda o: o.update(transcript=_flip_hex(o["transcript"])),
            TrusteeFault,
            4,
        ),
        ("ceremony.json", lambda o: o.update(k=2), EncodingError, None),
        ("ceremony.json", lambda o: o["trustees"][1].update(name="Mallory"), None, None),
    ],
)
def test_tampered_ceremony_files_are_rejected(
    honest, tmp_path: Path, name, change, error, trustee
) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    _rewrite(tmp_path / name, change)
    if error is None:
        # A display name is not signed by anyone: it changes nothing cryptographic.
        verify_ceremony(CeremonyFiles.read(tmp_path))
        return
    with pytest.raises(error) as info:
        verify_ceremony(CeremonyFiles.read(tmp_path))
    if trustee is not None:
        assert info.value.trustee == trustee  # type: ignore[attr-defined]


def test_non_canonical_file_is_rejected(honest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    path = tmp_path / "round1/trustee-02.json"
    path.write_bytes(json.dumps(json.loads(path.read_bytes()), indent=1).encode())
    with pytest.raises(EncodingError, match="canonical"):
        CeremonyFiles.read(tmp_path)


def test_missing_and_misplaced_files(honest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    (tmp_path / "round2/from-02-to-05.json").unlink()
    with pytest.raises(TrusteeFault, match="no share envelope to trustee 5") as info:
        verify_ceremony(CeremonyFiles.read(tmp_path))
    assert info.value.trustee == 2
    result.files.write(tmp_path)
    (tmp_path / "confirm/trustee-04.json").unlink()
    with pytest.raises(TrusteeFault, match="did not confirm"):
        verify_ceremony(CeremonyFiles.read(tmp_path))
    result.files.write(tmp_path)
    (tmp_path / "round1/trustee-02.json").write_bytes(
        (tmp_path / "round1/trustee-03.json").read_bytes()
    )
    with pytest.raises(CeremonyError, match="holds the message of trustee 3"):
        CeremonyFiles.read(tmp_path)
    result.files.write(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CeremonyError, match=r"unexpected entry 'notes\.txt'"):
        CeremonyFiles.read(tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "round2/notes.txt",
        "round1/trustee-06.json",
        "confirm/trustee-1.json",
        "round2/from-02-to-02.json",
        "complaints/by-01-against-01.json",
        "accept/README",
    ],
)
def test_unknown_files_inside_round_folders_are_refused(honest, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text("{}")
    with pytest.raises(CeremonyError, match="unexpected entry"):
        CeremonyFiles.read(tmp_path)


def test_links_in_the_folder_are_refused(honest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    target = tmp_path / "confirm/trustee-02.json"
    target.unlink()
    target.symlink_to(tmp_path / "confirm/trustee-03.json")
    with pytest.raises(CeremonyError, match="not a regular file"):
        CeremonyFiles.read(tmp_path)


def test_a_ceremony_needs_every_acceptance(honest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, result = honest
    result.files.write(tmp_path)
    (tmp_path / "accept/trustee-05.json").unlink()
    with pytest.raises(TrusteeFault, match="no accept file") as info:
        verify_ceremony(CeremonyFiles.read(tmp_path))
    assert info.value.trustee == 5


def test_a_silently_dropped_complaint_leaves_the_ceremony_incomplete() -> None:
    params, identities = make_params(3, 2)
    BadDealer.victim = 3
    files, devices = run_until_round2(params, identities, {1: BadDealer})
    outcomes = receive_all(files, devices)
    assert outcomes[2].acceptance is None and len(outcomes[2].complaints) == 1
    assert set(files.acceptances) == {1, 2}
    files.complaints.clear()  # the station drops trustee 3's complaint
    with pytest.raises(TrusteeFault, match="no accept file") as info:
        verify_ceremony(files)
    assert info.value.trustee == 3


def test_a_trustee_signing_a_bad_schnorr_proof_is_named() -> None:
    params, identities = make_params(3, 2)

    class BadProof(TrusteeDevice):
        def round1(self):  # type: ignore[no-untyped-def]
            commit = super().round1()
            m = self._message
            assert m is not None
            bad = ChallengeResponse(m.proofs[1].c, m.proofs[1].v + Scalar.from_int(1))
            unsigned = dataclasses.replace(m, proofs=(m.proofs[0], bad), signature=b"")
            self._message = dataclasses.replace(
                unsigned, signature=self._identity.sign("round1", *unsigned.payload(self.params))
            )
            blank = dataclasses.replace(
                commit, round1_hash=self._message.round1_hash(self.params), signature=b""
            )
            return dataclasses.replace(
                blank, signature=self._identity.sign("round1-commit", *blank.payload(self.params))
            )

    devices = [
        (BadProof if i == 2 else TrusteeDevice)(params, i, key)
        for i, key in enumerate(identities, 1)
    ]
    commits = {d.index: d.round1() for d in devices}
    messages = {d.index: d.reveal(commits) for d in devices}
    with pytest.raises(TrusteeFault, match="Schnorr proof for K_2,1") as info:
        devices[0].confirm(commits, messages)
    assert info.value.trustee == 2


def test_the_device_checks_every_commitment_signature_before_revealing() -> None:
    params, identities = make_params(3, 2)
    devices = [TrusteeDevice(params, i, key) for i, key in enumerate(identities, 1)]
    commits = {d.index: d.round1() for d in devices}
    commits[2] = dataclasses.replace(commits[2], signature=bytes(64))
    with pytest.raises(TrusteeFault, match="round-1 commitment") as info:
        devices[0].reveal(commits)
    assert info.value.trustee == 2
    assert devices[0].revealed is None


def test_the_device_refuses_a_transcript_other_than_the_one_it_revealed_against() -> None:
    params, identities = make_params(3, 2)
    devices = [TrusteeDevice(params, i, key) for i, key in enumerate(identities, 1)]
    commits = {d.index: d.round1() for d in devices}
    messages = {d.index: d.reveal(commits) for d in devices}
    # Trustee 3 re-draws after seeing the others' messages; the station publishes the new pair.
    again = TrusteeDevice(params, 3, identities[2])
    swapped = {**commits, 3: again.round1()}
    swapped_messages = {**messages, 3: again.reveal(swapped)}
    with pytest.raises(CeremonyError, match=r"commitments of trustees \[3\] differ"):
        devices[0].confirm(swapped, swapped_messages)
    devices[0].confirm(commits, messages)


def test_commit_then_reveal_order_is_enforced() -> None:
    params, identities = make_params(3, 2)
    devices = [TrusteeDevice(params, i, key) for i, key in enumerate(identities, 1)]
    commits = {1: devices[0].round1(), 2: devices[1].round1()}
    with pytest.raises(CeremonyError, match=r"missing from trustees \[3\]: not revealing"):
        devices[0].reveal(commits)
    with pytest.raises(CeremonyError, match="needs stage revealed"):
        devices[2].confirm(commits, {})
    with pytest.raises(CeremonyError, match="needs stage new"):
        devices[0].round1()


def test_a_device_refuses_an_identity_the_roster_does_not_list() -> None:
    params, _ = make_params(3, 2)
    with pytest.raises(CeremonyError, match="not the one the ceremony lists"):
        TrusteeDevice(params, 1, SigningKey.generate())


# Complaints --------------------------------------------------------------------------------


def test_bad_dealer_is_named_and_restart_excludes_it() -> None:
    params, identities = make_params(5, 3)
    BadDealer.victim = 4
    files, devices = run_until_round2(params, identities, {2: BadDealer})
    outcomes = receive_all(files, devices)
    assert outcomes[3].sealed_share is None and len(outcomes[3].complaints) == 1
    complaint = outcomes[3].complaints[0]
    assert (complaint.trustee, complaint.accused) == (4, 2)
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 2
    with pytest.raises(TrusteeFault, match="restart without trustee 2") as info:
        verify_ceremony(files)
    assert info.value.trustee == 2
    # Restart: new nonce, trustees renumbered 1..4 in their previous order, the same k.
    new = restart_parameters(params, {2}, b"\x07" * 32)
    assert new.n == 4 and new.k == 3
    assert [t.identity_key for t in new.trustees] == [params.key_of(i) for i in (1, 3, 4, 5)]
    result = rehearse(new, [identities[i - 1] for i in (1, 3, 4, 5)], PASSPHRASES[:4])
    assert result.joint_key.n == 4


def test_false_complaint_names_the_complainer() -> None:
    params, identities = make_params(3, 2)
    files, devices = run_until_round2(params, identities)
    liar = devices[2]
    assert liar._transport is not None
    complaint = liar._complaint(1, files.envelopes[(1, 3)])
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 3


def test_complaint_with_a_wrong_transport_key_names_the_complainer() -> None:
    params, identities = make_params(3, 2)
    BadDealer.victim = 3
    files, devices = run_until_round2(params, identities, {1: BadDealer})
    device = devices[2]
    device._transport = TransportKey.generate()  # not the R_3 it published
    complaint = device._complaint(1, files.envelopes[(1, 3)])
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 3


def test_an_envelope_with_a_bad_signature_is_treated_as_missing() -> None:
    params, identities = make_params(3, 2)
    files, devices = run_until_round2(params, identities)
    e = files.envelopes[(1, 2)]
    files.envelopes[(1, 2)] = dataclasses.replace(e, signature=bytes(64))
    outcomes = receive_all(files, devices)
    (complaint,) = outcomes[1].complaints
    assert (complaint.trustee, complaint.accused, complaint.envelope) == (2, 1, None)
    # Only the altered envelope is published: the dealer is named, not the honest recipient.
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 1
    # If the published envelope is the dealer's valid one, the judge opens it: it checks, so
    # the complaint was false.
    files.envelopes[(1, 2)] = e
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 2


def test_missing_envelope_names_the_dealer() -> None:
    params, identities = make_params(3, 2)
    files, devices = run_until_round2(params, identities)
    del files.envelopes[(2, 1)]
    outcomes = receive_all(files, devices)
    complaint = outcomes[0].complaints[0]
    assert complaint.envelope is None and complaint.accused == 2
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 2


def test_undecryptable_envelope_signed_by_the_dealer_names_the_dealer() -> None:
    params, identities = make_params(3, 2)
    files, devices = run_until_round2(params, identities)
    e = files.envelopes[(3, 2)]
    garbage = dataclasses.replace(e, ciphertext=bytes(48), signature=b"")
    garbage = dataclasses.replace(
        garbage, signature=identities[2].sign("round2", *garbage.payload(params))
    )
    files.envelopes[(3, 2)] = garbage
    outcomes = receive_all(files, devices)
    complaint = outcomes[1].complaints[0]
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 3


def test_complaint_with_a_forged_envelope_names_the_complainer() -> None:
    params, identities = make_params(3, 2)
    files, devices = run_until_round2(params, identities)
    forged = dataclasses.replace(
        files.envelopes[(1, 2)], ciphertext=bytes(48)
    )  # signature no longer valid
    complaint = devices[1]._complaint(1, forged)
    assert judge_complaint(params, files.messages, files.envelopes, complaint) == 2


def test_unsigned_complaint_is_not_a_complaint() -> None:
    params, identities = make_params(3, 2)
    files, devices = run_until_round2(params, identities)
    complaint = devices[1]._complaint(1, files.envelopes[(1, 2)])
    forged = dataclasses.replace(complaint, signature=bytes(64))
    with pytest.raises(CeremonyError, match="complaint by trustee 2"):
        judge_complaint(params, files.messages, files.envelopes, forged)


def test_complaint_file_round_trip(tmp_path: Path) -> None:
    params, identities = make_params(3, 2)
    BadDealer.victim = 1
    files, devices = run_until_round2(params, identities, {3: BadDealer})
    receive_all(files, devices)
    files.write(tmp_path)
    assert [p.name for p in (tmp_path / "complaints").iterdir()] == ["by-01-against-03.json"]
    again = CeremonyFiles.read(tmp_path)
    assert again.complaints == files.complaints
    with pytest.raises(TrusteeFault) as info:
        verify_ceremony(again)
    assert info.value.trustee == 3


def test_restart_is_impossible_below_the_threshold() -> None:
    params, _ = make_params(3, 3)
    with pytest.raises(CeremonyError, match="fewer than the threshold"):
        restart_parameters(params, {2}, b"\x09" * 32)
    with pytest.raises(CeremonyError, match="new ceremony_nonce"):
        restart_parameters(params, set(), params.ceremony_nonce)


def test_restart_refuses_a_trustee_who_is_not_in_the_ceremony() -> None:
    params, _ = make_params(5, 3)
    with pytest.raises(CeremonyError, match="no trustee 9 in this ceremony"):
        restart_parameters(params, {9}, b"\x09" * 32)
    with pytest.raises(CeremonyError, match="no trustee 0"):
        restart_parameters(params, {0, 2}, b"\x09" * 32)


# Degenerate keys ---------------------------------------------------------------------------


def _messages_with(
    params: CeremonyParameters, coefficients: list[list[int]]
) -> dict[int, Round1Message]:
    zero_proof = ChallengeResponse(Scalar.from_int(0), Scalar.from_int(0))
    return {
        i: Round1Message(
            i,
            tuple(Point.base_mul(Scalar.from_int(a)) for a in coeffs),
            (zero_proof,) * len(coeffs),
            b"\x09" + bytes(31),
            b"",
        )
        for i, coeffs in enumerate(coefficients, 1)
    }


def test_top_coefficients_summing_to_identity_are_rejected() -> None:
    params, _ = make_params(2, 2)
    with pytest.raises(CeremonyError, match="threshold would be lowered"):
        joint_key(params, _messages_with(params, [[5, 7], [11, -7]]))


def test_identity_commitments_are_allowed_but_an_identity_public_share_is_not() -> None:
    params, _ = make_params(2, 2)
    # K_1,1 = O alone is fine (PROTOCOL §1): K, every K_t and Σ K_i,1 stay non-identity.
    joint = joint_key(params, _messages_with(params, [[5, 0], [11, 3]]))
    assert not joint.public_key.point.is_identity()
    # P_1(x) = 1 − x and P_2(x) = 2 − 2x: K and Σ K_i,1 are not O, but s_1 = P_1(1) + P_2(1) = 0.
    with pytest.raises(CeremonyError, match="public share K_1 of trustee 1 is the identity"):
        joint_key(params, _messages_with(params, [[1, -1], [2, -2]]))


@pytest.mark.parametrize("zero", [0, 1, 2])
def test_a_zero_coefficient_commitment_is_accepted_through_a_whole_ceremony(
    monkeypatch: pytest.MonkeyPatch, zero: int
) -> None:
    """PROTOCOL §1.1 and §6.1: any K_i,j may be O; only K, each K_t and Σ K_i,k−1 are
    checked. Trustee 1 draws a_1,j = 0, so K_1,j = O, and every other trustee confirms."""
    import crypto.ceremony.trustee as device_module

    params, identities = make_params(3, 3)
    real = device_module.random_scalar
    calls = iter(range(100))

    def draw(rng):  # type: ignore[no-untyped-def]
        return Scalar.from_int(0) if next(calls) == zero else real(rng)

    monkeypatch.setattr(device_module, "random_scalar", draw)
    result = rehearse(params, identities, PASSPHRASES[:3])
    assert result.files.messages[1].commitments[zero].is_identity()
    assert not result.files.messages[2].commitments[zero].is_identity()
    assert result.joint_key.n == 3


def test_joint_key_identity_is_rejected() -> None:
    params, _ = make_params(2, 1)
    with pytest.raises(CeremonyError, match="identity"):
        joint_key(params, _messages_with(params, [[5], [-5]]))


def test_roster_rules() -> None:
    key = SigningKey.generate().verify_key
    other = SigningKey.generate().verify_key
    with pytest.raises(EncodingError, match="share an identity key"):
        CeremonyParameters(
            bytes(32), bytes(32), 1, (TrusteeEntry(1, "a", key), TrusteeEntry(2, "b", key))
        )
    with pytest.raises(EncodingError, match="1 ≤ k ≤ n"):
        CeremonyParameters(
            bytes(32), bytes(32), 3, (TrusteeEntry(1, "a", key), TrusteeEntry(2, "b", other))
        )
    with pytest.raises(EncodingError, match=r"numbered 1\.\.n"):
        CeremonyParameters(bytes(32), bytes(32), 1, (TrusteeEntry(2, "a", key),))


# Fuzzing the loaders -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_files(honest) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    params, _, result = honest
    f = result.files
    return {
        "ceremony": params.to_json(),
        "commit": f.commits[1].to_json(params),
        "round1": f.messages[1].to_json(params),
        "confirm": f.confirmations[1].to_json(params),
        "round2": f.envelopes[(1, 2)].to_json(params),
        "sealed": result.sealed_shares[0].to_json(),
    }


LOADERS = {
    "ceremony": lambda data, p: CeremonyParameters.from_json(data),
    "commit": lambda data, p: __import__(
        "crypto.ceremony.messages", fromlist=["x"]
    ).Round1Commit.from_json(data, p),
    "round1": lambda data, p: Round1Message.from_json(data, p),
    "confirm": lambda data, p: __import__(
        "crypto.ceremony.messages", fromlist=["x"]
    ).Confirmation.from_json(data, p),
    "round2": lambda data, p: Envelope.from_json(data, p),
    "sealed": lambda data, p: SealedKeyShare.from_json(data),
}


@settings(max_examples=150)
@given(st.sampled_from(sorted(LOADERS)), st.data())
def test_mutated_ceremony_files_give_clean_errors(
    honest, sample_files, kind: str, data: st.DataObject
) -> None:  # type: ignore[no-untyped-def]
    params = honest[0]
    # The honest file loads and writes back to the same bytes: a loader that always raises fails.
    assert (
        SERIALISERS[kind](LOADERS[kind](sample_files[kind], params), params) == (sample_files[kind])
    )
    raw = bytearray(sample_files[kind])
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    try:
        loaded = LOADERS[kind](bytes(raw), params)
    except CryptoError:
        return  # a clean, specific error; anything else fails the test
    assert SERIALISERS[kind](loaded, params) == bytes(raw)  # accepted means exactly that file


# How each loaded file is written back (the ceremony roster and a sealed share need no params).
SERIALISERS = {
    kind: (lambda obj, p: obj.to_json())
    if kind in ("ceremony", "sealed")
    else (lambda obj, p: obj.to_json(p))
    for kind in LOADERS
}


@given(st.binary(max_size=300))
def test_random_bytes_give_clean_errors(honest, sample_files, data: bytes) -> None:  # type: ignore[no-untyped-def]
    params = honest[0]
    for kind, loader in LOADERS.items():
        assert SERIALISERS[kind](loader(sample_files[kind], params), params) == sample_files[kind]
        try:
            loaded = loader(data, params)
        except CryptoError:
            continue
        assert SERIALISERS[kind](loaded, params) == data


def test_complaint_parsing_rejects_self_accusation(honest) -> None:  # type: ignore[no-untyped-def]
    params = honest[0]
    c = Complaint(2, 2, None, bytes(32), bytes(64))
    with pytest.raises(EncodingError, match="accuse itself"):
        Complaint.from_json(c.to_json(params), params)
