"""The key ceremony's files (PROTOCOL §6, docs/protocol.md "Ceremony files").

Every file is canonical JSON with a `type` member. A signed file carries its Ed25519
signature in a `signature` member; the signed payload is the purpose's list of items from
PROTOCOL §8. Where a payload includes H("file", message bytes), the message bytes are the
canonical JSON of the file's object without its `signature` member (which, the file being
canonical, is the file with `,"signature":"…"` cut out).

Parsing checks form only (types, lengths, canonical encodings, point validity). Whether a
message fits the ceremony (signer, hashes, proofs) is checked in crypto.ceremony.public.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.encoding import PROTOCOL_VERSION, canonical_json, parse_canonical_json, to_hex
from crypto.errors import EncodingError, OlderProtocol
from crypto.fields import Fields, decode_point, open_document
from crypto.hashing import fingerprint, preimage, read_aloud
from crypto.hazmat.group import GROUP_NAME, Point
from crypto.hazmat.proofs import ChallengeResponse
from crypto.signing import (
    SIGNATURE_BYTES,
    VerifyKey,
    check_signed_as_read,
    message_fingerprint,
    signed_json,
)

MAX_TRUSTEES = 255
VERSION = PROTOCOL_VERSION


def _frame(type_: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": f"refvote/{type_}", "version": VERSION, **body}


def _open(data: bytes, type_: str, what: str) -> Fields:
    return open_document(data, f"refvote/{type_}", what, VERSION)


# The roster ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrusteeEntry:
    index: int
    name: str
    identity_key: VerifyKey


@dataclass(frozen=True, slots=True)
class CeremonyParameters:
    """ceremony/ceremony.json: what the ceremony is for, and who takes part."""

    manifest_hash: bytes
    ceremony_nonce: bytes
    k: int
    trustees: tuple[TrusteeEntry, ...]

    def __post_init__(self) -> None:
        if len(self.manifest_hash) != 32 or len(self.ceremony_nonce) != 32:
            raise EncodingError("ceremony: manifest_hash and ceremony_nonce are 32 bytes")
        if not 1 <= self.k <= self.n <= MAX_TRUSTEES:
            raise EncodingError(f"ceremony: need 1 ≤ k ≤ n ≤ {MAX_TRUSTEES}")
        if [t.index for t in self.trustees] != list(range(1, self.n + 1)):
            raise EncodingError("ceremony: trustees must be numbered 1..n in order")
        if len({t.identity_key.raw for t in self.trustees}) != self.n:
            raise EncodingError("ceremony: two trustees share an identity key")

    @property
    def n(self) -> int:
        return len(self.trustees)

    def key_of(self, index: int) -> VerifyKey:
        if not 1 <= index <= self.n:
            raise EncodingError(f"ceremony: no trustee {index}")
        return self.trustees[index - 1].identity_key

    def context(self) -> tuple[bytes, bytes]:
        return (self.manifest_hash, self.ceremony_nonce)

    def to_json(self) -> bytes:
        return canonical_json(
            _frame(
                "ceremony",
                {
                    "group": GROUP_NAME,
                    "manifest_hash": to_hex(self.manifest_hash),
                    "ceremony_nonce": to_hex(self.ceremony_nonce),
                    "n": self.n,
                    "k": self.k,
                    "trustees": [
                        {
                            "index": t.index,
                            "name": t.name,
                            "identity_key": to_hex(t.identity_key.raw),
                        }
                        for t in self.trustees
                    ],
                },
            )
        )

    @classmethod
    def from_json(cls, data: bytes) -> CeremonyParameters:
        f = _open(data, "ceremony", "ceremony.json")
        _check_group(f)
        n = f.integer("n", 1, MAX_TRUSTEES)
        k = f.integer("k", 1, n)
        entries = []
        for pos, item in enumerate(f.array("trustees", n), start=1):
            t = Fields(item, f"ceremony.json: trustee {pos}")
            entries.append(
                TrusteeEntry(
                    index=t.integer("index", pos, pos),
                    name=t.text("name", max_length=200),
                    identity_key=VerifyKey(t.hex("identity_key", 32)),
                )
            )
            t.finish()
        params = cls(f.hex("manifest_hash", 32), f.hex("ceremony_nonce", 32), k, tuple(entries))
        f.finish()
        return params


def _check_group(f: Fields) -> None:
    """The roster names the group every point of the election is in (PROTOCOL §6.2). It is
    read before any point, so a record of the Ed25519 draft of version 2 (no `group`) or of
    another group is named as such instead of failing at its first point."""
    try:
        present = f.optional("group")
    except EncodingError:
        present = False
    if not present:
        raise OlderProtocol(
            "ceremony.json: this election was made by an earlier draft of protocol version 2, "
            f"over the Ed25519 group (its roster names no group); this refvote computes over "
            f"{GROUP_NAME} (RFC 9496) only. Verify it with the refvote release that made it."
        )
    group = f.raw("group")
    if group != GROUP_NAME:
        raise OlderProtocol(
            f"ceremony.json: this election is over the group {str(group)[:40]!r}; this refvote "
            f"computes over {GROUP_NAME} (RFC 9496) only"
        )


def transcript_hash(params: CeremonyParameters, round1_hashes: list[bytes]) -> bytes:
    return fingerprint("round1-transcript", *params.context(), params.n, params.k, *round1_hashes)


# Round 1: commit, then reveal ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Round1Commit:
    trustee: int
    round1_hash: bytes
    signature: bytes

    def payload(self, params: CeremonyParameters) -> tuple[Any, ...]:
        return (*params.context(), self.trustee, self.round1_hash)

    def to_json(self, params: CeremonyParameters) -> bytes:
        return canonical_json(
            _frame(
                "round1-commit",
                {
                    "manifest_hash": to_hex(params.manifest_hash),
                    "ceremony_nonce": to_hex(params.ceremony_nonce),
                    "trustee": self.trustee,
                    "round1_hash": to_hex(self.round1_hash),
                    "signature": to_hex(self.signature),
                },
            )
        )

    @classmethod
    def from_json(cls, data: bytes, params: CeremonyParameters) -> Round1Commit:
        f = _open(data, "round1-commit", "round-1 commitment")
        _same_ceremony(f, params)
        msg = cls(
            f.integer("trustee", 1, params.n),
            f.hex("round1_hash", 32),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        return msg


@dataclass(frozen=True, slots=True)
class Round1Message:
    """Trustee i's public round-1 message: K_i,0..K_i,k−1, their Schnorr proofs, and R_i."""

    trustee: int
    commitments: tuple[Point, ...]
    proofs: tuple[ChallengeResponse, ...]
    transport_key: bytes
    signature: bytes

    def round1_hash(self, params: CeremonyParameters) -> bytes:
        items: list[Any] = [*params.context(), params.n, params.k, self.trustee]
        items.extend(self.commitments)
        for proof in self.proofs:
            items.extend(proof.scalars())
        items.append(self.transport_key)
        return fingerprint("round1", *items)

    def body(self, params: CeremonyParameters) -> dict[str, Any]:
        return _frame(
            "round1",
            {
                "manifest_hash": to_hex(params.manifest_hash),
                "ceremony_nonce": to_hex(params.ceremony_nonce),
                "n": params.n,
                "k": params.k,
                "trustee": self.trustee,
                "commitments": [to_hex(K.to_bytes()) for K in self.commitments],
                "proofs": [
                    {"c": to_hex(p.c.to_bytes()), "v": to_hex(p.v.to_bytes())} for p in self.proofs
                ],
                "transport_key": to_hex(self.transport_key),
                "round1_hash": to_hex(self.round1_hash(params)),
            },
        )

    def payload(self, params: CeremonyParameters) -> tuple[Any, ...]:
        return (
            *params.context(),
            self.trustee,
            self.round1_hash(params),
            message_fingerprint(self.body(params)),
        )

    def to_json(self, params: CeremonyParameters) -> bytes:
        return signed_json(self.body(params), self.signature)

    @classmethod
    def from_json(cls, data: bytes, params: CeremonyParameters) -> Round1Message:
        f = _open(data, "round1", "round-1 message")
        _same_ceremony(f, params)
        f.constant("n", params.n)
        f.constant("k", params.k)
        trustee = f.integer("trustee", 1, params.n)
        what = f"round-1 message of trustee {trustee}"
        commitments = tuple(
            decode_point(v, f"{what}: commitment {j}")
            for j, v in enumerate(f.array("commitments", params.k))
        )
        proofs = []
        for j, item in enumerate(f.array("proofs", params.k)):
            p = Fields(item, f"{what}: proof {j}")
            proofs.append(ChallengeResponse(p.scalar("c"), p.scalar("v")))
            p.finish()
        msg = cls(
            trustee,
            commitments,
            tuple(proofs),
            f.hex("transport_key", 32),
            f.hex("signature", SIGNATURE_BYTES),
        )
        if f.hex("round1_hash", 32) != msg.round1_hash(params):
            raise EncodingError(f"{what}: round1_hash does not match the message")
        f.finish()
        check_signed_as_read(data, msg.body(params), what)
        return msg


