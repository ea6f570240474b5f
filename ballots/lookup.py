"""Looking up a tracking code in a record: is my ballot there, and what did a challenge show?

A voter gives the receipt's short code (16 characters) or the QR's full code (64 hex digits);
case, spaces and hyphens are ignored. The answer shows the full code. A code that was printed
for a ballot later voided (paper incomplete, crash before the voter chose) answers "voided".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ballots.ballot import EncryptedBallot, QuestionReveal
from ballots.chain import EntryKind, parse_lookup, replay, short_code
from ballots.export import BoothExport, Status


class LookupStatus(enum.Enum):
    CAST = "cast"
    CHALLENGED = "challenged"
    VOIDED = "voided"
    NOT_FOUND = "not found"


@dataclass(frozen=True)
class LookupResult:
    status: LookupStatus
    code: bytes | None = None
    booth_id: str | None = None
    ballot: EncryptedBallot | None = None
    reveal: tuple[QuestionReveal, ...] | None = None


def lookup(exports: Iterable[BoothExport], base: bytes, text: str) -> LookupResult:
    """Find a tracking code in the exports' chains (ChainError if `text` is not a code)."""
    kind, wanted = parse_lookup(text)
    for export in exports:
        replayed = replay(base, export.booth_id, export.opening_nonce, export.chain)
        for entry, printed in zip(export.chain, replayed.printed_codes, strict=True):
            match = (
                printed.hex() == wanted
                if kind == "full"
                else short_code(printed).replace(" ", "") == wanted
            )
            if not match:
                continue
            if entry.kind is EntryKind.VOID:
                return LookupResult(LookupStatus.VOIDED, printed, export.booth_id)
            for b in export.ballots:
                if b.ballot.hash(base) == entry.ballot_hash:
                    status = (
                        LookupStatus.CAST if b.status is Status.CAST else LookupStatus.CHALLENGED
                    )
                    return LookupResult(status, printed, export.booth_id, b.ballot, b.reveal)
    return LookupResult(LookupStatus.NOT_FOUND)
