"""Removable media: export to and import from a mounted USB drive (a folder in tests).

A write goes to a temporary file, is flushed to the device (fsync), renamed into place, the
folder is fsynced, and the file is read back and compared by SHA-256: a file on the medium is
either complete and correct or absent. A pulled medium (its folder gone or unreadable), a
full medium (ENOSPC) and a corrupt read-back each raise their own error; a failed write
leaves nothing behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from hardware.errors import MediumCorrupt, MediumFull, MediumMissing

MAX_READ = 512 << 20


def _check_mounted(folder: Path) -> None:
    if not folder.is_dir():
        raise MediumMissing(f"{folder} is not there: is the medium plugged in and mounted?")


def write_file(folder: Path, name: str, data: bytes) -> str:
    """Write `data` as folder/name, durably, and read it back; returns its SHA-256 hex."""
    if "/" in name or name in ("", ".", ".."):
        raise ValueError("a plain file name is expected")
    _check_mounted(folder)
    target = folder / name
    temp = folder / f".{name}.partial"
    digest = hashlib.sha256(data).hexdigest()
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        try:
            temp.unlink()
        except OSError:
            pass
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise MediumFull(f"{folder} is full: {len(data):,} bytes do not fit") from None
        if exc.errno in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENXIO):
            raise MediumMissing(f"{folder} went away during the write: {exc.strerror}") from None
        raise
    if read_file(folder, name, len(data)) != data:
        raise MediumCorrupt(f"{target} reads back different from what was written")
    return digest


def read_file(folder: Path, name: str, max_bytes: int = MAX_READ) -> bytes:
    _check_mounted(folder)
    path = folder / name
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise MediumCorrupt(f"{path} is {size:,} bytes, more than the {max_bytes:,} expected")
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise MediumMissing(f"{path} is not on the medium") from None
    except OSError as exc:
        if exc.errno in (errno.EIO, errno.ENODEV, errno.ENXIO):
            raise MediumMissing(f"{path} cannot be read: {exc.strerror}") from None
        raise