@dataclass(frozen=True, slots=True)
class Confirmation:
    trustee: int
    transcript: bytes
    signature: bytes

    def payload(self, params: CeremonyParameters) -> tuple[Any, ...]:
        return (*params.context(), self.trustee, self.transcript)

    def to_json(self, params: CeremonyParameters) -> bytes:
        return canonical_json(
            _frame(
                "confirm",
                {
                    "manifest_hash": to_hex(params.manifest_hash),
                    "ceremony_nonce": to_hex(params.ceremony_nonce),
                    "trustee": self.trustee,
                    "transcript": to_hex(self.transcript),
                    "signature": to_hex(self.signature),
                },
            )
        )

    @classmethod
    def from_json(cls, data: bytes, params: CeremonyParameters) -> Confirmation:
        f = _open(data, "confirm", "transcript confirmation")
        _same_ceremony(f, params)
        msg = cls(
            f.integer("trustee", 1, params.n),
            f.hex("transcript", 32),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        return msg


# Round 2: shares sealed to each other trustee -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    sender: int
    recipient: int
    ephemeral_key: bytes
    nonce: bytes
    ciphertext: bytes
    signature: bytes

    def payload(self, params: CeremonyParameters) -> tuple[Any, ...]:
        return (
            *params.context(),
            self.sender,
            self.recipient,
            self.ephemeral_key,
            self.nonce,
            self.ciphertext,
        )

    def associated_data(self, params: CeremonyParameters) -> bytes:
        return preimage("share-seal", *params.context(), self.sender, self.recipient)

    def to_obj(self, params: CeremonyParameters) -> dict[str, Any]:
        return _frame(
            "round2",
            {
                "manifest_hash": to_hex(params.manifest_hash),
                "ceremony_nonce": to_hex(params.ceremony_nonce),
                "from": self.sender,
                "to": self.recipient,
                "ephemeral_key": to_hex(self.ephemeral_key),
                "nonce": to_hex(self.nonce),
                "ciphertext": to_hex(self.ciphertext),
                "signature": to_hex(self.signature),
            },
        )

    def to_json(self, params: CeremonyParameters) -> bytes:
        return canonical_json(self.to_obj(params))

    @classmethod
    def from_obj(cls, obj: object, params: CeremonyParameters) -> Envelope:
        f = Fields(obj, "round-2 envelope")
        f.constant("type", "refvote/round2")
        f.constant("version", VERSION)
        _same_ceremony(f, params)
        sender = f.integer("from", 1, params.n)
        recipient = f.integer("to", 1, params.n)
        if sender == recipient:
            raise EncodingError("round-2 envelope: a trustee does not send to itself")
        msg = cls(
            sender,
            recipient,
            f.hex("ephemeral_key", 32),
            f.hex("nonce", 12),
            f.hex("ciphertext", 32 + 16),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        return msg

    @classmethod
    def from_json(cls, data: bytes, params: CeremonyParameters) -> Envelope:
        return cls.from_obj(parse_canonical_json(data, what="round-2 envelope"), params)


@dataclass(frozen=True, slots=True)
class Complaint:
    """Trustee `trustee` says `accused`'s share to it is wrong or missing.

    It reveals the complainer's transport private key so anyone can open the envelope and
    judge; `envelope` is None when the accused published none.
    """

    trustee: int
    accused: int
    envelope: Envelope | None
    transport_private_key: bytes
    signature: bytes

    def payload(self, params: CeremonyParameters) -> tuple[Any, ...]:
        e = self.envelope
        return (
            *params.context(),
            self.trustee,
            self.accused,
            e.ephemeral_key if e else b"",
            e.nonce if e else b"",
            e.ciphertext if e else b"",
            self.transport_private_key,
        )

    def to_json(self, params: CeremonyParameters) -> bytes:
        return canonical_json(
            _frame(
                "complaint",
                {
                    "manifest_hash": to_hex(params.manifest_hash),
                    "ceremony_nonce": to_hex(params.ceremony_nonce),
                    "trustee": self.trustee,
                    "accused": self.accused,
                    "envelope": self.envelope.to_obj(params) if self.envelope else None,
                    "transport_private_key": to_hex(self.transport_private_key),
                    "signature": to_hex(self.signature),
                },
            )
        )

    @classmethod
    def from_json(cls, data: bytes, params: CeremonyParameters) -> Complaint:
        f = _open(data, "complaint", "complaint")
        _same_ceremony(f, params)
        trustee = f.integer("trustee", 1, params.n)
        accused = f.integer("accused", 1, params.n)
        if trustee == accused:
            raise EncodingError("complaint: a trustee cannot accuse itself")
        envelope = Envelope.from_obj(f.raw("envelope"), params) if f.optional("envelope") else None
        msg = cls(
            trustee,
            accused,
            envelope,
            f.hex("transport_private_key", 32),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        return msg


# Round 3: each trustee's signed word that every share it received checked -----------------


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Trustee `trustee` received a share from every other trustee, and every one checked.

    A complete ceremony needs all n, so a station that drops a complaint (or a trustee that
    never finished) leaves the ceremony visibly incomplete.
    """

    trustee: int
    transcript: bytes
    signature: bytes

    def payload(self, params: CeremonyParameters) -> tuple[Any, ...]:
        return (*params.context(), self.trustee, self.transcript)

    def to_json(self, params: CeremonyParameters) -> bytes:
        return canonical_json(
            _frame(
                "accept",
                {
                    "manifest_hash": to_hex(params.manifest_hash),
                    "ceremony_nonce": to_hex(params.ceremony_nonce),
                    "trustee": self.trustee,
                    "transcript": to_hex(self.transcript),
                    "signature": to_hex(self.signature),
                },
            )
        )

    @classmethod
    def from_json(cls, data: bytes, params: CeremonyParameters) -> Acceptance:
        f = _open(data, "accept", "share acceptance")
        _same_ceremony(f, params)
        msg = cls(
            f.integer("trustee", 1, params.n),
            f.hex("transcript", 32),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        return msg


def _same_ceremony(f: Fields, params: CeremonyParameters) -> None:
    if f.hex("manifest_hash", 32) != params.manifest_hash:
        raise f.error("manifest_hash", "belongs to another referendum definition")
    if f.hex("ceremony_nonce", 32) != params.ceremony_nonce:
        raise f.error("ceremony_nonce", "belongs to another ceremony")


def ceremony_nonce_read_aloud(nonce: bytes) -> str:
    return read_aloud("ceremony-nonce", nonce)


__all__ = [
    "Acceptance",
    "CeremonyParameters",
    "Complaint",
    "Confirmation",
    "Envelope",
    "Round1Commit",
    "Round1Message",
    "TrusteeEntry",
    "ceremony_nonce_read_aloud",
    "transcript_hash",
]
