"""Helpers for tests with real hardware stand-ins."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from hardware.idcard.pcscd import pcscd_with_virtual_readers

READER = "Virtual PCD 00 00"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a readiness condition until it holds (never a fixed sleep standing in for it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def running_pcscd() -> Iterator[None]:
    with pcscd_with_virtual_readers():
        yield
