"""The tracking chain of one booth on one polling day, and tracking codes (PROTOCOL §5).

The chain commits to each ballot's fate (cast, challenged or void), so relabelling one ballot
changes every later tracking code that voters hold:

    link_0 = H("chain-open", base, booth_id, opening_nonce)
    code_i = H("chain", link_(i−1), ballot_hash_i)       the tracking code, printed on the receipt
    link_i = H("chain-fate", code_i, kind_i)              kind_i = "cast" | "challenged" | "void"
    close  = H("chain-close", link_last, cast, challenged, voided)   (link_last = link_0 if empty)

Every function here is pure: the booth calls them step by step, the verifier replays them.
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
    """A ballot's fate, as its chain entry records it."""

    CAST = "cast"
    CHALLENGED = "challenged"
    VOID = "void"  # the paper did not print completely (or the booth stopped) after the code


@dataclass(frozen=True, slots=True)
class ChainEntry:
    kind: EntryKind
    ballot_hash: bytes


def chain_open(base: bytes, booth_id: str, opening_nonce: bytes) -> bytes:
    """link_0 of a booth's chain."""
    return fingerprint("chain-open", base, booth_id, opening_nonce)


def tracking_code(link: bytes, ballot_hash: bytes) -> bytes:
    """The tracking code of the next ballot (fixed before printing; its receipt prints it)."""
    return fingerprint("chain", link, ballot_hash)


def chain_link(code: bytes, kind: EntryKind) -> bytes:
    """The link after a ballot whose tracking code is `code` and whose fate is `kind`."""
    return fingerprint("chain-fate", code, kind.value)


def chain_close(link: bytes, cast: int, challenged: int, voided: int) -> bytes:
    """The closing code: the last link and the three counts."""
    return fingerprint("chain-close", link, cast, challenged, voided)


@dataclass(frozen=True, slots=True)
class ReplayedChain:
    codes: tuple[bytes, ...]  # per entry, its tracking code (printed on the receipt)
    links: tuple[bytes, ...]  # per entry, the link after it
    last: bytes  # the last link (link_0 when the chain is empty)


def replay(
    base: bytes, booth_id: str, opening_nonce: bytes, entries: Sequence[ChainEntry]
) -> ReplayedChain:
    """Recompute every tracking code and link of a chain from its entries."""
    link = chain_open(base, booth_id, opening_nonce)
    codes, links = [], []
    for entry in entries:
        code = tracking_code(link, entry.ballot_hash)
        link = chain_link(code, entry.kind)
        codes.append(code)
        links.append(link)
    return ReplayedChain(tuple(codes), tuple(links), link)


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
