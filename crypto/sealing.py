"""Sealed data: key shares in transit between trustees, and key shares at rest (PROTOCOL §6).

In transit: ephemeral X25519 to the recipient's single-use transport key R_t;
key = HKDF-SHA-256(X25519(e, R_t), salt none, info "refvote/v2/share-seal" ‖ E ‖ R_t, 32);
AES-256-GCM with a 12-byte random nonce and the caller's associated data.

At rest: Argon2id v0x13 (from `cryptography`: PyNaCl fixes lanes at 1) with passes 3,
memory 64 MiB, lanes 4, a 16-byte salt, a 32-byte key; AES-256-GCM, 12-byte random nonce,
the caller's associated data. The parameters are stored beside the ciphertext and checked
on reading against the protocol's, so a file cannot weaken its own key derivation.

Every derived key is held in a bytearray and zeroised after use.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.encoding import PROTOCOL_VERSION
from crypto.errors import DecryptionFailed, InvalidKey
from crypto.randomness import SYSTEM, RandomSource

X25519_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16
SHARE_SEAL_INFO = f"refvote/v{PROTOCOL_VERSION}/share-seal".encode()
_P25519 = 2**255 - 19


def wipe(buffer: bytearray) -> None:
    """Overwrite a secret buffer in place (what Python allows: copies made by libraries stay)."""
    for i in range(len(buffer)):
        buffer[i] = 0


# Transport keys ---------------------------------------------------------------------------


def check_transport_key(raw: bytes, *, what: str = "transport key") -> X25519PublicKey:
    """Accept a canonical X25519 public key that is not of small order.

    Small order is detected exactly as the protocol defines it: a key whose X25519 product
    with a (clamped, hence multiple-of-8) random scalar is all zeros.
    """
    if not isinstance(raw, bytes) or len(raw) != X25519_BYTES:
        raise InvalidKey(f"{what}: must be {X25519_BYTES} bytes")
    if int.from_bytes(raw, "little") >= _P25519:
        raise InvalidKey(f"{what}: not a canonical X25519 u-coordinate")
    key = X25519PublicKey.from_public_bytes(raw)
    try:
        X25519PrivateKey.generate().exchange(key)
    except ValueError:
        raise InvalidKey(f"{what}: small-order X25519 key") from None
    return key


class TransportKey:
    """A trustee's single-use X25519 key pair for receiving shares in round 2."""

    __slots__ = ("_private",)

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def generate(cls, rng: RandomSource = SYSTEM) -> TransportKey:
        while True:
            key = cls(X25519PrivateKey.from_private_bytes(rng.bytes(X25519_BYTES)))
            try:
                check_transport_key(key.public_bytes())
                return key
            except InvalidKey:  # pragma: no cover - probability 2^-250
                continue

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> TransportKey:
        if len(raw) != X25519_BYTES:
            raise InvalidKey("an X25519 private key is 32 bytes")
        return cls(X25519PrivateKey.from_private_bytes(bytes(raw)))

    def private_bytes(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def public_bytes(self) -> bytes:
        return self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )


@dataclass(frozen=True, slots=True)
class SealedShare:
    """(E, nonce, ciphertext‖tag) of one share in transit."""

    ephemeral: bytes
    nonce: bytes
    ciphertext: bytes


def _transport_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytearray:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=SHARE_SEAL_INFO + ephemeral + recipient,
    )
    return bytearray(hkdf.derive(shared))


def seal_to(
    recipient: bytes, plaintext: bytes, associated_data: bytes, rng: RandomSource = SYSTEM
) -> SealedShare:
    """Encrypt `plaintext` to the transport public key `recipient`."""
    recipient_key = check_transport_key(recipient, what="recipient transport key")
    ephemeral = TransportKey.generate(rng)
    e_pub = ephemeral.public_bytes()
    key = _transport_key(ephemeral._private.exchange(recipient_key), e_pub, recipient)
    try:
        nonce = rng.bytes(NONCE_BYTES)
        ciphertext = AESGCM(bytes(key)).encrypt(nonce, plaintext, associated_data)
    finally:
        wipe(key)
    return SealedShare(e_pub, nonce, ciphertext)


def open_sealed(transport: TransportKey, sealed: SealedShare, associated_data: bytes) -> bytearray:
    """Decrypt a share sealed to `transport`; raise DecryptionFailed on any alteration."""
    if len(sealed.nonce) != NONCE_BYTES:
        raise DecryptionFailed("sealed share: nonce must be 12 bytes")
    try:
        e_key = check_transport_key(sealed.ephemeral, what="ephemeral key")
    except InvalidKey as exc:
        raise DecryptionFailed(str(exc)) from None
    key = _transport_key(
        transport._private.exchange(e_key), sealed.ephemeral, transport.public_bytes()
    )
    try:
        return bytearray(
            AESGCM(bytes(key)).decrypt(sealed.nonce, sealed.ciphertext, associated_data)
        )
    except InvalidTag:
        raise DecryptionFailed("sealed share does not open: wrong key or altered data") from None
    finally:
        wipe(key)


# At rest, under a passphrase -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    version: int = 0x13
    passes: int = 3
    memory_kib: int = 65536
    lanes: int = 4
    salt_bytes: int = SALT_BYTES
    key_bytes: int = 32


PROTOCOL_ARGON2 = Argon2Parameters()


@dataclass(frozen=True, slots=True)
class PassphraseSealed:
    params: Argon2Parameters
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def _passphrase_bytes(passphrase: str) -> bytearray:
    if not passphrase:
        raise InvalidKey("the passphrase is empty")
    return bytearray(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def _argon2_key(passphrase: str, salt: bytes, params: Argon2Parameters) -> bytearray:
    if params != PROTOCOL_ARGON2:
        raise DecryptionFailed("sealed file uses Argon2id parameters other than the protocol's")
    secret = _passphrase_bytes(passphrase)
    try:
        kdf = Argon2id(
            salt=salt,
            length=params.key_bytes,
            iterations=params.passes,
            lanes=params.lanes,
            memory_cost=params.memory_kib,
        )
        return bytearray(kdf.derive(bytes(secret)))
    finally:
        wipe(secret)


def seal_with_passphrase(
    passphrase: str, plaintext: bytes, associated_data: bytes, rng: RandomSource = SYSTEM
) -> PassphraseSealed:
    salt = rng.bytes(SALT_BYTES)
    key = _argon2_key(passphrase, salt, PROTOCOL_ARGON2)
    try:
        nonce = rng.bytes(NONCE_BYTES)
        ciphertext = AESGCM(bytes(key)).encrypt(nonce, plaintext, associated_data)
    finally:
        wipe(key)
    return PassphraseSealed(PROTOCOL_ARGON2, salt, nonce, ciphertext)


def open_with_passphrase(
    passphrase: str, sealed: PassphraseSealed, associated_data: bytes
) -> bytearray:
    """Decrypt; a wrong passphrase or any altered byte raises DecryptionFailed."""
    if len(sealed.salt) != SALT_BYTES or len(sealed.nonce) != NONCE_BYTES:
        raise DecryptionFailed("sealed file: salt must be 16 bytes and nonce 12 bytes")
    key = _argon2_key(passphrase, sealed.salt, sealed.params)
    try:
        return bytearray(
            AESGCM(bytes(key)).decrypt(sealed.nonce, sealed.ciphertext, associated_data)
        )
    except InvalidTag:
        raise DecryptionFailed("wrong passphrase, or the sealed file was altered") from None
    finally:
        wipe(key)
