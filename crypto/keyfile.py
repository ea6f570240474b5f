"""Ed25519 key files for the authority, the tally station and booths.

    private: {"type": "refvote/signing-key", "version": 2, "role", "name", "seed": hex32}
    public:  {"type": "refvote/public-key",  "version": 2, "role", "name", "key":  hex32}

Private key files are written with mode 0600. They hold the seed in the clear: fit for demo
and test keys (`refvote dev keys`); production keys belong on a token or sealed under a
passphrase, which a later issue adds.
"""

from __future__ import annotations

import os
from pathlib import Path

from crypto.encoding import PROTOCOL_VERSION, canonical_json, parse_canonical_json, to_hex
from crypto.errors import CryptoError, EncodingError
from crypto.fields import Fields
from crypto.files import make_folder, read_file, write_atomic
from crypto.signing import SigningKey, VerifyKey

ROLES = ("authority", "tally", "booth", "trustee", "pollbook", "audit")
MAX_KEY_FILE = 4096


def write_signing_key(path: Path, role: str, name: str, key: SigningKey) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown key role {role!r}")
    data = canonical_json(
        {
            "type": "refvote/signing-key",
            "version": PROTOCOL_VERSION,
            "role": role,
            "name": name,
            "seed": to_hex(key.seed()),
        }
    )
    make_folder(path.parent)
    write_atomic(path, data, mode=0o600)


def write_public_key(path: Path, role: str, name: str, key: VerifyKey) -> None:
    make_folder(path.parent)
    write_atomic(
        path,
        canonical_json(
            {
                "type": "refvote/public-key",
                "version": PROTOCOL_VERSION,
                "role": role,
                "name": name,
                "key": to_hex(key.raw),
            }
        ),
    )


def _load(path: Path) -> Fields:
    if not os.path.lexists(path):
        raise EncodingError(f"{path}: no such key file")
    data = read_file(path, MAX_KEY_FILE)
    return Fields(parse_canonical_json(data, what=str(path)), str(path))


def read_signing_key(path: Path, role: str) -> tuple[str, SigningKey]:
    f = _load(path)
    f.constant("type", "refvote/signing-key")
    f.constant("version", PROTOCOL_VERSION)
    f.constant("role", role)
    name = f.text("name", max_length=64)
    key = SigningKey.from_seed(f.hex("seed", 32))
    f.finish()
    return name, key


def read_public_key(path: Path, role: str) -> tuple[str, VerifyKey]:
    """A public key file, or the public half of a private key file."""
    f = _load(path)
    kind = f.raw("type")
    if kind == "refvote/signing-key":
        return read_signing_key(path, role)[0], read_signing_key(path, role)[1].verify_key
    f.constant("type", "refvote/public-key")
    f.constant("version", PROTOCOL_VERSION)
    f.constant("role", role)
    name = f.text("name", max_length=64)
    try:
        key = VerifyKey(f.hex("key", 32))
    except CryptoError as exc:
        raise EncodingError(f"{path}: {exc}") from None
    f.finish()
    return name, key
