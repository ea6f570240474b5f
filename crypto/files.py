"""Files, the one way: bounded reads of outside files, atomic writes, staged folders, a lock.

Every module of refvote reads, writes and locks through these functions, so the rules hold
everywhere at once:

- `read_file(path, limit)`: a regular file only (never a FIFO, a device or a symlink, so
  a link to /dev/zero or a named pipe on a medium can neither exhaust memory nor hang), its
  size checked before the read and the read itself bounded.
- `write_atomic(path, data)`: a unique temporary file beside the target, written in full,
  fsynced, renamed over the target, the folder fsynced: a crash or a full disk leaves the
  old file or the new one, never a truncated one, and no temporary file behind.
- `staged_folder(target)`: a folder of many files (a record, a set of reports) built in a
  staging folder unique to this process, next to the target, and renamed into place only
  when complete; on any failure the staging folder is removed.
- `workspace_lock(folder)`: an OS lock (flock) on `folder/.lock`, non-blocking: a second
  command on the same folder is refused at once, naming the process that holds it.

Every failure raises a `FileError` whose message names the path and says what to do.
This module imports nothing else of refvote's but `crypto.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from crypto.errors import CryptoError

READ_CHUNK = 1 << 20
LOCK_NAME = ".lock"


class FileError(CryptoError):
    """A file that could not be read or written as the rules require; the message names it."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
        self.reason = message


class UnsafeFile(FileError):
    """Not a regular file (a FIFO, a device, a symlink, a folder) or larger than allowed."""


class WriteFailed(FileError):
    """A write, rename or folder creation failed (full disk, read-only, missing folder)."""


class AlreadyExists(WriteFailed):
    """The target of a write-once file or folder already exists."""


class WorkspaceBusy(FileError):
    """Another process holds the folder's lock."""


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder is read-only or not writable by this user"
    if exc.errno == errno.ENOENT:
        return "the folder does not exist"
    return exc.strerror or str(exc)


