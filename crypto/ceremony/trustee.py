"""One trustee's secret steps of the key ceremony (PROTOCOL §6).

This runs on the trustee's own offline device. It holds the trustee's identity key, its
polynomial and its transport key between rounds, and it ends with the trustee's share
s_t sealed under the trustee's passphrase. Nothing secret leaves the object except that
sealed file, and a complaint's transport private key, which the protocol publishes
deliberately so anyone can judge the complaint.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from crypto.ceremony.messages import (
    CeremonyParameters,
    Complaint,
    Confirmation,
    Envelope,
    Round1Commit,
    Round1Message,
    transcript_hash,
)
from crypto.ceremony.public import (
    check_envelope,
    check_round1_all,
    joint_key,
    open_envelope,
    schnorr_context,
    share_matches,
)
from crypto.ceremony.sealed_share import SealedKeyShare, seal_key_share
from crypto.encoding import PROTOCOL_VERSION, canonical_json, to_hex
from crypto.errors import CeremonyError, DecryptionFailed, InvalidScalar, TrusteeFault
from crypto.fields import decode_scalar, open_document
from crypto.hazmat.group import Point, Scalar
from crypto.hazmat.proofs import schnorr_prove
from crypto.randomness import SYSTEM, RandomSource, random_scalar
from crypto.sealing import TransportKey, seal_to
from crypto.signing import SigningKey


class Stage(enum.Enum):
    NEW = "new"
    COMMITTED = "committed"
    CONFIRMED = "confirmed"
    SENT = "sent"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class ReceiveOutcome:
    """What round 3 gave: the sealed share, or the complaints to publish (never both)."""

    sealed_share: SealedKeyShare | None
    complaints: tuple[Complaint, ...]


class TrusteeDevice:
    def __init__(
        self,
        params: CeremonyParameters,
        index: int,
        identity: SigningKey,
        rng: RandomSource = SYSTEM,
    ) -> None:
        if params.key_of(index) != identity.verify_key:
            raise CeremonyError(
                f"this identity key is not the one the ceremony lists for trustee {index}"
            )
        self.params = params
        self.index = index
        self._identity = identity
        self._rng = rng
        self._coefficients: list[Scalar] = []
        self._transport: TransportKey | None = None
        self._message: Round1Message | None = None
        self._messages: dict[int, Round1Message] = {}
        self.stage = Stage.NEW

    def _expect(self, stage: Stage) -> None:
        if self.stage is not stage:
            raise CeremonyError(
                f"trustee {self.index}: this step needs stage {stage.value}, not {self.stage.value}"
            )

    # Round 1 ---------------------------------------------------------------------------------

    def round1(self) -> Round1Commit:
        """Draw P_i and R_i; return the signed commitment to the round-1 message."""
        self._expect(Stage.NEW)
        p, i = self.params, self.index
        self._coefficients = [random_scalar(self._rng) for _ in range(p.k)]
        commitments = tuple(Point.base_mul(a) for a in self._coefficients)
        proofs = tuple(
            schnorr_prove(a, K, schnorr_context(p, i, j), self._rng)
            for j, (a, K) in enumerate(zip(self._coefficients, commitments, strict=True))
        )
        self._transport = TransportKey.generate(self._rng)
        unsigned = Round1Message(i, commitments, proofs, self._transport.public_bytes(), b"")
        message = Round1Message(
            i,
            commitments,
            proofs,
            unsigned.transport_key,
            self._identity.sign("round1", *unsigned.payload(p)),
        )
        self._message = message
        round1_hash = message.round1_hash(p)
        commit = Round1Commit(i, round1_hash, b"")
        self.stage = Stage.COMMITTED
        return Round1Commit(
            i, round1_hash, self._identity.sign("round1-commit", *commit.payload(p))
        )

    def reveal(self, commits: Mapping[int, Round1Commit]) -> Round1Message:
        """Release the round-1 message, only once all n commitments are published."""
        self._expect(Stage.COMMITTED)
        missing = [t for t in range(1, self.params.n + 1) if t not in commits]
        if missing:
            raise CeremonyError(
                f"round-1 commitments missing from trustees {missing}: not revealing"
            )
        assert self._message is not None
        if commits[self.index].round1_hash != self._message.round1_hash(self.params):
            raise CeremonyError("the published commitment for this trustee is not its own")
        return self._message

    def confirm(
        self, commits: Mapping[int, Round1Commit], messages: Mapping[int, Round1Message]
    ) -> Confirmation:
        """Check every round-1 message and sign the transcript holding our own hash."""
        self._expect(Stage.COMMITTED)
        assert self._message is not None
        transcript = check_round1_all(self.params, commits, messages)
        if messages[self.index] != self._message:
            raise CeremonyError("the published round-1 message for this trustee is not its own")
        expected = transcript_hash(
            self.params, [commits[t].round1_hash for t in range(1, self.params.n + 1)]
        )
        assert transcript == expected
        self._messages = dict(messages)
        unsigned = Confirmation(self.index, transcript, b"")
        self.stage = Stage.CONFIRMED
        return Confirmation(
            self.index, transcript, self._identity.sign("confirm", *unsigned.payload(self.params))
        )

    # Round 2 ---------------------------------------------------------------------------------

    def evaluate(self, t: int) -> Scalar:
        """P_i(t) by Horner's rule."""
        x = Scalar.from_int(t)
        value = Scalar.from_int(0)
        for a in reversed(self._coefficients):
            value = value * x + a
        return value

    def round2(self) -> list[Envelope]:
        """Seal P_i(t) to every other trustee's transport key."""
        self._expect(Stage.CONFIRMED)
        p = self.params
        envelopes = []
        for t in range(1, p.n + 1):
            if t == self.index:
                continue
            blank = Envelope(self.index, t, b"", b"", b"", b"")
            sealed = seal_to(
                self._messages[t].transport_key,
                self.evaluate(t).to_bytes(),
                blank.associated_data(p),
                self._rng,
            )
            unsigned = Envelope(
                self.index, t, sealed.ephemeral, sealed.nonce, sealed.ciphertext, b""
            )
            envelopes.append(
                Envelope(
                    self.index,
                    t,
                    sealed.ephemeral,
                    sealed.nonce,
                    sealed.ciphertext,
                    self._identity.sign("round2", *unsigned.payload(p)),
                )
            )
        self.stage = Stage.SENT
        return envelopes

    # Round 3 ---------------------------------------------------------------------------------

    def receive(self, envelopes: Mapping[int, Envelope | None], passphrase: str) -> ReceiveOutcome:
        """Open and check the share from every other trustee (None: none was published).

        If every share checks, s_t = Σ_i P_i(t) is sealed under `passphrase`, and the
        polynomial and transport key are erased. Otherwise a signed complaint is made for
        each bad or missing share, and no share is sealed (the ceremony restarts).
        """
        self._expect(Stage.SENT)
        assert self._transport is not None
        p, t = self.params, self.index
        total = self.evaluate(t)
        complaints = []
        for i in range(1, p.n + 1):
            if i == t:
                continue
            envelope = envelopes.get(i)
            good = False
            if envelope is not None and envelope.sender == i and envelope.recipient == t:
                try:
                    check_envelope(p, envelope)
                    share = open_envelope(p, envelope, self._transport)
                    good = share_matches(self._messages[i], t, share)
                except (TrusteeFault, DecryptionFailed, InvalidScalar):
                    good = False
                if good:
                    total = total + share
            if not good:
                addressed = (
                    envelope is not None and envelope.sender == i and envelope.recipient == t
                )
                complaints.append(self._complaint(i, envelope if addressed else None))
        if complaints:
            self.stage = Stage.DONE
            return ReceiveOutcome(None, tuple(complaints))
        key = joint_key(p, self._messages)
        if Point.base_mul(total) != key.public_share(t):
            raise CeremonyError("the assembled share does not match the public share K_t")
        sealed = seal_key_share(p, t, total, key.public_share(t), passphrase, self._rng)
        self.erase()
        self.stage = Stage.DONE
        return ReceiveOutcome(sealed, ())

    def _complaint(self, accused: int, envelope: Envelope | None) -> Complaint:
        assert self._transport is not None
        unsigned = Complaint(self.index, accused, envelope, self._transport.private_bytes(), b"")
        return Complaint(
            self.index,
            accused,
            envelope,
            unsigned.transport_private_key,
            self._identity.sign("complaint", *unsigned.payload(self.params)),
        )

    # Between rounds the device is switched off: its state is sealed on the trustee's medium.

    def export_state(self) -> bytes:
        """The secret state between rounds, as canonical JSON: to be sealed, never stored bare."""
        return canonical_json(
            {
                "type": "refvote/trustee-state",
                "version": PROTOCOL_VERSION,
                "trustee": self.index,
                "stage": self.stage.value,
                "coefficients": [to_hex(a.to_bytes()) for a in self._coefficients],
                "transport_key": to_hex(self._transport.private_bytes())
                if self._transport
                else None,
                "message": to_hex(self._message.to_json(self.params)) if self._message else None,
            }
        )

    @classmethod
    def restore(
        cls,
        params: CeremonyParameters,
        index: int,
        identity: SigningKey,
        state: bytes,
        messages: Mapping[int, Round1Message] | None = None,
        rng: RandomSource = SYSTEM,
    ) -> TrusteeDevice:
        """Rebuild a device from `export_state` (and, from round 2 on, the checked messages)."""
        f = open_document(state, "refvote/trustee-state", "trustee state")
        f.constant("trustee", index)
        device = cls(params, index, identity, rng)
        device.stage = Stage(f.text("stage", max_length=20))
        device._coefficients = [decode_scalar(a, "coefficient") for a in f.array("coefficients")]
        if f.optional("transport_key"):
            device._transport = TransportKey.from_private_bytes(f.hex("transport_key", 32))
        if f.optional("message"):
            device._message = Round1Message.from_json(f.hex("message"), params)
        f.finish()
        if device.stage in (Stage.CONFIRMED, Stage.SENT):
            if messages is None:
                raise CeremonyError(
                    "restoring after confirmation needs the checked round-1 messages"
                )
            device._messages = dict(messages)
        return device

    def erase(self) -> None:
        """Forget the polynomial and the transport key (Python keeps no other references)."""
        self._coefficients = []
        self._transport = None


__all__ = ["ReceiveOutcome", "Stage", "TrusteeDevice"]
