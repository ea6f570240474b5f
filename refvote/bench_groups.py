"""The group comparison of `refvote bench`: the same workloads over ristretto255 and over the
prime-order subgroup of Ed25519, interleaved in one process (issue 16).

Protocol version 2 computes over ristretto255 (`crypto.hazmat.group.Point`); the Ed25519 group
survives as `crypto.hazmat.ed25519.Ed25519Point`, with the same interface and the same
`Scalar`. The workloads below are written once against that interface and do, operation for
operation, what the protocol code does (`crypto.hazmat.proofs`, `crypto.threshold`,
`ballots.ballot`): the only difference between the two runs is the group. They are not the
protocol's code itself, because that code is bound to one group; the real ballot is measured
against ElectionGuard separately (`refvote.cmd_bench`).

- encrypt: one 4-question ballot: per question r, α = r·G, β = m·G + r·K and the 3-branch
  membership proof (the prover's shortcut of PROTOCOL §4), its JSON, and its ballot hash;
- verify: that ballot from its JSON bytes: decode every point and scalar, α ≠ O, every
  membership proof, the ballot hash;
- share: a trustee's decryption share of one sum: decode α, D = s·α and its DLEQ proof;
- share_verify: the check of that share: decode D, verify the DLEQ proof.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any, Protocol

from crypto.encoding import canonical_json, from_hex, parse_canonical_json, to_hex
from crypto.errors import InvalidProof
from crypto.hashing import H, challenge
from crypto.hazmat.ed25519 import Ed25519Point
from crypto.hazmat.group import Point, Scalar
from crypto.randomness import SYSTEM, random_scalar

B = 65536
VALUES = (0, 1, B)
QUESTIONS = ("17", "18", "19", "20")


class GroupPoint(Protocol):
    def __mul__(self, scalar: Scalar) -> GroupPoint: ...
    def __add__(self, other: Any) -> GroupPoint: ...
    def __sub__(self, other: Any) -> GroupPoint: ...
    def is_identity(self) -> bool: ...
    def to_bytes(self) -> bytes: ...


class Workloads:
    """The four workloads over one group (`cls` is Point or Ed25519Point)."""

    def __init__(self, cls: Any) -> None:
        self.cls = cls
        self.key = cls.base_mul(random_scalar())
        self.base = SYSTEM.bytes(32)
        self.value_points = [cls.base_mul(Scalar.from_int(v)) for v in VALUES]
        self.secret = random_scalar()
        self.public_share = cls.base_mul(self.secret)

    def _member_challenge(
        self, bind: tuple[bytes, str], alpha: Any, beta: Any, commitments: list[Any]
    ) -> Scalar:
        items: list[Any] = [self.base, self.key.to_bytes(), *bind]
        items += [alpha.to_bytes(), beta.to_bytes(), len(VALUES), *VALUES]
        items += [p.to_bytes() for p in commitments]
        return challenge("member", *items)

    def encrypt(self, choices: tuple[int, ...]) -> bytes:
        cls, key = self.cls, self.key
        ballot_id = SYSTEM.bytes(16)
        questions: list[dict[str, Any]] = []
        hash_items: list[Any] = [self.base, "S1", "S1-A", ballot_id]
        for qid, m in zip(QUESTIONS, choices, strict=True):
            r = random_scalar()
            alpha = cls.base_mul(r)
            beta = cls.base_mul(Scalar.from_int(m)) + key * r
            i = VALUES.index(m)
            u = random_scalar()
            commitments: list[Any] = []
            sims: dict[int, tuple[Scalar, Scalar]] = {}
            for j, s_j in enumerate(VALUES):
                if j == i:
                    commitments += [cls.base_mul(u), key * u]
                    continue
                c_j, v_j = random_scalar(), random_scalar()
                w = v_j - c_j * r
                commitments += [
                    cls.base_mul(w),
                    key * w - cls.base_mul(c_j * Scalar.from_int(m - s_j)),
                ]
                sims[j] = (c_j, v_j)
            c_i = self._member_challenge((ballot_id, qid), alpha, beta, commitments)
            for c_j, _ in sims.values():
                c_i = c_i - c_j
            proof: list[Scalar] = []
            for j in range(len(VALUES)):
                proof += [c_i, u + c_i * r] if j == i else list(sims[j])
            questions.append(
                {
                    "question_id": qid,
                    "alpha": to_hex(alpha.to_bytes()),
                    "beta": to_hex(beta.to_bytes()),
                    "proof": [to_hex(s.to_bytes()) for s in proof],
                }
            )
            hash_items += [qid, alpha.to_bytes(), beta.to_bytes(), *(s.to_bytes() for s in proof)]
        ballot_hash = H("ballot", *hash_items)[:32]
        return canonical_json(
            {"ballot_id": to_hex(ballot_id), "ballot_hash": to_hex(ballot_hash), "q": questions}
        )

    def verify(self, data: bytes) -> None:
        cls, key = self.cls, self.key
        obj = parse_canonical_json(data)
        ballot_id = from_hex(obj["ballot_id"], 16)
        hash_items: list[Any] = [self.base, "S1", "S1-A", ballot_id]
        for q in obj["q"]:
            qid = q["question_id"]
            alpha = cls.from_bytes(from_hex(q["alpha"], 32))
            beta = cls.from_bytes(from_hex(q["beta"], 32))
            proof = [Scalar.from_bytes(from_hex(s, 32)) for s in q["proof"]]
            if alpha.is_identity():
                raise InvalidProof("α is the identity")
            commitments: list[Any] = []
            total = Scalar.from_int(0)
            for j, s_point in enumerate(self.value_points):
                c, v = proof[2 * j], proof[2 * j + 1]
                commitments += [cls.base_mul(v) - alpha * c, key * v - (beta - s_point) * c]
                total = total + c
            if self._member_challenge((ballot_id, qid), alpha, beta, commitments) != total:
                raise InvalidProof("membership proof does not verify")
            hash_items += [qid, alpha.to_bytes(), beta.to_bytes(), *(s.to_bytes() for s in proof)]
        if H("ballot", *hash_items)[:32] != from_hex(obj["ballot_hash"], 32):
            raise InvalidProof("ballot hash differs")

    def share(self, alpha_bytes: bytes) -> tuple[bytes, Scalar, Scalar]:
        cls = self.cls
        alpha = cls.from_bytes(alpha_bytes)
        d = alpha * self.secret
        u = random_scalar()
        a, b = cls.base_mul(u), alpha * u
        items = [self.public_share, alpha, d, a, b]
        c = challenge("dleq", self.base, *(p.to_bytes() for p in items))
        return d.to_bytes(), c, u + c * self.secret

    def share_verify(self, alpha_bytes: bytes, share: tuple[bytes, Scalar, Scalar]) -> None:
        cls = self.cls
        alpha = cls.from_bytes(alpha_bytes)
        d = cls.from_bytes(share[0])
        c, v = share[1], share[2]
        a = cls.base_mul(v) - self.public_share * c
        b = alpha * v - d * c
        items = [self.public_share, alpha, d, a, b]
        if challenge("dleq", self.base, *(p.to_bytes() for p in items)) != c:
            raise InvalidProof("DLEQ proof does not verify")


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """CPU milliseconds of `run()` and its result (CPU time: see refvote.cmd_bench)."""
    start = time.process_time_ns()
    result = run()
    return (time.process_time_ns() - start) / 1e6, result


def compare_groups(runs: int, advance: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """Medians over `runs` rounds; in each round every workload runs once per group, the two
    groups alternating (which group goes first alternates too), so load from other processes
    falls on both alike. Keys: group_<workload>_ms_<group> and group_<workload>_ratio
    (Ed25519 time / ristretto255 time) for workload in encrypt, verify, share, share_verify.
    """
    groups = {"ristretto255": Workloads(Point), "ed25519": Workloads(Ed25519Point)}
    names = ("encrypt", "verify", "share", "share_verify")
    times: dict[tuple[str, str], list[float]] = {(w, g): [] for w in names for g in groups}
    alphas = {g: w.cls.base_mul(random_scalar()).to_bytes() for g, w in groups.items()}
    for n in range(runs):
        choices = tuple(VALUES[(n + q) % 3] for q in range(len(QUESTIONS)))
        order = list(groups) if n % 2 == 0 else list(reversed(groups))
        for g in order:
            w = groups[g]
            t, data = _timed(lambda w=w, choices=choices: w.encrypt(choices))  # type: ignore[misc]
            times[("encrypt", g)].append(t)
            t, _ = _timed(lambda w=w, data=data: w.verify(data))  # type: ignore[misc]
            times[("verify", g)].append(t)
            t, share = _timed(lambda w=w, g=g: w.share(alphas[g]))  # type: ignore[misc]
            times[("share", g)].append(t)
            t, _ = _timed(lambda w=w, g=g, s=share: w.share_verify(alphas[g], s))  # type: ignore[misc]
            times[("share_verify", g)].append(t)
        advance()
    out: dict[str, Any] = {"group_runs": runs}
    for name in names:
        med = {g: statistics.median(times[(name, g)]) for g in groups}
        for g in groups:
            out[f"group_{name}_ms_{g}"] = round(med[g], 3)
        out[f"group_{name}_ratio"] = round(med["ed25519"] / med["ristretto255"], 2)
    return out


if __name__ == "__main__":  # a quick look: python -m refvote.bench_groups
    import json

    print(json.dumps(compare_groups(61), indent=2, sort_keys=True))
