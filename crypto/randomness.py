"""Where randomness comes from.

Production code uses `SYSTEM` (the kernel's CSPRNG through os.urandom). Every function that
draws randomness takes a `RandomSource`, so known-answer vectors can be regenerated from a
seeded deterministic source that lives in the tests, never here.
"""

from __future__ import annotations

import os
from typing import Protocol

from crypto.hazmat.group import Scalar


class RandomSource(Protocol):
    def bytes(self, n: int) -> bytes:
        """n uniformly random bytes."""
        ...


class SystemRandom:
    """The operating system's CSPRNG."""

    def bytes(self, n: int) -> bytes:
        return os.urandom(n)


SYSTEM = SystemRandom()


def random_scalar(rng: RandomSource = SYSTEM) -> Scalar:
    """A uniform nonzero scalar: 64 random bytes reduced mod ℓ (bias < 2^-250), redrawn on 0."""
    while True:
        s = Scalar.reduce64(rng.bytes(64))
        if not s.is_zero():
            return s
