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
    Acceptance,
    CeremonyParameters,
    Complaint,
    Confirmation,
    Envelope,
    Round1Commit,
    Round1Message,
    transcript_hash,
)
from crypto.ceremony.public import (
    JointKey,
    check_commit,
    check_round1_all,
    envelope_is_signed,
    joint_key,
    open_envelope,
    schnorr_context,
    share_matches,
)
from crypto.ceremony.sealed_share import SealedKeyShare, seal_key_share
from crypto.encoding import PROTOCOL_VERSION, canonical_json, from_hex, to_hex
from crypto.errors import CeremonyError, DecryptionFailed, InvalidScalar
from crypto.fields import decode_scalar, open_document
from crypto.hazmat.group import Point, Scalar
from crypto.hazmat.proofs import schnorr_prove
from crypto.randomness import SYSTEM, RandomSource, random_scalar
from crypto.sealing import TransportKey, seal_to
from crypto.signing import SigningKey


class Stage(enum.Enum):
    NEW = "new"
    COMMITTED = "committed"  # its round1_hash is signed; the message is kept back
    REVEALED = "revealed"  # all n commitments seen, signed and pinned; the message released
    CONFIRMED = "confirmed"  # every round-1 message checked; the transcript pinned and signed
    SENT = "sent"  # shares sealed to every other trustee
    DONE = "done"  # share sealed (or complaints made); every secret of the ceremony erased


# The only moves a device makes; anything else is an error, never a silent no-op.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.NEW: frozenset({Stage.COMMITTED}),
    Stage.COMMITTED: frozenset({Stage.REVEALED}),
    Stage.REVEALED: frozenset({Stage.CONFIRMED}),
    Stage.CONFIRMED: frozenset({Stage.SENT}),
    Stage.SENT: frozenset({Stage.DONE}),
    Stage.DONE: frozenset(),
}


class Outcome(enum.Enum):
    SEALED = "sealed"
    COMPLAINED = "complained"


