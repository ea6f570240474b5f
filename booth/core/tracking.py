"""The booth's view of its tracking chain (PROTOCOL §5), one step at a time.

    link_0 = chain_open(base, booth_id, opening_nonce)
    code_i = tracking_code(link_(i−1), ballot_hash_i)   fixed before printing (the receipt)
    link_i = chain_link(code_i, fate_i)                  once cast, challenged or void

The formulas are `ballots.chain`'s; this module only maps the booth's ballot states to the
chain's entry kinds.
"""

from __future__ import annotations

from typing import assert_never

from ballots.chain import EntryKind, chain_close, chain_link, chain_open, tracking_code
from booth.core.ballot import BallotState


def first_link(base: bytes, booth_id: str, opening_nonce: bytes) -> bytes:
    return chain_open(base, booth_id, opening_nonce)


def code_for(link: bytes, ballot_hash: bytes) -> bytes:
    """The tracking code printed on the receipt of the ballot fixed after `link`."""
    return tracking_code(link, ballot_hash)


def entry_kind(fate: BallotState) -> EntryKind:
    match fate:
        case BallotState.CAST:
            return EntryKind.CAST
        case BallotState.CHALLENGED:
            return EntryKind.CHALLENGED
        case BallotState.VOID:
            return EntryKind.VOID
        case BallotState.FIXED | BallotState.PRINTED:
            raise ValueError(f"a {fate.value} ballot has no chain entry yet")
        case _:
            assert_never(fate)


def link_after(link: bytes, ballot_hash: bytes, fate: BallotState) -> bytes:
    """The chain's link once the ballot fixed after `link` is decided."""
    return chain_link(tracking_code(link, ballot_hash), entry_kind(fate))


def close_code(link: bytes, cast: int, challenged: int, voided: int) -> bytes:
    return chain_close(link, cast, challenged, voided)
