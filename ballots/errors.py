"""Errors of the ballots layer. Each names the object and the field or rule at fault."""

from __future__ import annotations

from crypto.errors import CryptoError


class BallotsError(CryptoError):
    """Base class: every error raised by `ballots` is also a CryptoError."""


class DefinitionError(BallotsError, ValueError):
    """A referendum definition that is malformed; `where` is a line or a field path."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


class PackageError(BallotsError):
    """An election package that is unsigned, altered, or for another election."""


class BallotError(BallotsError):
    """A ballot that breaks a validity rule of PROTOCOL §5."""


class ChainError(BallotsError):
    """A tracking chain that does not run from its opening to its close."""


class ExportError(BallotsError):
    """A booth export that is malformed, unsigned, or inconsistent."""


class RecordError(BallotsError):
    """An election record that is malformed or incomplete."""
