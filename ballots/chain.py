"""The tracking chain of one booth on one polling day, and tracking codes (PROTOCOL §5).

code_0 = H("chain-open", base, booth_id, opening_nonce); each printed ballot (cast or
challenged) appends H("chain", code_(i−1), ballot_hash_i); a ballot voided after its code was
fixed appends H("chain-void", code_(i−1), ballot_hash_i); close = H("chain-close", code_last,
cast, challenged, voided).
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ballots.errors import ChainError
from crypto.hashing import fingerprint, group_for_reading

CODE_BYTES = 32


class EntryKind(enum.Enum):
    BALLOT = "ballot"  # a printed ballot, cast or challenged
    VOID = "void"  # voided after its tracking code was fixed


@dataclass(frozen=True, slots=True)
class ChainEntry:
    kind: EntryKind
    ballot_hash: bytes


def chain_open(base: bytes, booth_id: str, opening_nonce: bytes) -> bytes:
    return fingerprint("chain-open", base, booth_id, opening_nonce)


def chain_next(previous: bytes, ballot_hash: bytes) -> bytes:
    """The tracking code printed for a ballot (and its chain code once cast or challenged)."""
    return fingerprint("chain", previous, ballot_hash)


def chain_void(previous: bytes, ballot_hash: bytes) -> bytes:
    return fingerprint("chain-void", previous, ballot_hash)


def chain_close(last: bytes, cast: int, challenged: int, voided: int) -> bytes:
    return fingerprint("chain-close", last, cast, challenged, voided)


@dataclass(frozen=True, slots=True)
class ReplayedChain:
    codes: tuple[bytes, ...]  # code_1 … code_last
    printed_codes: tuple[bytes, ...]  # per entry, the code printed on the receipt
    last: bytes


def replay(
    base: bytes, booth_id: str, opening_nonce: bytes, entries: Sequence[ChainEntry]
) -> ReplayedChain:
    """Recompute every code of a chain from its entries."""
    code = chain_open(base, booth_id, opening_nonce)
    codes, printed = [], []
    for entry in entries:
        receipt_code = chain_next(code, entry.ballot_hash)
        code = (
            receipt_code if entry.kind is EntryKind.BALLOT else chain_void(code, entry.ballot_hash)
        )
        codes.append(code)
        printed.append(receipt_code)
    return ReplayedChain(tuple(codes), tuple(printed), code)


def short_code(code: bytes) -> str:
    """What the receipt prints: base32 of the first 10 bytes, four groups of four."""
    if len(code) != CODE_BYTES:
        raise ChainError("a tracking code is 32 bytes")
    return group_for_reading(code)


_SHORT = re.compile(r"[A-Z2-7]{16}")
_FULL = re.compile(r"[0-9a-f]{64}")


def parse_lookup(text: str) -> tuple[str, str]:
    """A code typed or scanned by a voter → ("short", 16 base32 chars) or ("full", 64 hex).

    Case, spaces and hyphens are ignored. Raises ChainError for anything else.
    """
    cleaned = re.sub(r"[\s-]", "", text)
    if _FULL.fullmatch(cleaned.lower()) and len(cleaned) == 64:
        return "full", cleaned.lower()
    if _SHORT.fullmatch(cleaned.upper()):
        candidate = cleaned.upper()
        base64.b32decode(candidate)  # 16 characters of the alphabet always decode
        return "short", candidate
    raise ChainError(
        "not a tracking code: expected 16 characters of A–Z and 2–7 (the receipt's code) "
        "or 64 hexadecimal digits (the QR code)"
    )