@dataclass(frozen=True, slots=True)
class ReceiveOutcome:
    """What round 3 gave: the sealed share and the signed acceptance, or the complaints to
    publish (never both)."""

    sealed_share: SealedKeyShare | None
    complaints: tuple[Complaint, ...]
    acceptance: Acceptance | None = None


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
        # What this device saw and signed, kept in its sealed state: the n round-1 hashes
        # (pinned when it revealed) and the transcript (pinned when it confirmed).
        self._round1_hashes: tuple[bytes, ...] | None = None
        self._transcript: bytes | None = None
        self._envelopes: tuple[Envelope, ...] = ()
        self._complaints: tuple[Complaint, ...] = ()
        self.outcome: Outcome | None = None
        self.stage = Stage.NEW

    def _expect(self, *stages: Stage) -> None:
        if self.stage not in stages:
            raise CeremonyError(
                f"trustee {self.index}: this step needs stage "
                f"{' or '.join(s.value for s in stages)}, not {self.stage.value}"
            )

    def _move(self, stage: Stage) -> None:
        if stage not in TRANSITIONS[self.stage]:
            raise CeremonyError(
                f"trustee {self.index}: no move from stage {self.stage.value} to {stage.value}"
            )
        self.stage = stage

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
        self._message = Round1Message(
            i,
            commitments,
            proofs,
            unsigned.transport_key,
            self._identity.sign("round1", *unsigned.payload(p)),
        )
        self._move(Stage.COMMITTED)
        return self.commitment()

    def commitment(self) -> Round1Commit:
        """This trustee's signed commitment (Ed25519 is deterministic: the same bytes again)."""
        assert self._message is not None
        p = self.params
        commit = Round1Commit(self.index, self._message.round1_hash(p), b"")
        return Round1Commit(
            self.index,
            commit.round1_hash,
            self._identity.sign("round1-commit", *commit.payload(p)),
        )

    def _check_commits(self, commits: Mapping[int, Round1Commit]) -> tuple[bytes, ...]:
        missing = [t for t in range(1, self.params.n + 1) if t not in commits]
        if missing:
            raise CeremonyError(
                f"round-1 commitments missing from trustees {missing}: not revealing"
            )
        for t in range(1, self.params.n + 1):
            check_commit(self.params, commits[t])
        hashes = tuple(commits[t].round1_hash for t in range(1, self.params.n + 1))
        if self._round1_hashes is not None and hashes != self._round1_hashes:
            changed = [
                t
                for t, (a, b) in enumerate(zip(hashes, self._round1_hashes, strict=True), 1)
                if a != b
            ]
            raise CeremonyError(
                f"the published round-1 commitments of trustees {changed} differ from the ones "
                "this device revealed against: refusing the folder"
            )
        return hashes

    def reveal(self, commits: Mapping[int, Round1Commit]) -> Round1Message:
        """Release the round-1 message, only once all n commitments are published and signed.

        The n round-1 hashes are pinned here; a later folder must hold the same ones.
        """
        self._expect(Stage.COMMITTED, Stage.REVEALED)
        assert self._message is not None
        hashes = self._check_commits(commits)
        if hashes[self.index - 1] != self._message.round1_hash(self.params):
            raise CeremonyError("the published commitment for this trustee is not its own")
        if self.stage is Stage.COMMITTED:
            self._round1_hashes = hashes
            self._move(Stage.REVEALED)
        return self._message

    def confirm(
        self, commits: Mapping[int, Round1Commit], messages: Mapping[int, Round1Message]
    ) -> Confirmation:
        """Check every round-1 message and sign the transcript holding our own hash."""
        self._expect(Stage.REVEALED)
        assert self._message is not None and self._round1_hashes is not None
        self._check_commits(commits)
        transcript = check_round1_all(self.params, commits, messages)
        if messages[self.index] != self._message:
            raise CeremonyError("the published round-1 message for this trustee is not its own")
        if transcript != transcript_hash(self.params, list(self._round1_hashes)):
            raise CeremonyError("the round-1 transcript differs from the one this device saw")
        self._messages = {t: messages[t] for t in range(1, self.params.n + 1)}
        self._transcript = transcript
        self._move(Stage.CONFIRMED)
        return self.confirmation()

    def confirmation(self) -> Confirmation:
        assert self._transcript is not None
        unsigned = Confirmation(self.index, self._transcript, b"")
        return Confirmation(
            self.index,
            self._transcript,
            self._identity.sign("confirm", *unsigned.payload(self.params)),
        )

    def check_published(
        self, commits: Mapping[int, Round1Commit], messages: Mapping[int, Round1Message]
    ) -> None:
        """Refuse a folder whose commitments or round-1 messages are not the ones this device
        pinned (checked signatures, proofs, and the transcript it confirmed)."""
        if self._round1_hashes is not None:
            self._check_commits(commits)
        if self._transcript is not None:
            if len(messages) != self.params.n:
                raise CeremonyError("the folder lacks round-1 messages this device confirmed")
            if check_round1_all(self.params, commits, messages) != self._transcript:
                raise CeremonyError(
                    "the round-1 transcript in the folder differs from the one this device "
                    "confirmed: refusing the folder"
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
        self._envelopes = tuple(envelopes)
        self._move(Stage.SENT)
        return envelopes

    @property
    def revealed(self) -> Round1Message | None:
        """The round-1 message, once released (None before all commitments were seen)."""
        return None if self.stage in (Stage.NEW, Stage.COMMITTED) else self._message

    @property
    def transcript(self) -> bytes | None:
        """The transcript this device confirmed (None before it confirmed)."""
        return self._transcript

    @property
    def envelopes(self) -> tuple[Envelope, ...]:
        """The envelopes this device sealed in round 2 (kept so they can be written again)."""
        return self._envelopes

    @property
    def complaints(self) -> tuple[Complaint, ...]:
        return self._complaints

    # Round 3 ---------------------------------------------------------------------------------

    def receive(self, envelopes: Mapping[int, Envelope | None], passphrase: str) -> ReceiveOutcome:
        """Open and check the share from every other trustee (None: none was published).

        An envelope that is not from i to t or whose signature does not verify is treated as
        missing: it is not i's, so the complaint carries no envelope and the judge looks for
        i's validly signed one. If every share checks, s_t = Σ_i P_i(t) is sealed under
        `passphrase`, a signed acceptance is made, and the polynomial and transport key are
        erased. Otherwise a signed complaint is made for each bad or missing share, and no
        share is sealed (the ceremony restarts).
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
            if envelope is not None and (
                (envelope.sender, envelope.recipient) != (i, t)
                or not envelope_is_signed(p, envelope)
            ):
                envelope = None
            share = None
            if envelope is not None:
                try:
                    share = open_envelope(p, envelope, self._transport)
                except (DecryptionFailed, InvalidScalar):
                    share = None
            if share is not None and share_matches(self._messages[i], t, share):
                total = total + share
            else:
                complaints.append(self._complaint(i, envelope))
        if complaints:
            self._complaints = tuple(complaints)
            self.erase()  # the transport key is in every complaint; the polynomial goes
            self.outcome = Outcome.COMPLAINED
            self._move(Stage.DONE)
            return ReceiveOutcome(None, self._complaints)
        key = self.joint_key()
        if Point.base_mul(total) != key.public_share(t):
            raise CeremonyError("the assembled share does not match the public share K_t")
        sealed = seal_key_share(p, t, total, key.public_share(t), passphrase, self._rng)
        self.finish_sealed()
        return ReceiveOutcome(sealed, (), self.acceptance())

    def joint_key(self) -> JointKey:
        if self._transcript is None:
            raise CeremonyError("the joint key is known only after the transcript is confirmed")
        return joint_key(self.params, self._messages)

    def finish_sealed(self) -> None:
        """The share is sealed (now, or before a crash): erase the secrets and finish."""
        self._expect(Stage.SENT)
        self.erase()
        self.outcome = Outcome.SEALED
        self._move(Stage.DONE)

    def acceptance(self) -> Acceptance:
        """The signed word that every share received checked (only after sealing)."""
        if self.outcome is not Outcome.SEALED or self._transcript is None:
            raise CeremonyError("a trustee accepts only once every share checked and is sealed")
        unsigned = Acceptance(self.index, self._transcript, b"")
        return Acceptance(
            self.index,
            self._transcript,
            self._identity.sign("accept", *unsigned.payload(self.params)),
        )

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
        p = self.params

        def hexes(items: tuple[bytes, ...] | None) -> list[str] | None:
            return None if items is None else [to_hex(x) for x in items]

        return canonical_json(
            {
                "type": "refvote/trustee-state",
                "version": PROTOCOL_VERSION,
                "trustee": self.index,
                "stage": self.stage.value,
                "outcome": self.outcome.value if self.outcome else None,
                "coefficients": [to_hex(a.to_bytes()) for a in self._coefficients],
                "transport_key": to_hex(self._transport.private_bytes())
                if self._transport
                else None,
                "message": to_hex(self._message.to_json(p)) if self._message else None,
                "round1_hashes": hexes(self._round1_hashes),
                "transcript": to_hex(self._transcript) if self._transcript else None,
                "envelopes": [to_hex(e.to_json(p)) for e in self._envelopes],
                "complaints": [to_hex(c.to_json(p)) for c in self._complaints],
            }
        )

    @classmethod
    def restore(
        cls,
        params: CeremonyParameters,
        index: int,
        identity: SigningKey,
        state: bytes,
        commits: Mapping[int, Round1Commit] | None = None,
        messages: Mapping[int, Round1Message] | None = None,
        rng: RandomSource = SYSTEM,
    ) -> TrusteeDevice:
        """Rebuild a device from `export_state` and the published folder's commitments and
        messages, which must be the ones the state pinned (from confirmation on, they are
        required: round 2 and 3 need them)."""
        f = open_document(state, "refvote/trustee-state", "trustee state")
        f.constant("trustee", index)
        device = cls(params, index, identity, rng)
        try:
            device.stage = Stage(f.text("stage", max_length=20))
            device.outcome = (
                Outcome(f.text("outcome", max_length=20)) if f.optional("outcome") else None
            )
        except ValueError:
            raise CeremonyError("trustee state: unknown stage or outcome") from None
        device._coefficients = [decode_scalar(a, "coefficient") for a in f.array("coefficients")]
        if f.optional("transport_key"):
            device._transport = TransportKey.from_private_bytes(f.hex("transport_key", 32))
        if f.optional("message"):
            device._message = Round1Message.from_json(f.hex("message"), params)
        if f.optional("round1_hashes"):
            device._round1_hashes = tuple(
                from_hex(h, 32, what="round1 hash") for h in f.array("round1_hashes", params.n)
            )
        if f.optional("transcript"):
            device._transcript = f.hex("transcript", 32)
        device._envelopes = tuple(
            Envelope.from_json(from_hex(e, what="envelope"), params) for e in f.array("envelopes")
        )
        device._complaints = tuple(
            Complaint.from_json(from_hex(c, what="complaint"), params)
            for c in f.array("complaints")
        )
        f.finish()
        device._check_restored()
        if device.stage in (Stage.CONFIRMED, Stage.SENT):
            if commits is None or messages is None:
                raise CeremonyError(
                    "restoring after confirmation needs the published round-1 files"
                )
            device.check_published(commits, messages)
            device._messages = {t: messages[t] for t in range(1, params.n + 1)}
        elif device.stage is Stage.REVEALED and commits is not None:
            device._check_commits(commits)
        return device

    def _check_restored(self) -> None:
        """A state holds exactly what its stage needs: (secrets, message, hashes, transcript)."""
        wants = {
            Stage.NEW: (False, False, False, False),
            Stage.COMMITTED: (True, True, False, False),
            Stage.REVEALED: (True, True, True, False),
            Stage.CONFIRMED: (True, True, True, True),
            Stage.SENT: (True, True, True, True),
            Stage.DONE: (False, True, True, True),
        }[self.stage]
        secrets = len(self._coefficients) == self.params.k and self._transport is not None
        erased = not self._coefficients and self._transport is None
        have = (
            secrets,
            self._message is not None,
            self._round1_hashes is not None,
            self._transcript is not None,
        )
        if (
            have != wants
            or not (secrets or erased)
            or (self.stage is Stage.DONE) != (self.outcome is not None)
        ):
            raise CeremonyError(f"trustee state: inconsistent state for stage {self.stage.value}")

    def erase(self) -> None:
        """Forget the polynomial and the transport key (Python keeps no other references)."""
        self._coefficients = []
        self._transport = None


__all__ = ["TRANSITIONS", "Outcome", "ReceiveOutcome", "Stage", "TrusteeDevice"]
