"""A trustee's share s_t at rest, sealed under the trustee's passphrase (PROTOCOL §6).

File (canonical JSON, on the trustee's own medium, never published):

    {"type": "refvote/sealed-share", "version": 2, "manifest_hash": hex, "ceremony_nonce": hex,
     "trustee": t, "public_share": hex K_t,
     "kdf": {"algorithm": "argon2id", "version": 19, "passes": 3, "memory_kib": 65536,
             "lanes": 4, "salt": hex16},
     "nonce": hex12, "ciphertext": hex(s_t sealed ‖ tag)}

Associated data: the H pre-image of ("share-at-rest", manifest_hash, ceremony_nonce, t). On
opening, s_t·G must equal the public share K_t, so a share from another ceremony or trustee
is refused even if the passphrase matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.ceremony.messages import CeremonyParameters
from crypto.encoding import PROTOCOL_VERSION, canonical_json, to_hex
from crypto.errors import DecryptionFailed, EncodingError, InvalidScalar
from crypto.fields import Fields, open_document
from crypto.hashing import preimage
from crypto.hazmat.group import Point, Scalar
from crypto.randomness import SYSTEM, RandomSource
from crypto.sealing import (
    PROTOCOL_ARGON2,
    PassphraseSealed,
    open_with_passphrase,
    seal_with_passphrase,
    wipe,
)


@dataclass(frozen=True, slots=True)
class SealedKeyShare:
    manifest_hash: bytes
    ceremony_nonce: bytes
    trustee: int
    public_share: Point
    sealed: PassphraseSealed

    def associated_data(self) -> bytes:
        return preimage("share-at-rest", self.manifest_hash, self.ceremony_nonce, self.trustee)

    def to_json(self) -> bytes:
        obj: dict[str, Any] = {
            "type": "refvote/sealed-share",
            "version": PROTOCOL_VERSION,
            "manifest_hash": to_hex(self.manifest_hash),
            "ceremony_nonce": to_hex(self.ceremony_nonce),
            "trustee": self.trustee,
            "public_share": to_hex(self.public_share.to_bytes()),
            **sealed_members(self.sealed),
        }
        return canonical_json(obj)

    @classmethod
    def from_json(cls, data: bytes) -> SealedKeyShare:
        f = open_document(data, "refvote/sealed-share", "sealed share")
        share = cls(
            f.hex("manifest_hash", 32),
            f.hex("ceremony_nonce", 32),
            f.integer("trustee", 1, 255),
            f.point("public_share"),
            read_sealed_members(f, plaintext_bytes=32),
        )
        f.finish()
        return share


def sealed_members(sealed: PassphraseSealed) -> dict[str, Any]:
    """The `kdf`, `nonce` and `ciphertext` members of any passphrase-sealed file."""
    params = sealed.params
    return {
        "kdf": {
            "algorithm": "argon2id",
            "version": params.version,
            "passes": params.passes,
            "memory_kib": params.memory_kib,
            "lanes": params.lanes,
            "salt": to_hex(sealed.salt),
        },
        "nonce": to_hex(sealed.nonce),
        "ciphertext": to_hex(sealed.ciphertext),
    }


def read_sealed_members(f: Fields, plaintext_bytes: int | None = None) -> PassphraseSealed:
    """Read `kdf`, `nonce`, `ciphertext`; refuse KDF parameters other than the protocol's."""
    kdf = f.obj("kdf")
    kdf.constant("algorithm", "argon2id")
    kdf.constant("version", PROTOCOL_ARGON2.version)
    kdf.constant("passes", PROTOCOL_ARGON2.passes)
    kdf.constant("memory_kib", PROTOCOL_ARGON2.memory_kib)
    kdf.constant("lanes", PROTOCOL_ARGON2.lanes)
    salt = kdf.hex("salt", PROTOCOL_ARGON2.salt_bytes)
    kdf.finish()
    length = None if plaintext_bytes is None else plaintext_bytes + 16
    return PassphraseSealed(PROTOCOL_ARGON2, salt, f.hex("nonce", 12), f.hex("ciphertext", length))


def seal_key_share(
    params: CeremonyParameters,
    t: int,
    share: Scalar,
    public_share: Point,
    passphrase: str,
    rng: RandomSource = SYSTEM,
) -> SealedKeyShare:
    ad = preimage("share-at-rest", *params.context(), t)
    sealed = seal_with_passphrase(passphrase, share.to_bytes(), ad, rng)
    return SealedKeyShare(params.manifest_hash, params.ceremony_nonce, t, public_share, sealed)


class KeyShare:
    """An unsealed share s_t. Use as a context manager so it is wiped after use."""

    __slots__ = ("_secret", "public_share", "trustee")

    def __init__(self, trustee: int, secret: bytearray, public_share: Point) -> None:
        self.trustee = trustee
        self._secret = secret
        self.public_share = public_share

    def scalar(self) -> Scalar:
        if not any(self._secret):
            raise DecryptionFailed(f"key share of trustee {self.trustee} was wiped")
        return Scalar.from_bytes(bytes(self._secret))

    def wipe(self) -> None:
        wipe(self._secret)

    def __enter__(self) -> KeyShare:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return f"KeyShare(trustee={self.trustee})"


def unseal_key_share(
    sealed: SealedKeyShare, passphrase: str, expected_public_share: Point | None = None
) -> KeyShare:
    """Open a sealed share; a wrong passphrase or an altered file raises DecryptionFailed.

    The share must match its public share (and `expected_public_share`, taken from the
    verified ceremony, when given).
    """
    secret = open_with_passphrase(passphrase, sealed.sealed, sealed.associated_data())
    try:
        scalar = Scalar.from_bytes(bytes(secret), what="sealed share")
    except InvalidScalar:
        wipe(secret)
        raise DecryptionFailed("sealed share does not hold a valid scalar") from None
    public = expected_public_share or sealed.public_share
    if Point.base_mul(scalar) != sealed.public_share or public != sealed.public_share:
        wipe(secret)
        raise DecryptionFailed(
            f"sealed share of trustee {sealed.trustee} does not match the ceremony's public share"
        )
    return KeyShare(sealed.trustee, secret, sealed.public_share)


__all__ = [
    "EncodingError",
    "KeyShare",
    "SealedKeyShare",
    "read_sealed_members",
    "seal_key_share",
    "sealed_members",
    "unseal_key_share",
]
