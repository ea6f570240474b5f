"""Looking up a tracking code in a record: is my ballot there, and what did a challenge show?

A voter gives the receipt's short code (16 characters) or the QR's full code (64 hex digits);
case, spaces and hyphens are ignored. The answer shows the full code. The ballot's fate is
read from its chain entry (PROTOCOL §5), never from the export's `status`: a code printed for a
ballot later voided (paper incomplete, crash before the voter chose) answers "voided".

This module only finds; it does not verify. `refvote lookup` verifies the record (V1–V9, and
V10 onwards before it says "counted") before it shows an answer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ballots.ballot import EncryptedBallot, QuestionReveal
from ballots.chain import EntryKind, parse_lookup, replay, short_code
from ballots.export import BoothExport


class LookupStatus(enum.Enum):
    CAST = "cast"
    CHALLENGED = "challenged"
    VOIDED = "voided"
    NOT_FOUND = "not found"


_FATE = {
    EntryKind.CAST: LookupStatus.CAST,
    EntryKind.CHALLENGED: LookupStatus.CHALLENGED,
    EntryKind.VOID: LookupStatus.VOIDED,
}


@dataclass(frozen=True)
class LookupResult:
    status: LookupStatus
    code: bytes | None = None
    booth_id: str | None = None
    station_id: str | None = None
    ballot: EncryptedBallot | None = None  # the published ballot (cast or challenged)
    reveal: tuple[QuestionReveal, ...] | None = None  # a challenged ballot's reveal


def lookup(exports: Iterable[BoothExport], base: bytes, text: str) -> LookupResult:
    """Find a tracking code in the exports' chains (ChainError if `text` is not a code)."""
    form, wanted = parse_lookup(text)
    for export in exports:
        replayed = replay(base, export.booth_id, export.opening_nonce, export.chain)
        for entry, code in zip(export.chain, replayed.codes, strict=True):
            typed = code.hex() if form == "full" else short_code(code).replace(" ", "")
            if typed != wanted:
                continue
            status = _FATE[entry.kind]
            found = next(
                (b for b in export.ballots if b.ballot.hash(base) == entry.ballot_hash), None
            )
            if entry.kind is EntryKind.VOID or found is None:
                return LookupResult(status, code, export.booth_id, export.station_id)
            return LookupResult(
                status, code, export.booth_id, export.station_id, found.ballot, found.reveal
            )
    return LookupResult(LookupStatus.NOT_FOUND)
