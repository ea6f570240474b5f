"""Known answers for ballots and the tracking chain (tests/vectors/ballots.json), recomputed
from scratch: SHA-512 with 4-byte big-endian length prefixes, the pure-Python reference curve
and the standard library's base32, never the code under test (PROTOCOL §4, §5)."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

from ballots.ballot import EncryptedBallot, QuestionReveal, check_ballot, check_reveal
from ballots.chain import ChainEntry, EntryKind, chain_close, chain_open, replay, short_code
from ballots.context import ElectionContext
from ballots.definition import load_source
from crypto.elgamal import PublicKey
from crypto.hazmat.group import Point
from tests.record_helpers import DEFINITION
from tests.reference import ristretto255_ref as ref

V = json.loads((Path(__file__).parent / "vectors" / "ballots.json").read_bytes())
BASE = bytes.fromhex(V["base"])


def fp(purpose: str, *parts: bytes) -> bytes:
    """An independent fingerprint: the first 32 bytes of H (hashlib and struct only)."""
    h = hashlib.sha512()
    for part in [f"refvote/v2/{purpose}".encode(), *parts]:
        h.update(struct.pack(">I", len(part)) + part)
    return h.digest()[:32]


def challenge(purpose: str, *parts: bytes) -> int:
    h = hashlib.sha512()
    for part in [f"refvote/v2/{purpose}".encode(), *parts]:
        h.update(struct.pack(">I", len(part)) + part)
    return int.from_bytes(h.digest(), "little") % ref.L


def integer(n: int) -> bytes:
    return n.to_bytes(8, "big")


def text(s: str) -> bytes:
    return s.encode("utf-8")


def point(hex_: str) -> ref.Point:
    p = ref.decompress(bytes.fromhex(hex_))
    assert p is not None
    return p


def test_ballot_hash_from_scratch() -> None:
    for case in V["ballots"]:
        b = case["ballot"]
        parts = [BASE, text(b["station_id"]), text(b["booth_id"]), bytes.fromhex(b["ballot_id"])]
        for q in b["questions"]:
            parts += [text(q["question_id"]), bytes.fromhex(q["alpha"]), bytes.fromhex(q["beta"])]
            parts += [bytes.fromhex(s) for s in q["proof"]]
        assert fp("ballot", *parts).hex() == case["ballot_hash"]
        assert EncryptedBallot.from_obj(b).hash(BASE).hex() == case["ballot_hash"]


def test_membership_proofs_bind_station_booth_ballot_and_question() -> None:
    """c = H("member", base, K, station_id, booth_id, ballot_id, question_id, α, β, |S|, S…,
    a_0, b_0, …) equals Σ c_j, with every a_j, b_j recomputed on the reference curve."""
    key = point(V["public_key"])
    values = V["values"]
    checked = 0
    for case in V["ballots"]:
        b = case["ballot"]
        reveals = {r["question_id"]: r for r in case["reveal"]}
        for q in b["questions"]:
            alpha, beta = point(q["alpha"]), point(q["beta"])
            r = int.from_bytes(bytes.fromhex(reveals[q["question_id"]]["r"]), "little")
            m = reveals[q["question_id"]]["m"]
            assert ref.equal(alpha, ref.mul(r, ref.G))
            assert ref.equal(beta, ref.add(ref.mul(m, ref.G), ref.mul(r, key)))
            scalars = [int.from_bytes(bytes.fromhex(x), "little") for x in q["proof"]]
            commitments: list[bytes] = []
            for j, s_j in enumerate(values):
                c_j, v_j = scalars[2 * j], scalars[2 * j + 1]
                a = ref.add(ref.mul(v_j, ref.G), ref.neg(ref.mul(c_j, alpha)))
                shifted = ref.add(beta, ref.neg(ref.mul(s_j, ref.G)))
                b_j = ref.add(ref.mul(v_j, key), ref.neg(ref.mul(c_j, shifted)))
                commitments += [ref.compress(a), ref.compress(b_j)]
            c = challenge(
                "member",
                BASE,
                bytes.fromhex(V["public_key"]),
                text(b["station_id"]),
                text(b["booth_id"]),
                bytes.fromhex(b["ballot_id"]),
                text(q["question_id"]),
                bytes.fromhex(q["alpha"]),
                bytes.fromhex(q["beta"]),
                integer(len(values)),
                *(integer(x) for x in values),
                *commitments,
            )
            assert sum(scalars[0::2]) % ref.L == c
            checked += 1
    assert checked == 6


def test_the_code_under_test_accepts_the_vectors() -> None:
    definition = load_source(DEFINITION)
    ctx = ElectionContext(
        definition,
        definition.manifest_hash(),
        PublicKey(Point.from_bytes(bytes.fromhex(V["public_key"]))),
        BASE,
    )
    for case in V["ballots"]:
        ballot = EncryptedBallot.from_obj(case["ballot"])
        check_ballot(ctx, ballot)
        reveal = tuple(QuestionReveal.from_obj(r, "reveal") for r in case["reveal"])
        check_reveal(ctx, ballot, reveal)


def _short(code: bytes) -> str:
    s = base64.b32encode(code[:10]).decode()
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def test_chain_codes_links_and_close_from_scratch() -> None:
    chain: dict[str, Any] = V["chain"]
    booth, nonce = text(chain["booth_id"]), bytes.fromhex(chain["opening_nonce"])
    link = fp("chain-open", BASE, booth, nonce)
    assert link.hex() == chain["link_0"]
    hashes = [c["ballot_hash"] for c in V["ballots"]]
    counts = {"cast": 0, "challenged": 0, "void": 0}
    for entry, ballot_hash in zip(chain["entries"], hashes, strict=True):
        assert entry["ballot_hash"] == ballot_hash
        code = fp("chain", link, bytes.fromhex(ballot_hash))
        assert code.hex() == entry["code"] and _short(code) == entry["short_code"]
        link = fp("chain-fate", code, text(entry["kind"]))
        assert link.hex() == entry["link"]
        counts[entry["kind"]] += 1
    assert [e["kind"] for e in chain["entries"]] == ["cast", "challenged", "void", "cast"]
    assert counts == {"cast": 2, "challenged": 1, "void": 1}
    assert chain["counts"] == {"cast": 2, "challenged": 1, "voided": 1}
    close = fp("chain-close", link, integer(2), integer(1), integer(1))
    assert close.hex() == chain["close"]
    empty = V["empty_chain"]
    link_0 = fp("chain-open", BASE, text(empty["booth_id"]), bytes.fromhex(empty["opening_nonce"]))
    assert link_0.hex() == empty["link_0"]
    assert fp("chain-close", link_0, integer(0), integer(0), integer(0)).hex() == empty["close"]


def test_the_code_under_test_gives_the_same_chain() -> None:
    chain = V["chain"]
    entries = [
        ChainEntry(EntryKind(e["kind"]), bytes.fromhex(e["ballot_hash"])) for e in chain["entries"]
    ]
    replayed = replay(BASE, chain["booth_id"], bytes.fromhex(chain["opening_nonce"]), entries)
    assert [c.hex() for c in replayed.codes] == [e["code"] for e in chain["entries"]]
    assert [x.hex() for x in replayed.links] == [e["link"] for e in chain["entries"]]
    assert [short_code(c) for c in replayed.codes] == [e["short_code"] for e in chain["entries"]]
    assert chain_close(replayed.last, 2, 1, 1).hex() == chain["close"]
    empty = V["empty_chain"]
    open_ = chain_open(BASE, empty["booth_id"], bytes.fromhex(empty["opening_nonce"]))
    assert replay(BASE, empty["booth_id"], bytes.fromhex(empty["opening_nonce"]), []).last == open_
    assert chain_close(open_, 0, 0, 0).hex() == empty["close"]
