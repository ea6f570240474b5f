"""H(tag, items…) byte for byte, checked against an independent computation."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import EncodingError
from crypto.hashing import H, challenge, fingerprint, preimage, read_aloud
from crypto.hazmat.group import ELL, G, Scalar


def independent_hash(tag: str, parts: list[bytes]) -> bytes:
    out = hashlib.sha512()
    for item in [("refvote/v2/" + tag).encode("ascii"), *parts]:
        out.update(struct.pack(">I", len(item)) + item)
    return out.digest()


@given(st.lists(st.binary(max_size=40), max_size=6))
def test_bytes_items_match_independent_encoding(parts: list[bytes]) -> None:
    assert H("test", *parts) == independent_hash("test", parts)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_integers_are_8_bytes_big_endian(n: int) -> None:
    assert H("test", n) == independent_hash("test", [n.to_bytes(8, "big")])


def test_typed_items() -> None:
    s = Scalar.from_int(7)
    expected = independent_hash(
        "t", [G.to_bytes(), s.to_bytes(), "第17案".encode(), (17).to_bytes(8, "big")]
    )
    assert H("t", G, s, "第17案", 17) == expected
    # "17" as text and 17 as an integer hash differently: station and question IDs are text.
    assert H("t", "17") != H("t", 17)


def test_items_are_never_concatenated() -> None:
    assert H("t", b"ab", b"c") != H("t", b"a", b"bc")
    assert preimage("t", b"ab") != preimage("t", b"a", b"b")


@pytest.mark.parametrize("bad", [-1, 2**64, True, 1.5, None, "e\u0301"])
def test_bad_items_are_rejected(bad: object) -> None:
    with pytest.raises(EncodingError):
        H("t", bad)  # type: ignore[arg-type]


def test_challenge_and_fingerprint() -> None:
    digest = H("t", b"x")
    assert int(challenge("t", b"x")) == int.from_bytes(digest, "little") % ELL
    assert fingerprint("t", b"x") == digest[:32]


def test_read_aloud_format() -> None:
    text = read_aloud("ceremony-nonce", bytes(32))
    expected = base64.b32encode(H("ceremony-nonce", bytes(32))[:10]).decode()
    assert text.replace(" ", "") == expected
    assert [len(group) for group in text.split(" ")] == [4, 4, 4, 4]
