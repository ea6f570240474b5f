"""Ed25519 signatures over purpose-tagged fingerprints (PROTOCOL §8), with `cryptography`.

A signature covers the 32-byte fingerprint H("sign/<purpose>", payload…), so a signature made
for one purpose can never be replayed as another. Verification is RFC 8032 §5.1.7
cofactorless, as OpenSSL does it; public keys must be canonical encodings of points of
Ed25519's prime-order subgroup, and not O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.encoding import canonical_json, to_hex
from crypto.errors import EncodingError, InvalidKey, InvalidSignature
from crypto.hashing import HashItem, file_fingerprint, fingerprint, read_aloud
from crypto.hazmat.ed25519 import ED25519_IDENTITY_BYTES, is_valid_ed25519_point
from crypto.randomness import SYSTEM, RandomSource

SIGNATURE_BYTES = 64

PURPOSES = frozenset(
    {
        "package",
        "export",
        "round1-commit",
        "round1",
        "confirm",
        "round2",
        "complaint",
        "accept",
        "medium-pin",
        "share",
        "record",
        "pollbook-count",
        "audit-record",
        "manual-count",
    }
)


def message_fingerprint(body: Mapping[str, Any]) -> bytes:
    """H("file", message bytes) of a signed file being written (PROTOCOL §8): its canonical
    JSON without the `signature` member, i.e. exactly the file with that member cut out."""
    return file_fingerprint(canonical_json(body))


_SIGNATURE_KEY = b'"signature":'


# A JSON string (escapes included) or a bracket: enough structure to know each token's depth.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]', re.DOTALL)


def message_bytes(data: bytes, *, what: str = "signed file") -> bytes:
    """The message bytes of a signed file AS READ (PROTOCOL §8): `data` with its top-level
    `"signature":"…"` member cut out, with the comma before it (or after it, when it is the
    first member). Nothing is parsed or re-serialised: the bytes are cut where they stand.

    A top-level key is a string at depth 1 that follows `{` or `,` (canonical JSON has no
    whitespace), so a nested `signature` member or the text `"signature":` inside a string is
    never taken for it. Raises EncodingError if there is no top-level string `signature`.
    """
    data = bytes(data)
    depth = 0
    for token in _TOKEN.finditer(data):
        first = data[token.start()]
        if first == 0x22:  # a string
            start = token.start()
            if depth == 1 and data[start - 1] in b"{," and data.startswith(_SIGNATURE_KEY, start):
                return _cut_member(data, start, what)
        elif first in b"{[":
            depth += 1
        else:
            depth -= 1
    raise EncodingError(f"{what}: no top-level signature member")


def _cut_member(data: bytes, start: int, what: str) -> bytes:
    value = start + len(_SIGNATURE_KEY)
    if data[value : value + 1] != b'"':
        raise EncodingError(f"{what}: the signature is not a string")
    end = data.find(b'"', value + 1) + 1  # hex holds no quote or backslash
    if end == 0:
        raise EncodingError(f"{what}: the signature string is not closed")
    if data[start - 1 : start] == b",":
        return data[: start - 1] + data[end:]
    if data[end : end + 1] == b",":
        return data[:start] + data[end + 1 :]
    return data[:start] + data[end:]


def check_signed_as_read(data: bytes, body: Mapping[str, Any], what: str) -> bytes:
    """The one check every loader of a signed file makes (PROTOCOL §8), returning
    H("file", message bytes as read).

    The signature is verified over `message_fingerprint(body)` of the typed object the loader
    built; this requires that those are exactly the bytes read with the signature cut out, so
    what is verified is the file as read, and a loader that dropped or normalised anything
    (`true` read as 1, say) refuses the file instead of verifying a different one.
    """
    as_read = file_fingerprint(message_bytes(data, what=what))
    if as_read != message_fingerprint(body):
        raise EncodingError(f"{what}: the signed bytes are not exactly what the file's fields say")
    return as_read


def signed_json(body: Mapping[str, Any], signature: bytes) -> bytes:
    """The signed file: the body with its `signature` member, as canonical JSON."""
    if "signature" in body:
        raise ValueError("the body of a signed file has no signature member")
    return canonical_json({**body, "signature": to_hex(signature)})


def signed_digest(purpose: str, payload: tuple[HashItem, ...]) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown signature purpose {purpose!r}")
    return fingerprint("sign/" + purpose, *payload)


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """An Ed25519 public key, validated as a point of Ed25519's prime-order subgroup (its
    canonical RFC 8032 encoding) that is not the identity (PROTOCOL §8)."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != 32:
            raise InvalidKey("public key: a public key is exactly 32 bytes")
        if not is_valid_ed25519_point(self.raw):
            raise InvalidKey(
                "public key: not a canonical encoding of an element of Ed25519's "
                "prime-order subgroup"
            )
        if self.raw == ED25519_IDENTITY_BYTES:
            raise InvalidKey("public key is the identity")

    def verify(self, signature: bytes, purpose: str, *payload: HashItem) -> None:
        """Raise InvalidSignature unless `signature` signs (purpose, payload) under this key."""
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
            raise InvalidSignature(f"{purpose} signature: must be {SIGNATURE_BYTES} bytes")
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(
                signature, signed_digest(purpose, payload)
            )
        except _CryptographyInvalidSignature:
            raise InvalidSignature(f"{purpose} signature does not verify") from None

    def read_aloud(self) -> str:
        """The key's fingerprint for reading aloud and writing into minutes."""
        return read_aloud("trustee-key", self.raw)


class SigningKey:
    """An Ed25519 private key. The seed is a secret: it is only exported to be sealed."""

    __slots__ = ("_key",)

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def generate(cls, rng: RandomSource = SYSTEM) -> SigningKey:
        return cls.from_seed(rng.bytes(32))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise InvalidKey("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    def seed(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def verify_key(self) -> VerifyKey:
        return VerifyKey(
            self._key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    def sign(self, purpose: str, *payload: HashItem) -> bytes:
        return self._key.sign(signed_digest(purpose, payload))

    def __repr__(self) -> str:
        return f"SigningKey(public={self.verify_key.raw.hex()[:16]}…)"
