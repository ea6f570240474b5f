"""The 3-of-5 ceremony vector, recomputed without the code under test.

Hashes come from hashlib with the length-prefix encoding written out here; points from the
pure-Python curve in tests/reference/; signatures are checked with `cryptography`'s Ed25519
directly over digests computed here; sealed data is opened with `cryptography`'s Argon2id,
X25519, HKDF and AES-GCM directly. Nothing from `crypto/`, `ballots/` or `tally/` is imported.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.reference import ristretto255_ref as ref

VECTOR = Path(__file__).parent / "vectors" / "ceremony-3-of-5.json"
TAG = "refvote/v2/"


# PROTOCOL §1.2, written out: items are bytes already (ints as 8-byte big-endian).
def enc(item: bytes | int) -> bytes:
    raw = item.to_bytes(8, "big") if isinstance(item, int) else item
    return len(raw).to_bytes(4, "big") + raw


def pre(purpose: str, *items: bytes | int) -> bytes:
    return enc((TAG + purpose).encode("ascii")) + b"".join(enc(x) for x in items)


def fp(purpose: str, *items: bytes | int) -> bytes:
    return hashlib.sha512(pre(purpose, *items)).digest()[:32]


def unhex(value: str) -> bytes:
    return bytes.fromhex(value)


def without_signature(raw: bytes) -> bytes:
    """The message bytes of a signed canonical file: the file with its signature cut out."""
    cut, count = re.subn(rb',"signature":"[0-9a-f]{128}"', b"", raw)
    assert count == 1
    return cut


def verify(public: bytes, signature: str, purpose: str, *payload: bytes | int) -> None:
    Ed25519PublicKey.from_public_bytes(public).verify(
        unhex(signature), fp("sign/" + purpose, *payload)
    )


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    return json.loads(VECTOR.read_bytes())


@pytest.fixture(scope="module")
def folder(vector: dict[str, Any]) -> dict[str, Any]:
    return {name: json.loads(text) for name, text in vector["ceremony_folder"].items()}


@pytest.fixture(scope="module")
def raw(vector: dict[str, Any]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in vector["ceremony_folder"].items()}


def _context(folder: dict[str, Any]) -> tuple[bytes, bytes, int, int, list[bytes]]:
    roster = folder["ceremony.json"]
    keys = [unhex(t["identity_key"]) for t in roster["trustees"]]
    return (
        unhex(roster["manifest_hash"]),
        unhex(roster["ceremony_nonce"]),
        roster["n"],
        roster["k"],
        keys,
    )


def _round1_hash(folder: dict[str, Any], i: int) -> bytes:
    mh, nonce, n, k, _ = _context(folder)
    m = folder[f"round1/trustee-{i:02d}.json"]
    items: list[bytes | int] = [mh, nonce, n, k, i]
    items += [unhex(K) for K in m["commitments"]]
    for proof in m["proofs"]:
        items += [unhex(proof["c"]), unhex(proof["v"])]
    items.append(unhex(m["transport_key"]))
    return fp("round1", *items)


def test_the_layout_is_complete(folder: dict[str, Any]) -> None:
    names = set(folder)
    n = 5
    assert {f"accept/trustee-{t:02d}.json" for t in range(1, n + 1)} <= names
    assert len([x for x in names if x.startswith("round2/")]) == n * (n - 1)
    assert not [x for x in names if x.startswith("complaints/")]
    assert len(names) == 1 + 4 * n + n * (n - 1)


def test_round1_hashes_and_transcript(folder: dict[str, Any]) -> None:
    mh, nonce, n, k, _ = _context(folder)
    hashes = []
    for i in range(1, n + 1):
        h = _round1_hash(folder, i)
        assert folder[f"round1/trustee-{i:02d}.json"]["round1_hash"] == h.hex()
        assert folder[f"round1-commit/trustee-{i:02d}.json"]["round1_hash"] == h.hex()
        hashes.append(h)
    transcript = fp("round1-transcript", mh, nonce, n, k, *hashes)
    for t in range(1, n + 1):
        assert folder[f"confirm/trustee-{t:02d}.json"]["transcript"] == transcript.hex()
        assert folder[f"accept/trustee-{t:02d}.json"]["transcript"] == transcript.hex()


def test_joint_key_public_shares_and_base(vector: dict[str, Any], folder: dict[str, Any]) -> None:
    mh, nonce, n, k, _ = _context(folder)
    commitments = [
        [ref.decompress(unhex(K)) for K in folder[f"round1/trustee-{i:02d}.json"]["commitments"]]
        for i in range(1, n + 1)
    ]
    K = ref.IDENTITY
    for row in commitments:
        assert all(c is not None for c in row)
        K = ref.add(K, row[0])  # type: ignore[arg-type]
    assert ref.compress(K).hex() == vector["joint_key"]
    for t in range(1, n + 1):
        share = ref.IDENTITY
        for row in commitments:
            for j, c in enumerate(row):
                share = ref.add(share, ref.mul(pow(t, j, ref.L), c))  # type: ignore[arg-type]
        assert ref.compress(share).hex() == vector["public_shares"][t - 1]
    items: list[bytes | int] = [mh, nonce, n, k, ref.compress(K)]
    items += [ref.compress(c) for row in commitments for c in row]  # type: ignore[arg-type]
    assert fp("base", *items).hex() == vector["base"]


def test_every_signed_payload(folder: dict[str, Any], raw: dict[str, bytes]) -> None:
    mh, nonce, n, _, keys = _context(folder)
    for i in range(1, n + 1):
        key = keys[i - 1]
        commit = folder[f"round1-commit/trustee-{i:02d}.json"]
        verify(
            key, commit["signature"], "round1-commit", mh, nonce, i, unhex(commit["round1_hash"])
        )
        name = f"round1/trustee-{i:02d}.json"
        message_fp = fp("file", without_signature(raw[name]))
        verify(
            key,
            folder[name]["signature"],
            "round1",
            mh,
            nonce,
            i,
            _round1_hash(folder, i),
            message_fp,
        )
        for purpose, sub in (("confirm", "confirm"), ("accept", "accept")):
            m = folder[f"{sub}/trustee-{i:02d}.json"]
            verify(key, m["signature"], purpose, mh, nonce, i, unhex(m["transcript"]))
        for t in range(1, n + 1):
            if t == i:
                continue
            e = folder[f"round2/from-{i:02d}-to-{t:02d}.json"]
            items = (unhex(e["ephemeral_key"]), unhex(e["nonce"]), unhex(e["ciphertext"]))
            verify(key, e["signature"], "round2", mh, nonce, i, t, *items)
    # A signature never verifies for another purpose.
    m = folder["confirm/trustee-01.json"]
    with pytest.raises(InvalidSignature):
        verify(keys[0], m["signature"], "accept", mh, nonce, 1, unhex(m["transcript"]))


def test_sealed_shares_open_with_argon2id_and_aes_gcm(vector: dict[str, Any]) -> None:
    for t, text in enumerate(vector["sealed_shares"], 1):
        f = json.loads(text)
        assert f["kdf"] == {**f["kdf"], "algorithm": "argon2id", "version": 19}
        assert (f["kdf"]["passes"], f["kdf"]["memory_kib"], f["kdf"]["lanes"]) == (3, 65536, 4)
        password = unicodedata.normalize("NFC", vector["passphrases"][t - 1]).encode()
        key = Argon2id(
            salt=unhex(f["kdf"]["salt"]), length=32, iterations=3, lanes=4, memory_cost=65536
        ).derive(password)
        ad = pre(
            "share-at-rest", unhex(f["manifest_hash"]), unhex(f["ceremony_nonce"]), f["trustee"]
        )
        secret = AESGCM(key).decrypt(unhex(f["nonce"]), unhex(f["ciphertext"]), ad)
        s = int.from_bytes(secret, "little")
        assert 0 < s < ref.L
        assert ref.compress(ref.mul(s, ref.G)).hex() == vector["public_shares"][t - 1]
        assert f["public_share"] == vector["public_shares"][t - 1]


def test_a_share_in_transit_opens_with_x25519_hkdf_and_aes_gcm(
    vector: dict[str, Any], folder: dict[str, Any]
) -> None:
    mh, nonce, _, _, _ = _context(folder)
    v = vector["transit"]
    private = X25519PrivateKey.from_private_bytes(unhex(v["transport_private_key"]))
    assert private.public_key().public_bytes_raw().hex() == v["transport_key"]
    E = unhex(v["ephemeral_key"])
    shared = private.exchange(X25519PublicKey.from_public_bytes(E))
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"refvote/v2/share-seal" + E + unhex(v["transport_key"]),
    ).derive(shared)
    ad = pre("share-seal", mh, nonce, v["from"], v["to"])
    plain = AESGCM(key).decrypt(unhex(v["nonce"]), unhex(v["ciphertext"]), ad)
    assert plain.hex() == v["plaintext"]
    with pytest.raises(InvalidTag):
        AESGCM(key).decrypt(unhex(v["nonce"]), unhex(v["ciphertext"]), pre("share-seal", mh))
