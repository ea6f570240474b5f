"""Checking the ceremony's public files, judging complaints, and deriving the public keys.

Everything here runs on public data only: the tally station, the verifier and each trustee
use it. Each check raises TrusteeFault naming the trustee whose file is at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crypto.ceremony.messages import (
    Acceptance,
    CeremonyParameters,
    Complaint,
    Confirmation,
    Envelope,
    Round1Commit,
    Round1Message,
    TrusteeEntry,
    transcript_hash,
)
from crypto.elgamal import PublicKey
from crypto.errors import (
    CeremonyError,
    CryptoError,
    DecryptionFailed,
    InvalidKey,
    InvalidScalar,
    TrusteeFault,
)
from crypto.hashing import fingerprint
from crypto.hazmat.group import IDENTITY, Point, Scalar
from crypto.hazmat.proofs import schnorr_verify
from crypto.sealing import SealedShare, TransportKey, check_transport_key, open_sealed


def schnorr_context(params: CeremonyParameters, i: int, j: int) -> tuple[bytes, bytes, int, int]:
    return (*params.context(), i, j)


def check_commit(params: CeremonyParameters, commit: Round1Commit) -> None:
    try:
        params.key_of(commit.trustee).verify(
            commit.signature, "round1-commit", *commit.payload(params)
        )
    except CryptoError as exc:
        raise TrusteeFault(commit.trustee, f"round-1 commitment: {exc}") from None


def check_round1(params: CeremonyParameters, message: Round1Message, commit: Round1Commit) -> None:
    """A round-1 message must match its signed commitment, be signed, and prove every K_i,j."""
    i = message.trustee
    if commit.trustee != i:
        raise CeremonyError(
            f"round-1 message of trustee {i} checked against trustee {commit.trustee}"
        )
    if message.round1_hash(params) != commit.round1_hash:
        raise TrusteeFault(i, "round-1 message does not match the round1_hash it committed to")
    try:
        params.key_of(i).verify(message.signature, "round1", *message.payload(params))
    except CryptoError as exc:
        raise TrusteeFault(i, f"round-1 message: {exc}") from None
    # A K_i,j may be O (PROTOCOL §1): the joint key, each K_t and Σ K_i,k−1 are checked instead.
    for j, (K, proof) in enumerate(zip(message.commitments, message.proofs, strict=True)):
        try:
            schnorr_verify(K, proof, schnorr_context(params, i, j))
        except CryptoError:
            raise TrusteeFault(i, f"Schnorr proof for K_{i},{j} does not verify") from None
    try:
        check_transport_key(message.transport_key)
    except InvalidKey as exc:
        raise TrusteeFault(i, f"round-1 message: {exc}") from None


def check_round1_all(
    params: CeremonyParameters,
    commits: Mapping[int, Round1Commit],
    messages: Mapping[int, Round1Message],
) -> bytes:
    """Check all n commitments and messages; return the transcript hash."""
    for i in range(1, params.n + 1):
        if i not in commits:
            raise TrusteeFault(i, "no round-1 commitment")
        check_commit(params, commits[i])
        if i not in messages:
            raise TrusteeFault(i, "no round-1 message")
        check_round1(params, messages[i], commits[i])
    return transcript_hash(params, [commits[i].round1_hash for i in range(1, params.n + 1)])


def check_confirmation(
    params: CeremonyParameters, confirm: Confirmation, transcript: bytes
) -> None:
    t = confirm.trustee
    if confirm.transcript != transcript:
        raise TrusteeFault(t, "confirmed a different round-1 transcript")
    try:
        params.key_of(t).verify(confirm.signature, "confirm", *confirm.payload(params))
    except CryptoError as exc:
        raise TrusteeFault(t, f"confirmation: {exc}") from None


def check_acceptance(params: CeremonyParameters, acceptance: Acceptance, transcript: bytes) -> None:
    t = acceptance.trustee
    if acceptance.transcript != transcript:
        raise TrusteeFault(t, "accepted its shares under a different round-1 transcript")
    try:
        params.key_of(t).verify(acceptance.signature, "accept", *acceptance.payload(params))
    except CryptoError as exc:
        raise TrusteeFault(t, f"share acceptance: {exc}") from None


def envelope_is_signed(params: CeremonyParameters, envelope: Envelope) -> bool:
    try:
        check_envelope(params, envelope)
    except TrusteeFault:
        return False
    return True


def check_envelope(params: CeremonyParameters, envelope: Envelope) -> None:
    try:
        params.key_of(envelope.sender).verify(
            envelope.signature, "round2", *envelope.payload(params)
        )
    except CryptoError as exc:
        raise TrusteeFault(
            envelope.sender, f"round-2 envelope to {envelope.recipient}: {exc}"
        ) from None


def expected_share_point(message: Round1Message, t: int) -> Point:
    """Σ_j t^j·K_i,j: the public image of P_i(t)."""
    total = IDENTITY
    power = Scalar.from_int(1)
    step = Scalar.from_int(t)
    for K in message.commitments:
        total = total + K * power
        power = power * step
    return total


def share_matches(message: Round1Message, t: int, share: Scalar) -> bool:
    return Point.base_mul(share) == expected_share_point(message, t)


def open_envelope(
    params: CeremonyParameters, envelope: Envelope, transport: TransportKey
) -> Scalar:
    """Open a share envelope; raise DecryptionFailed or InvalidScalar if it does not open."""
    plain = open_sealed(
        transport,
        SealedShare(envelope.ephemeral_key, envelope.nonce, envelope.ciphertext),
        envelope.associated_data(params),
    )
    try:
        return Scalar.from_bytes(bytes(plain), what="sealed share")
    finally:
        for n in range(len(plain)):
            plain[n] = 0


def judge_complaint(
    params: CeremonyParameters,
    messages: Mapping[int, Round1Message],
    published: Mapping[tuple[int, int], Envelope],
    complaint: Complaint,
) -> int:
    """Return the index of the trustee a complaint names as the cheater (PROTOCOL §6.1).

    The complaint itself must be signed by its complainer t (otherwise it is not t's
    complaint at all, and CeremonyError is raised). Then: a transport private key that is
    not R_t names t. The envelope judged is the one in the complaint, which must be i's
    validly signed envelope to t or t is named; a complaint without one (the device saw
    none, or only one whose signature did not verify) falls back to the published envelope
    from i to t if that one is validly signed, and names i when there is no such envelope.
    The envelope is then opened: a share that matches i's commitments names t, anything
    else names i.
    """
    t, i = complaint.trustee, complaint.accused
    try:
        params.key_of(t).verify(complaint.signature, "complaint", *complaint.payload(params))
    except CryptoError as exc:
        raise CeremonyError(f"complaint by trustee {t}: {exc}") from None
    transport = TransportKey.from_private_bytes(complaint.transport_private_key)
    if transport.public_bytes() != messages[t].transport_key:
        return t
    envelope = complaint.envelope
    if envelope is not None:
        if (envelope.sender, envelope.recipient) != (i, t) or not envelope_is_signed(
            params, envelope
        ):
            return t
    else:
        envelope = published.get((i, t))
        if envelope is None or not envelope_is_signed(params, envelope):
            return i
    try:
        share = open_envelope(params, envelope, transport)
    except (DecryptionFailed, InvalidScalar):
        return i
    return t if share_matches(messages[i], t, share) else i


def restart_parameters(
    params: CeremonyParameters, excluded: set[int], new_nonce: bytes
) -> CeremonyParameters:
    """A new ceremony without the excluded trustees, renumbered 1..n′ in their previous order."""
    unknown = sorted(excluded - {t.index for t in params.trustees})
    if unknown:
        raise CeremonyError(
            f"cannot restart: there is no trustee {unknown[0]} in this ceremony "
            f"(trustees 1 to {len(params.trustees)})"
        )
    remaining = [t for t in params.trustees if t.index not in excluded]
    if len(remaining) < params.k:
        raise CeremonyError(
            f"cannot restart: {len(remaining)} trustees remain, "
            f"fewer than the threshold k = {params.k}"
        )
    if new_nonce == params.ceremony_nonce:
        raise CeremonyError("a restarted ceremony needs a new ceremony_nonce")
    return CeremonyParameters(
        params.manifest_hash,
        new_nonce,
        params.k,
        tuple(TrusteeEntry(n, t.name, t.identity_key) for n, t in enumerate(remaining, start=1)),
    )


@dataclass(frozen=True, slots=True)
class JointKey:
    """The ceremony's public outcome: K, each trustee's public share K_t, and `base`."""

    params: CeremonyParameters
    public_key: PublicKey
    public_shares: tuple[Point, ...]  # K_1 … K_n
    base: bytes

    def public_share(self, t: int) -> Point:
        return self.public_shares[t - 1]

    @property
    def k(self) -> int:
        return self.params.k

    @property
    def n(self) -> int:
        return self.params.n


def joint_key(params: CeremonyParameters, messages: Mapping[int, Round1Message]) -> JointKey:
    """Derive K, K_t and base from verified round-1 messages (PROTOCOL §2, §6)."""
    ordered = [messages[i] for i in range(1, params.n + 1)]
    K = IDENTITY
    top = IDENTITY
    for m in ordered:
        K = K + m.commitments[0]
        top = top + m.commitments[params.k - 1]
    if K.is_identity():
        raise CeremonyError("the joint public key K is the identity")
    if top.is_identity():
        raise CeremonyError("Σ K_i,k−1 is the identity: the threshold would be lowered")
    shares = tuple(
        _sum_points([expected_share_point(m, t) for m in ordered]) for t in range(1, params.n + 1)
    )
    for t, share in enumerate(shares, start=1):
        if share.is_identity():
            raise CeremonyError(f"the public share K_{t} of trustee {t} is the identity")
    items: list[object] = [*params.context(), params.n, params.k, K]
    for m in ordered:
        items.extend(m.commitments)
    base = fingerprint("base", *items)  # type: ignore[arg-type]
    return JointKey(params, PublicKey(K), shares, base)


def _sum_points(points: list[Point]) -> Point:
    total = IDENTITY
    for p in points:
        total = total + p
    return total