# Reading -------------------------------------------------------------------------------------


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Refuses a symlink (O_NOFOLLOW), a FIFO or a device (opened O_NONBLOCK, so opening never
    waits, then fstat must say regular file), a file larger than `limit` before reading it,
    and a file that grows past `limit` while it is read.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(path, "is a symbolic link: give the file itself") from None
        if exc.errno == errno.ENOENT:
            raise FileError(path, "no such file") from None
        if exc.errno == errno.EISDIR:
            raise UnsafeFile(path, "is a folder, not a file") from None
        raise FileError(path, f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnsafeFile(path, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(path, "is not a regular file (a pipe, socket or device): refused")
        if info.st_size > limit:
            raise UnsafeFile(path, f"is larger than the {limit:,} bytes allowed for it")
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnsafeFile(path, f"is larger than the {limit:,} bytes allowed for it")
        return b"".join(chunks)
    except OSError as exc:
        raise FileError(path, f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)


def read_text(path: Path, limit: int) -> str:
    """`read_file`, decoded as UTF-8 (a binary file is refused by name)."""
    data = read_file(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeFile(path, "is not UTF-8 text") from None


def regular_files(folder: Path, suffix: str) -> list[Path]:
    """Every entry ending in `suffix` under `folder`, sorted, not following symlinked folders.

    Entries are only listed: `read_file` still refuses whatever is not a regular file.
    """
    found = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        found += [Path(root) / n for n in names if n.endswith(suffix)]
    return sorted(found)


# Writing -------------------------------------------------------------------------------------


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_name(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    temp = _temp_name(path, "tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _remove(temp)
        raise
    os.close(fd)
    return temp


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_atomic(
    path: Path, data: bytes, *, mode: int = 0o644, replace: bool = True, parents: bool = False
) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one.

    The folder must exist, unless `parents` asks for it (and its parents) to be created.
    With `replace=False` the file is written once: if `path` exists
    (even one created a moment ago by another process), AlreadyExists is raised and nothing
    changes. Any other failure raises WriteFailed naming `path`; no temporary file remains.
    """
    if parents:
        make_folder(path.parent)
    remove_stale_staging(path, "tmp")
    try:
        temp = _write_temp(path, data, mode)
    except OSError as exc:
        raise WriteFailed(path, f"not written: {_reason(exc)}; nothing was changed") from None
    try:
        if replace:
            os.replace(temp, path)
        else:
            # link() refuses an existing target atomically, which rename() would replace.
            try:
                os.link(temp, path, follow_symlinks=False)
            finally:
                _remove(temp)
        fsync_folder(path.parent)
    except FileExistsError:
        raise AlreadyExists(path, "already exists: written once, never replaced") from None
    except OSError as exc:
        _remove(temp)
        raise WriteFailed(path, f"not written: {_reason(exc)}; nothing was changed") from None


def make_folder(folder: Path) -> None:
    """Create `folder` (and parents) if missing, naming it in any error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(folder, f"cannot create the folder: {_reason(exc)}") from None


def _staging_pid(name: str, prefix: str) -> int | None:
    rest = name[len(prefix) :]
    pid, _, _ = rest.partition("-")
    return int(pid) if pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(target: Path, kind: str = "staging") -> None:
    """Remove staging folders (or temporary files) of `target` left by processes that no
    longer run (a SIGKILL or a power cut between creating and renaming them)."""
    prefix = f".{target.name}.{kind}-"
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            pid = _staging_pid(entry.name, prefix) if entry.name.startswith(prefix) else None
            if pid is not None and pid != os.getpid() and not _alive(pid):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    _remove(entry)


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield a new, empty staging folder; rename it to `target` when the block completes.

    The staging folder is `.<name>.staging-<pid>-<random>` next to `target` (so the rename
    stays on one file system and two processes never share one). If the block raises, the
    staging folder is removed and the exception goes on; `target` never exists half-written.
    Raises AlreadyExists if `target` exists, WriteFailed if its folder is missing or not
    writable or the disk fills.
    """
    if not target.parent.is_dir():
        raise WriteFailed(target.parent, "the folder does not exist: create it first")
    if os.path.lexists(target):
        raise AlreadyExists(target, "already exists: it is written once, into a new folder")
    remove_stale_staging(target)
    staging = _temp_name(target, "staging")
    try:
        os.mkdir(staging, 0o755)
    except OSError as exc:
        raise WriteFailed(target, f"cannot be written: {_reason(exc)}") from None
    try:
        yield staging
        try:
            for root, _, _ in sorted(os.walk(staging), reverse=True):
                fsync_folder(Path(root))
            os.rename(staging, target)
            fsync_folder(target.parent)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise AlreadyExists(target, "appeared while it was being written") from None
            raise WriteFailed(target, f"not written: {_reason(exc)}; nothing was changed") from None
    except WriteFailed as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if staging in exc.path.parents:  # name what the operator asked for, not the staging
            raise WriteFailed(target, exc.reason) from None
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# Locking -------------------------------------------------------------------------------------


@contextlib.contextmanager
def workspace_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive OS lock on `folder` (flock on `folder/.lock`) for the block.

    Non-blocking: if another process holds it, WorkspaceBusy names that process at once. The
    lock is released by the kernel when the process ends, however it ends, so a crash never
    leaves the workspace locked. The lock file itself stays (removing it would race).
    """
    if not folder.is_dir():
        raise FileError(folder, "no such folder")
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise FileError(path, f"cannot open the lock file: {_reason(exc)}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise WorkspaceBusy(
                folder,
                f"the workspace is in use by another refvote command (pid {holder}): "
                "wait for it to finish, then run this again",
            ) from None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the flock


__all__ = [
    "AlreadyExists",
    "FileError",
    "UnsafeFile",
    "WorkspaceBusy",
    "WriteFailed",
    "fsync_folder",
    "make_folder",
    "read_file",
    "read_text",
    "regular_files",
    "remove_stale_staging",
    "staged_folder",
    "workspace_lock",
    "write_atomic",
]
