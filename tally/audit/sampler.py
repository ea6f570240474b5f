"""The public seed and the SHA-256 consistent sampler (docs/audit.md §3).

Draw i (i = 1, 2, …) picks the paper with 0-based index

    int.from_bytes(SHA-256(ASCII "<seed>,<i>"), "big") mod N

in the manifest's order (booths in definition order, positions 1 … papers in each box). It is
sampling with replacement, in the style of Rivest's "Consistent Sampling" / sampler.py: anyone
recomputes the list with any SHA-256 tool, and a further round simply continues with i + 1. The
modulo bias is below N / 2^256, i.e. nil.
"""

from __future__ import annotations

import hashlib
import re

MIN_SEED_DIGITS = 20
MAX_SEED_DIGITS = 100
_SEED = re.compile(r"[0-9]+")


class SeedError(ValueError):
    """The seed is not 20 … 100 ASCII decimal digits (dice rolled in public)."""


def check_seed(seed: str) -> str:
    """The seed as given, spaces removed; SeedError unless it is 20 … 100 decimal digits."""
    cleaned = seed.replace(" ", "")
    if not _SEED.fullmatch(cleaned) or not cleaned.isascii():
        raise SeedError("the seed must be decimal digits 0-9 only (from dice rolled in public)")
    if not MIN_SEED_DIGITS <= len(cleaned) <= MAX_SEED_DIGITS:
        raise SeedError(
            f"the seed must have {MIN_SEED_DIGITS} to {MAX_SEED_DIGITS} digits, not {len(cleaned)}"
        )
    return cleaned


def ticket(seed: str, i: int) -> bytes:
    """SHA-256 of the ASCII text "<seed>,<i>" (the draw's ticket)."""
    if i < 1:
        raise ValueError("draws are numbered from 1")
    return hashlib.sha256(f"{check_seed(seed)},{i}".encode("ascii")).digest()


def draw(seed: str, i: int, population: int) -> int:
    """The 0-based index of draw i among `population` papers."""
    if population < 1:
        raise ValueError("there are no papers to sample")
    return int.from_bytes(ticket(seed, i), "big") % population


def draws(seed: str, population: int, first: int, count: int) -> list[int]:
    """Draws first … first + count − 1 (0-based indices)."""
    return [draw(seed, i, population) for i in range(first, first + count)]
