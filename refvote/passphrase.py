"""Asking for a passphrase: from a file (automation, rehearsals) or typed without echo."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from crypto.files import FileError, read_text

MAX_PASSPHRASE_FILE = 64 << 10


class PassphraseUnavailable(Exception):
    pass


def read_passphrases(path: str | None, prompt: str, count: int = 1) -> list[str]:
    """`count` passphrases: one per line of `path`, or typed at the terminal."""
    if path is not None:
        try:
            text = read_text(Path(path), MAX_PASSPHRASE_FILE)
        except FileError as exc:
            raise PassphraseUnavailable(str(exc)) from None
        lines = [line.rstrip("\n") for line in text.splitlines()]
        lines = [line for line in lines if line]
        if len(lines) < count:
            raise PassphraseUnavailable(
                f"{path} holds {len(lines)} passphrases, {count} are needed"
            )
        return lines[:count]
    if not sys.stdin.isatty():
        raise PassphraseUnavailable("no terminal to type the passphrase on: use --passphrase-file")
    return [getpass.getpass(f"{prompt}: ") for _ in range(count)]


def open_signing_key(path: Path, role: str, passphrase_file: str | None, prompt: str):  # type: ignore[no-untyped-def]
    """A signing key file as the command was given it: a demo key as it is; a sealed production
    key (`refvote keys …`) opened with its passphrase, from `--passphrase-file` or typed."""
    from crypto.keyfile import is_sealed, load_signing_key

    passphrase = None
    if is_sealed(path):
        (passphrase,) = read_passphrases(passphrase_file, prompt)
    return load_signing_key(path, role, passphrase)
