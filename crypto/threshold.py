"""Threshold decryption of tallies (PROTOCOL §7).

Trustee t gives D_t = s_t·α with a DLEQ proof that log_G K_t = log_α D_t. Any k valid
shares give M = β − Σ w_t·D_t with Lagrange weights w_t = Π_{j∈Q, j≠t} j/(j − t), and
M = T·G with T = yes + B·no. `PackedTable` finds (yes, no) without a general discrete log:
a table of yes·G + r·B·G for 0 ≤ yes ≤ N_max and 0 ≤ r < 256, built once, then at most
⌊N/256⌋ + 1 giant steps of 256·B·G per sum.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from crypto.ceremony.public import JointKey
from crypto.ceremony.sealed_share import KeyShare
from crypto.elgamal import Ciphertext
from crypto.errors import CryptoError, ThresholdError, TrusteeFault
from crypto.hazmat.group import IDENTITY, G, Point, Scalar
from crypto.hazmat.proofs import ChallengeResponse, dleq_prove, dleq_verify
from crypto.randomness import SYSTEM, RandomSource

PACKING_BASE = 65536
BABY_ROWS = 256


@dataclass(frozen=True, slots=True)
class PartialDecryption:
    """D_t for one ciphertext, with its DLEQ proof."""

    share: Point
    proof: ChallengeResponse


def partial_decrypt(
    key_share: KeyShare,
    ciphertexts: Sequence[Ciphertext],
    base: bytes,
    rng: RandomSource = SYSTEM,
) -> list[PartialDecryption]:
    """Trustee t's shares for each ciphertext; the caller recomputed them from the record."""
    s = key_share.scalar()
    result = []
    for ct in ciphertexts:
        D = ct.alpha * s
        result.append(
            PartialDecryption(D, dleq_prove(s, key_share.public_share, ct.alpha, D, base, rng))
        )
    return result


def check_partial(
    joint: JointKey, trustee: int, ct: Ciphertext, partial: PartialDecryption
) -> None:
    """Raise TrusteeFault naming `trustee` unless its share for `ct` proves correct."""
    if not 1 <= trustee <= joint.n:
        raise ThresholdError(f"there is no trustee {trustee} in this ceremony")
    try:
        dleq_verify(joint.public_share(trustee), ct.alpha, partial.share, partial.proof, joint.base)
    except CryptoError:
        raise TrusteeFault(trustee, "decryption share proof does not verify") from None


def lagrange_weight(t: int, quorum: Iterable[int]) -> Scalar:
    """w_t = Π_{j∈Q, j≠t} j / (j − t) mod ℓ."""
    num = Scalar.from_int(1)
    den = Scalar.from_int(1)
    for j in quorum:
        if j != t:
            num = num * Scalar.from_int(j)
            den = den * Scalar.from_int(j - t)
    return num * den.inverse()


def combine(ct: Ciphertext, shares: Mapping[int, Point], k: int) -> Point:
    """M = β − Σ w_t·D_t over exactly the first k trustees (by number) of `shares`."""
    if len(shares) < k:
        raise ThresholdError(f"{len(shares)} valid decryption shares, need k = {k}")
    quorum = sorted(shares)[:k]
    total = IDENTITY
    for t in quorum:
        total = total + shares[t] * lagrange_weight(t, quorum)
    return ct.beta - total


class PackedTable:
    """Solves M = (yes + B·no)·G for yes + no ≤ N ≤ n_max, by baby steps and giant steps."""

    def __init__(
        self, n_max: int, base_b: int = PACKING_BASE, on_row: Callable[[], None] | None = None
    ) -> None:
        """Build the table; `on_row` is called after each of its 256 rows (for progress bars)."""
        if not 0 <= n_max < base_b:
            raise ThresholdError(f"N_max = {n_max} must be below the packing base {base_b}")
        self.n_max = n_max
        self.base_b = base_b
        b_point = Point.base_mul(Scalar.from_int(base_b))
        self._giant = Point.base_mul(Scalar.from_int(BABY_ROWS * base_b))
        table: dict[bytes, tuple[int, int]] = {}
        row_start = IDENTITY
        for r in range(BABY_ROWS):
            p = row_start
            for yes in range(n_max + 1):
                table[p.to_bytes()] = (yes, r)
                p = p + G
            row_start = row_start + b_point
            if on_row is not None:
                on_row()
        self._table = table

    def solve(self, M: Point, n: int) -> tuple[int, int]:
        """(yes, no) with M = (yes + B·no)·G, yes + no ≤ n; ThresholdError if none."""
        if not 0 <= n <= self.n_max:
            raise ThresholdError(f"sum of {n} ballots exceeds the table's N_max = {self.n_max}")
        p = M
        for q in range(n // BABY_ROWS + 1):
            hit = self._table.get(p.to_bytes())
            if hit is not None:
                yes, r = hit
                no = q * BABY_ROWS + r
                if yes + no <= n:
                    return yes, no
            p = p - self._giant
        raise ThresholdError(f"no (yes, no) with yes + no ≤ {n} decrypts this sum")


def unpack(T: int, base_b: int = PACKING_BASE) -> tuple[int, int]:
    """T = yes + B·no → (yes, no), for T known to be packed from fewer than B ballots."""
    return T % base_b, T // base_b


@dataclass(frozen=True, slots=True)
class DecryptedSum:
    ciphertext: Ciphertext
    ballots: int
    yes: int
    no: int
    quorum: tuple[int, ...]

    @property
    def packed(self) -> int:
        return self.yes + PACKING_BASE * self.no

    @property
    def blank(self) -> int:
        return self.ballots - self.yes - self.no


class ThresholdDecryption:
    """Collects trustees' shares for a list of sums, checks each, and decrypts once k agree.

    A trustee whose share fails its proof is named in `faults` and left out; decryption
    goes on while k valid trustees remain.
    """

    def __init__(self, joint: JointKey, sums: Sequence[tuple[Ciphertext, int]]) -> None:
        self.joint = joint
        self.sums = list(sums)
        self.valid: dict[int, list[PartialDecryption]] = {}
        self.faults: dict[int, str] = {}

    def add(self, trustee: int, partials: Sequence[PartialDecryption]) -> None:
        """Check trustee's shares for every sum; raise TrusteeFault (and record it) if any fails."""
        if trustee in self.valid:
            raise ThresholdError(f"trustee {trustee} already gave decryption shares")
        try:
            if len(partials) != len(self.sums):
                raise TrusteeFault(
                    trustee, f"gave {len(partials)} decryption shares for {len(self.sums)} sums"
                )
            for (ct, _), partial in zip(self.sums, partials, strict=True):
                check_partial(self.joint, trustee, ct, partial)
        except TrusteeFault as fault:
            self.faults[trustee] = fault.reason
            raise
        self.valid[trustee] = list(partials)

    def ready(self) -> bool:
        return len(self.valid) >= self.joint.k

    def decrypt(self, table: PackedTable | None = None) -> list[DecryptedSum]:
        if not self.ready():
            raise ThresholdError(
                f"{len(self.valid)} trustees gave valid shares; k = {self.joint.k} are needed"
            )
        quorum = tuple(sorted(self.valid)[: self.joint.k])
        n_max = max((n for _, n in self.sums), default=0)
        table = table if table is not None and table.n_max >= n_max else PackedTable(n_max)
        results = []
        for index, (ct, n) in enumerate(self.sums):
            shares = {t: self.valid[t][index].share for t in quorum}
            yes, no = table.solve(combine(ct, shares, self.joint.k), n)
            results.append(DecryptedSum(ct, n, yes, no, quorum))
        return results
