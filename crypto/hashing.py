"""The hash of PROTOCOL §1: H(tag, x1, …, xn) = SHA-512(enc(tag) ‖ enc(x1) ‖ … ‖ enc(xn)).

enc(x) is a 4-byte big-endian length followed by the item's bytes. Items are typed:

- Point, Scalar: their 32 canonical bytes
- int: unsigned 8-byte big-endian, 0 ≤ x < 2^64 (bool is refused: it is not a number here)
- str: UTF-8 of NFC text using only code points assigned in Unicode 14.0
- bytes: as they are

Tags are ASCII; `H("x", …)` hashes the tag `refvote/v2/x` (the protocol version).
"""

from __future__ import annotations

import base64
import hashlib

from crypto.encoding import PROTOCOL_VERSION, check_text
from crypto.errors import EncodingError
from crypto.hazmat.group import Point, Scalar

TAG_PREFIX = f"refvote/v{PROTOCOL_VERSION}/"
HashItem = Point | Scalar | int | str | bytes
FINGERPRINT_BYTES = 32


def _enc(item: bytes) -> bytes:
    if len(item) >= 2**32:
        raise EncodingError("hash item longer than 2^32 − 1 bytes")
    return len(item).to_bytes(4, "big") + item


def item_bytes(item: HashItem) -> bytes:
    """The bytes an item contributes to a hash, before its length prefix."""
    if isinstance(item, (Point, Scalar)):
        return item.to_bytes()
    if isinstance(item, bool):
        raise EncodingError("a bool is not a hash item")
    if isinstance(item, int):
        if not 0 <= item < 2**64:
            raise EncodingError(f"integer hash item {item} is outside 0 ≤ x < 2^64")
        return item.to_bytes(8, "big")
    if isinstance(item, str):
        return check_text(item, what="text hash item").encode("utf-8")
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    raise EncodingError(f"cannot hash a {type(item).__name__}")


def preimage(purpose: str, *items: HashItem) -> bytes:
    """The exact bytes that H(purpose, items…) hashes (also used as AES-GCM associated data)."""
    tag = TAG_PREFIX + purpose
    if not tag.isascii():
        raise EncodingError("hash tags are ASCII")
    parts = [_enc(tag.encode("ascii"))]
    parts.extend(_enc(item_bytes(item)) for item in items)
    return b"".join(parts)


def H(purpose: str, *items: HashItem) -> bytes:
    """The 64-byte digest H(purpose, items…)."""
    return hashlib.sha512(preimage(purpose, *items)).digest()


def challenge(purpose: str, *items: HashItem) -> Scalar:
    """A proof challenge: the digest read as a little-endian integer, mod ℓ."""
    return Scalar.reduce64(H(purpose, *items))


def fingerprint(purpose: str, *items: HashItem) -> bytes:
    """A fingerprint: the first 32 bytes of the digest."""
    return H(purpose, *items)[:FINGERPRINT_BYTES]


def file_fingerprint(data: bytes) -> bytes:
    """H("file", bytes): the fingerprint of a file's exact bytes."""
    return fingerprint("file", data)


def group_for_reading(data: bytes) -> str:
    """RFC 4648 base32, upper case, of the first 10 bytes, as four groups of 4 characters."""
    text = base64.b32encode(data[:10]).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def read_aloud(purpose: str, value: HashItem) -> str:
    """What people compare by voice: base32 of the first 10 bytes of H(purpose, value)."""
    return group_for_reading(H(purpose, value))
