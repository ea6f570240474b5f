"""A real pcscd with vsmartcard-vpcd for card tests: started if none is running."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator

READER = "Virtual PCD 00 00"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a readiness condition until it holds (never a fixed sleep standing in for it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def virtual_readers() -> list[str]:
    try:
        from hardware.idcard.reader import list_readers

        return [r for r in list_readers() if r.startswith("Virtual PCD")]
    except Exception:
        return []


def running_pcscd() -> Iterator[None]:
    started = None
    if not virtual_readers():
        pcscd = shutil.which("pcscd") or "/usr/sbin/pcscd"
        started = subprocess.Popen(
            [pcscd, "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: len(virtual_readers()) >= 1, 20, "pcscd to list the virtual readers")
    try:
        yield
    finally:
        if started is not None:
            started.terminate()
            started.wait(timeout=10)
