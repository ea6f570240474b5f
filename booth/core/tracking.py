"""The booth's view of its tracking chain (PROTOCOL §5), one step at a time.

    code_i = tracking code of ballot i, fixed before printing, from the previous link
    link_i = the link after ballot i, once its fate (cast, challenged, void) is decided

The formulas are `ballots.chain`'s; this module only names the steps the booth takes.
"""

from __future__ import annotations

from typing import assert_never

from ballots.chain import EntryKind, chain_close, chain_next, chain_open, chain_void
from booth.core.ballot import BallotState


def first_link(base: bytes, booth_id: str, opening_nonce: bytes) -> bytes:
    return chain_open(base, booth_id, opening_nonce)


def code_for(link: bytes, ballot_hash: bytes) -> bytes:
    """The tracking code printed on the receipt of the next ballot."""
    return chain_next(link, ballot_hash)


def entry_kind(fate: BallotState) -> EntryKind:
    match fate:
        case BallotState.CAST | BallotState.CHALLENGED:
            return EntryKind.BALLOT
        case BallotState.VOID:
            return EntryKind.VOID
        case BallotState.FIXED | BallotState.PRINTED:
            raise ValueError(f"a {fate.value} ballot has no chain entry yet")
        case _:
            assert_never(fate)


def link_after(link: bytes, ballot_hash: bytes, fate: BallotState) -> bytes:
    """The chain's link once the ballot fixed after `link` is decided."""
    kind = entry_kind(fate)
    if kind is EntryKind.VOID:
        return chain_void(link, ballot_hash)
    return chain_next(link, ballot_hash)


def close_code(link: bytes, cast: int, challenged: int, voided: int) -> bytes:
    return chain_close(link, cast, challenged, voided)
