"""Ed25519 key files for the authority, the tally station, booths and poll books.

    demo private:  {"type": "refvote/signing-key", "version": 2, "role", "name", "demo": true,
                    "seed": hex32}
    sealed private: {"type": "refvote/sealed-signing-key", "version": 2, "role", "name",
                    "key": hex32 public key, "kdf": {argon2id …, "salt"}, "nonce", "ciphertext"}
    public:        {"type": "refvote/public-key", "version": 2, "role", "name", "demo": bool,
                    "key": hex32}

A seed in the clear is a demo key by definition (`refvote dev keys`, tests, rehearsals): its
file says so (`"demo": true`), and so does the public file written beside it. Production keys
(`refvote keys …`) are sealed under a passphrase exactly as a trustee's share at rest is
(crypto.sealing: Argon2id with the protocol's parameters, AES-256-GCM), with associated data
the H pre-image of ("signing-key-at-rest", role, name, public key); on opening, the seed's
public key must equal `key`. Their public files say `"demo": false`. An OFFICIAL package is
built only from non-demo keys (refvote.cmd_package), so a demo key can never sign one.

Private key files are written with mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crypto.ceremony.sealed_share import read_sealed_members, sealed_members
from crypto.encoding import PROTOCOL_VERSION, canonical_json, parse_canonical_json, to_hex
from crypto.errors import CryptoError, DecryptionFailed, EncodingError
from crypto.fields import Fields
from crypto.files import make_folder, read_file, write_atomic
from crypto.hashing import preimage
from crypto.randomness import SYSTEM, RandomSource
from crypto.sealing import open_with_passphrase, seal_with_passphrase, wipe
from crypto.signing import SigningKey, VerifyKey

ROLES = ("authority", "tally", "booth", "trustee", "pollbook", "audit")
MAX_KEY_FILE = 4096
SEALED = "refvote/sealed-signing-key"


@dataclass(frozen=True)
class KeyFile:
    """A signing key as read from its file: its name, the key, and whether it is a demo key."""

    name: str
    key: SigningKey
    demo: bool


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown key role {role!r}")


def write_signing_key(path: Path, role: str, name: str, key: SigningKey) -> None:
    """A demo key: the seed in the clear, the file marked `"demo": true`."""
    _check_role(role)
    data = canonical_json(
        {
            "type": "refvote/signing-key",
            "version": PROTOCOL_VERSION,
            "role": role,
            "name": name,
            "demo": True,
            "seed": to_hex(key.seed()),
        }
    )
    make_folder(path.parent)
    write_atomic(path, data, mode=0o600)


def _sealed_ad(role: str, name: str, public: bytes) -> bytes:
    return preimage("signing-key-at-rest", role, name, public)


def write_sealed_signing_key(
    path: Path,
    role: str,
    name: str,
    key: SigningKey,
    passphrase: str,
    rng: RandomSource = SYSTEM,
) -> None:
    """A production key, sealed under `passphrase` (Argon2id + AES-256-GCM); read back."""
    _check_role(role)
    public = key.verify_key.raw
    seed = bytearray(key.seed())
    try:
        sealed = seal_with_passphrase(passphrase, bytes(seed), _sealed_ad(role, name, public), rng)
    finally:
        wipe(seed)
    data = canonical_json(
        {
            "type": SEALED,
            "version": PROTOCOL_VERSION,
            "role": role,
            "name": name,
            "key": to_hex(public),
            **sealed_members(sealed),
        }
    )
    make_folder(path.parent)
    write_atomic(path, data, mode=0o600)


def write_public_key(path: Path, role: str, name: str, key: VerifyKey, *, demo: bool) -> None:
    make_folder(path.parent)
    write_atomic(
        path,
        canonical_json(
            {
                "type": "refvote/public-key",
                "version": PROTOCOL_VERSION,
                "role": role,
                "name": name,
                "demo": demo,
                "key": to_hex(key.raw),
            }
        ),
    )


def _load(path: Path) -> Fields:
    if not os.path.lexists(path):
        raise EncodingError(f"{path}: no such key file")
    data = read_file(path, MAX_KEY_FILE)
    return Fields(parse_canonical_json(data, what=str(path)), str(path))


def is_sealed(path: Path) -> bool:
    """True if `path` is a passphrase-sealed signing key file (a passphrase is needed)."""
    return bool(_load(path).raw("type") == SEALED)


def load_signing_key(path: Path, role: str, passphrase: str | None = None) -> KeyFile:
    """A demo key file, or a sealed one opened with `passphrase` (DecryptionFailed if wrong)."""
    f = _load(path)
    if f.raw("type") == SEALED:
        f.constant("version", PROTOCOL_VERSION)
        f.constant("role", role)
        name = f.text("name", max_length=64)
        public = f.hex("key", 32)
        sealed = read_sealed_members(f, plaintext_bytes=32)
        f.finish()
        if passphrase is None:
            raise DecryptionFailed(f"{path}: a sealed key file: its passphrase is needed")
        seed = open_with_passphrase(passphrase, sealed, _sealed_ad(role, name, public))
        try:
            key = SigningKey.from_seed(bytes(seed))
        finally:
            wipe(seed)
        if key.verify_key.raw != public:
            raise DecryptionFailed(f"{path}: the sealed seed is not that of the key it names")
        return KeyFile(name, key, demo=False)
    f.constant("type", "refvote/signing-key")
    f.constant("version", PROTOCOL_VERSION)
    f.constant("role", role)
    name = f.text("name", max_length=64)
    f.constant("demo", True)
    key = SigningKey.from_seed(f.hex("seed", 32))
    f.finish()
    return KeyFile(name, key, demo=True)


def read_signing_key(path: Path, role: str) -> tuple[str, SigningKey]:
    """A demo (clear) key file: (name, key). Sealed files: `load_signing_key`."""
    loaded = load_signing_key(path, role)
    return loaded.name, loaded.key


@dataclass(frozen=True)
class PublicKeyFile:
    name: str
    key: VerifyKey
    demo: bool


def load_public_key(path: Path, role: str) -> PublicKeyFile:
    """A public key file, or the public half of a private key file (demo or sealed)."""
    f = _load(path)
    kind = f.raw("type")
    if kind == "refvote/signing-key":
        loaded = load_signing_key(path, role)
        return PublicKeyFile(loaded.name, loaded.key.verify_key, True)
    if kind == SEALED:
        f.constant("version", PROTOCOL_VERSION)
        f.constant("role", role)
        name = f.text("name", max_length=64)
        raw = f.hex("key", 32)
        read_sealed_members(f, plaintext_bytes=32)
        f.finish()
        return PublicKeyFile(name, _verify_key(path, raw), False)
    f.constant("type", "refvote/public-key")
    f.constant("version", PROTOCOL_VERSION)
    f.constant("role", role)
    name = f.text("name", max_length=64)
    demo = f.raw("demo")
    if not isinstance(demo, bool):
        raise f.error("demo", "must be true or false")
    raw = f.hex("key", 32)
    f.finish()
    return PublicKeyFile(name, _verify_key(path, raw), demo)


def _verify_key(path: Path, raw: bytes) -> VerifyKey:
    try:
        return VerifyKey(raw)
    except CryptoError as exc:
        raise EncodingError(f"{path}: {exc}") from None


def read_public_key(path: Path, role: str) -> tuple[str, VerifyKey]:
    """A public key file, or the public half of a private key file: (name, key)."""
    loaded = load_public_key(path, role)
    return loaded.name, loaded.key
