"""Starting pcscd for the stand-ins (tests and the demo), when none is running.

vsmartcard-vpcd's virtual readers appear in pcscd once it runs; a booth image has a real
reader and its own pcscd service, and never vpcd.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hardware.errors import NoReader


def virtual_readers() -> list[str]:
    from hardware.idcard.reader import list_readers

    try:
        return [r for r in list_readers() if r.startswith("Virtual PCD")]
    except NoReader:
        return []


@contextmanager
def pcscd_with_virtual_readers(timeout: float = 20.0) -> Iterator[None]:
    """Use the running pcscd if it lists the virtual readers; otherwise start one (root)."""
    if virtual_readers():
        yield
        return
    binary = shutil.which("pcscd") or "/usr/sbin/pcscd"
    try:
        process = subprocess.Popen(  # noqa: S603 - the system's pcscd, fixed arguments
            [binary, "--foreground"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise NoReader(f"cannot start pcscd: {exc}") from None
    try:
        deadline = time.monotonic() + timeout
        while not virtual_readers():
            if process.poll() is not None:
                raise NoReader("pcscd exited at once (it needs root and vsmartcard-vpcd)")
            if time.monotonic() > deadline:
                raise NoReader("pcscd did not list the virtual readers")
            time.sleep(0.05)  # waiting for a service to come up: polled, bounded
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)
