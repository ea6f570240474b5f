"""A progress bar with counts and rates for steps that take more than a second.

It draws on stderr only when that is a terminal, so logs and tests see clean output.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._start = time.perf_counter()
        self._last_draw = 0.0

    def __enter__(self) -> Progress:
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self._last_draw > 0.1 or self.done == self.total):
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        rate = self.done / elapsed
        self.stream.write(
            f"\r  {self.label:<10} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:,}/{self.total:,}  {rate:,.0f}/s"
        )
        self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
