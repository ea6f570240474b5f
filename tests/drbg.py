"""A seeded deterministic random source, for known-answer vectors only (never in production).

Output block i is SHA-512(seed ‖ i as 8 bytes big-endian); bytes are taken in order.
"""

from __future__ import annotations

import hashlib


class Drbg:
    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self.counter = 0
        self.buffer = b""

    def bytes(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += hashlib.sha512(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out
