"""Generate refvote's known-answer vectors (run: python -m tests.vectors.make_vectors).

Every random draw comes from tests.drbg.Drbg seeded with a fixed string, so the output is
reproducible byte for byte; tests/test_vectors.py regenerates it and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from crypto.ceremony.rehearsal import open_ceremony, rehearse
from crypto.ceremony.sealed_share import unseal_key_share
from crypto.elgamal import PublicKey, encrypt_random, sum_ciphertexts
from crypto.encoding import canonical_json, to_hex
from crypto.hashing import H, challenge, fingerprint, preimage, read_aloud
from crypto.hazmat.ed25519 import ED25519_G
from crypto.hazmat.group import ELL, G, Point, Scalar
from crypto.hazmat.proofs import dleq_prove, membership_prove, schnorr_prove
from crypto.sealing import TransportKey, seal_to
from crypto.selftest import RFC9496_INVALID
from crypto.signing import SigningKey
from crypto.threshold import ThresholdDecryption, partial_decrypt
from tests.drbg import Drbg

HERE = Path(__file__).parent
B = 65536


def hx(x: Point | Scalar | bytes) -> str:
    return to_hex(x if isinstance(x, bytes) else x.to_bytes())


def _item(kind: str, value: Any) -> Any:
    return {
        "bytes": lambda: bytes.fromhex(value),
        "int": lambda: int(value),
        "text": lambda: value,
        "point": lambda: Point.from_bytes(bytes.fromhex(value)),
        "scalar": lambda: Scalar.from_bytes(bytes.fromhex(value)),
    }[kind]()


HASH_CASES: list[tuple[str, list[tuple[str, Any]]]] = [
    ("manifest", [("bytes", "")]),
    ("chain", [("bytes", "00" * 32), ("bytes", "ff" * 32)]),
    ("member", [("int", "0"), ("int", "1"), ("int", str(B)), ("int", str(2**64 - 1))]),
    ("ballot", [("text", "station-001"), ("text", "17"), ("text", "第17案 同意 不同意")]),
    ("schnorr", [("point", hx(G)), ("scalar", hx(Scalar.from_int(ELL - 1)))]),
    ("base", [("point", "00" * 32), ("bytes", "0102")]),
]


def hash_vectors() -> dict[str, Any]:
    """Integer items are written as decimal strings: JSON integers stop at 2^53 − 1."""
    cases = []
    for purpose, items in HASH_CASES:
        values = [_item(kind, value) for kind, value in items]
        cases.append(
            {
                "purpose": purpose,
                "items": [{"type": kind, "value": value} for kind, value in items],
                "digest": to_hex(H(purpose, *values)),
                "challenge": hx(challenge(purpose, *values)),
                "fingerprint": to_hex(fingerprint(purpose, *values)),
            }
        )
    aloud = [
        {
            "purpose": "ceremony-nonce",
            "value": "00" * 32,
            "text": read_aloud("ceremony-nonce", bytes(32)),
        },
        {"purpose": "trustee-key", "value": hx(G), "text": read_aloud("trustee-key", G.to_bytes())},
    ]
    return {"source": "refvote tests/vectors/make_vectors.py", "cases": cases, "read_aloud": aloud}


def group_vectors() -> dict[str, Any]:
    rng = Drbg(b"refvote/vectors/group")
    mults = []
    for s in [
        0,
        1,
        2,
        B,
        ELL - 1,
        *(int.from_bytes(rng.bytes(32), "little") % ELL for _ in range(4)),
    ]:
        mults.append(
            {"scalar": hx(Scalar.from_int(s)), "point": hx(Point.base_mul(Scalar.from_int(s)))}
        )
    invalid = [{"encoding": to_hex(e), "reason": "RFC 9496 A.2"} for e in RFC9496_INVALID]
    for s in (0, 1, 2):  # bit 255 set on a valid encoding: never canonical (PROTOCOL §1.1)
        valid = Point.base_mul(Scalar.from_int(s)).to_bytes()
        alias = valid[:31] + bytes([valid[31] | 0x80])
        invalid.append({"encoding": to_hex(alias), "reason": "bit 255 set"})
    invalid.append(
        {
            "encoding": hx(ED25519_G),
            "reason": "the Ed25519 base point's encoding (not ristretto255)",
        }
    )
    bad_scalars = [to_hex(ELL.to_bytes(32, "little")), to_hex((2**256 - 1).to_bytes(32, "little"))]
    return {"base_mul": mults, "invalid_points": invalid, "invalid_scalars": bad_scalars}


def proof_vectors() -> dict[str, Any]:
    rng = Drbg(b"refvote/vectors/proofs")
    base = rng.bytes(32)
    a = Scalar.reduce64(rng.bytes(64))
    A = Point.base_mul(a)
    ctx = (rng.bytes(32), rng.bytes(32), 2, 1)
    schnorr = schnorr_prove(a, A, ctx, rng)
    s = Scalar.reduce64(rng.bytes(64))
    X = Point.base_mul(s)
    alpha = Point.base_mul(Scalar.reduce64(rng.bytes(64)))
    D = alpha * s
    dleq = dleq_prove(s, X, alpha, D, base, rng)
    key = PublicKey(Point.base_mul(Scalar.reduce64(rng.bytes(64))))
    members = []
    for m, values in [(0, (0, 1, B)), (1, (0, 1, B)), (B, (0, 1, B)), (3, (0, 1, 2, 3, 4))]:
        ballot_id = rng.bytes(16)
        ct, r = encrypt_random(key, m, rng)
        proof = membership_prove(key, ct, r, m, values, base, (ballot_id, "17"), rng)
        members.append(
            {
                "m": m,
                "r": hx(r),
                "values": list(values),
                "bind": [to_hex(ballot_id), "17"],
                "alpha": hx(ct.alpha),
                "beta": hx(ct.beta),
                "proof": [hx(x) for x in proof.scalars()],
            }
        )
    return {
        "base": to_hex(base),
        "schnorr": {
            "a": hx(a),
            "A": hx(A),
            "context": [to_hex(ctx[0]), to_hex(ctx[1]), 2, 1],
            "c": hx(schnorr.c),
            "v": hx(schnorr.v),
        },
        "dleq": {
            "s": hx(s),
            "X": hx(X),
            "A": hx(alpha),
            "D": hx(D),
            "c": hx(dleq.c),
            "v": hx(dleq.v),
        },
        "membership": {"public_key": hx(key.point), "cases": members},
    }


def ceremony_vectors() -> dict[str, Any]:
    rng = Drbg(b"refvote/vectors/ceremony-3-of-5")
    identities = [SigningKey.generate(rng) for _ in range(5)]
    passphrases = [f"vector passphrase {i}" for i in range(1, 6)]
    params = open_ceremony(
        fingerprint("manifest", b"vector referendum"),
        3,
        [(f"Trustee {i}", k) for i, k in enumerate(identities, 1)],
        rng,
    )
    result = rehearse(params, identities, passphrases, rng)
    joint = result.joint_key
    folder: dict[str, str] = {}
    tmp = _MemoryFolder()
    result.files.write(tmp)  # type: ignore[arg-type]
    folder = {name: data.decode() for name, data in sorted(tmp.files.items())}
    votes = [1, B, 0, 1, 1, B, 0, 1]
    cts = [encrypt_random(joint.public_key, m, rng)[0] for m in votes]
    total = sum_ciphertexts(cts)
    decryption = ThresholdDecryption(joint, [(total, len(votes))])
    shares = {}
    for t in (1, 3, 4):
        with unseal_key_share(
            result.sealed_shares[t - 1], passphrases[t - 1], joint.public_share(t)
        ) as key_share:
            (partial,) = partial_decrypt(key_share, [total], joint.base, rng)
        decryption.add(t, [partial])
        shares[str(t)] = {
            "D": hx(partial.share),
            "c": hx(partial.proof.c),
            "v": hx(partial.proof.v),
        }
    (out,) = decryption.decrypt()
    # One share in transit (§9.1), with the recipient's transport private key published so the
    # sealing can be recomputed independently.
    transport = TransportKey.generate(rng)
    transit_plain = Scalar.reduce64(rng.bytes(64)).to_bytes()
    transit_ad = (params.manifest_hash, params.ceremony_nonce, 2, 5)
    sealed = seal_to(
        transport.public_bytes(), transit_plain, preimage("share-seal", *transit_ad), rng
    )
    return {
        "seed": "refvote/vectors/ceremony-3-of-5",
        "passphrases": passphrases,
        "ceremony_folder": folder,
        "sealed_shares": [s.to_json().decode() for s in result.sealed_shares],
        "joint_key": hx(joint.public_key.point),
        "public_shares": [hx(p) for p in joint.public_shares],
        "base": to_hex(joint.base),
        "votes": votes,
        "ciphertexts": [[hx(c.alpha), hx(c.beta)] for c in cts],
        "sum": [hx(total.alpha), hx(total.beta)],
        "decryption_shares": shares,
        "result": {"yes": out.yes, "no": out.no, "blank": out.blank},
        "transit": {
            "transport_private_key": to_hex(transport.private_bytes()),
            "transport_key": to_hex(transport.public_bytes()),
            "from": transit_ad[2],
            "to": transit_ad[3],
            "plaintext": to_hex(transit_plain),
            "ephemeral_key": to_hex(sealed.ephemeral),
            "nonce": to_hex(sealed.nonce),
            "ciphertext": to_hex(sealed.ciphertext),
        },
    }


class _MemoryFolder:
    """Just enough of pathlib.Path for CeremonyFiles.write, collecting files in memory."""

    def __init__(self, root: str = "", files: dict[str, bytes] | None = None) -> None:
        self.root = root
        self.files = files if files is not None else {}

    def __truediv__(self, name: str) -> _MemoryFolder:
        return _MemoryFolder(f"{self.root}/{name}".lstrip("/"), self.files)

    @property
    def parent(self) -> _MemoryFolder:
        return self

    def mkdir(self, **kwargs: Any) -> None:
        pass

    def write_bytes(self, data: bytes) -> None:
        self.files[self.root] = data


def ballot_vectors() -> dict[str, Any]:
    """Ballots of booth S1-A of the test definition, their ballot_hash, and their chain
    (cast, challenged, void, cast): tracking codes, fate links, close; and an empty chain."""
    from ballots.ballot import Choice, PlaintextBallot, encrypt_ballot
    from ballots.chain import ChainEntry, EntryKind, chain_close, chain_open, replay, short_code
    from ballots.context import ElectionContext
    from ballots.definition import load_source
    from tests.record_helpers import DEFINITION

    rng = Drbg(b"refvote/vectors/ballots")
    definition = load_source(DEFINITION)
    base = rng.bytes(32)
    secret = Scalar.reduce64(rng.bytes(64))
    ctx = ElectionContext(
        definition, definition.manifest_hash(), PublicKey(Point.base_mul(secret)), base
    )
    plans = [
        (EntryKind.CAST, {"17": Choice.YES, "18": Choice.NO}),
        (EntryKind.CHALLENGED, {"17": Choice.BLANK}),
        (EntryKind.VOID, {"18": Choice.YES}),
        (EntryKind.CAST, {"17": Choice.NO, "18": Choice.BLANK}),
    ]
    ballots, entries = [], []
    for kind, choices in plans:
        plain = PlaintextBallot(choices)
        ballot, nonces = encrypt_ballot(ctx, "S1", "S1-A", plain, rng)
        reveal = nonces.reveal(plain, ctx)
        ballots.append(
            {
                "ballot": ballot.to_obj(),
                "ballot_hash": to_hex(ballot.hash(base)),
                "reveal": [r.to_obj() for r in reveal],
            }
        )
        entries.append(ChainEntry(kind, ballot.hash(base)))
    opening_nonce = rng.bytes(32)
    replayed = replay(base, "S1-A", opening_nonce, entries)
    kinds = (EntryKind.CAST, EntryKind.CHALLENGED, EntryKind.VOID)
    counts = [sum(1 for e in entries if e.kind is k) for k in kinds]
    empty_nonce = rng.bytes(32)
    empty_open = chain_open(base, "S1-B", empty_nonce)
    return {
        "base": to_hex(base),
        "public_key": hx(ctx.public_key.point),
        "values": list(ctx.values),
        "ballots": ballots,
        "chain": {
            "booth_id": "S1-A",
            "opening_nonce": to_hex(opening_nonce),
            "link_0": to_hex(chain_open(base, "S1-A", opening_nonce)),
            "entries": [
                {
                    "kind": e.kind.value,
                    "ballot_hash": to_hex(e.ballot_hash),
                    "code": to_hex(code),
                    "short_code": short_code(code),
                    "link": to_hex(link),
                }
                for e, code, link in zip(entries, replayed.codes, replayed.links, strict=True)
            ],
            "counts": {"cast": counts[0], "challenged": counts[1], "voided": counts[2]},
            "close": to_hex(chain_close(replayed.last, *counts)),
        },
        "empty_chain": {
            "booth_id": "S1-B",
            "opening_nonce": to_hex(empty_nonce),
            "link_0": to_hex(empty_open),
            "close": to_hex(chain_close(empty_open, 0, 0, 0)),
        },
    }


def build_all() -> dict[str, bytes]:
    return {
        "hash.json": canonical_json(hash_vectors()),
        "group.json": canonical_json(group_vectors()),
        "proofs.json": canonical_json(proof_vectors()),
        "ceremony-3-of-5.json": canonical_json(ceremony_vectors()),
        "ballots.json": canonical_json(ballot_vectors()),
    }


def main() -> int:
    for name, data in build_all().items():
        (HERE / name).write_bytes(data + b"\n")
        print(f"wrote tests/vectors/{name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
