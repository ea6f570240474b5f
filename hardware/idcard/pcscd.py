"""Starting pcscd for the stand-ins (tests and the demo), when none is running.

vsmartcard-vpcd's virtual readers appear in pcscd once it runs; a booth image has a real
reader and its own pcscd service, and never vpcd.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hardware.errors import NoReader


def virtual_readers() -> list[str]:
    from hardware.idcard.reader import list_readers

    try:
        return [r for r in list_readers() if r.startswith("Virtual PCD")]
    except NoReader:
        return []


# vpcd's virtual readers listen on fixed TCP ports shared by every process on the machine: two
# test runs (or a demo and a test run) inserting cards at once would read each other's cards.
# Whoever uses them holds this lock for as long as it does; the next one waits its turn.
VPCD_LOCK = Path(os.environ.get("REFVOTE_VPCD_LOCK", "/tmp/refvote-vpcd.lock"))  # noqa: S108


_HELD = "REFVOTE_VPCD_LOCK_HELD"  # set while held: nested uses and child processes pass through
_depth = 0
_depth_lock = threading.Lock()


@contextmanager
def exclusive_virtual_readers() -> Iterator[None]:
    """Hold the machine-wide lock on the virtual readers (blocks until it is free). Re-entrant
    in a process, and a child started while it is held (the demo run by a test) shares it."""
    global _depth
    with _depth_lock:
        if _depth > 0 or os.environ.get(_HELD) == "1":
            _depth += 1
            fd = None
        else:
            fd = os.open(VPCD_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.environ[_HELD] = "1"
            _depth = 1
    try:
        yield
    finally:
        with _depth_lock:
            _depth -= 1
            if fd is not None:
                os.environ.pop(_HELD, None)
                os.close(fd)  # closing releases the lock


@contextmanager
def pcscd_with_virtual_readers(timeout: float = 20.0) -> Iterator[None]:
    """Hold the virtual readers, then use the running pcscd if it lists them; otherwise start
    one (root) for as long as the lock is held."""
    with exclusive_virtual_readers(), _pcscd(timeout):
        yield


@contextmanager
def _pcscd(timeout: float) -> Iterator[None]:
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
