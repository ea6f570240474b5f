"""What the booth core needs from the station's poll book: `booth.pollbook`'s interface and
errors, named here once for the core (the client over the station link implements it)."""

from __future__ import annotations

from booth.pollbook.errors import (
    AlreadyVoted,
    CodeInvalid,
    InProgressElsewhere,
    NotOnRoll,
    PollBookClosed,
    PollBookError,
    PollBookUnreachable,
)
from booth.pollbook.messages import PollBook

__all__ = [
    "AlreadyVoted",
    "CodeInvalid",
    "InProgressElsewhere",
    "NotOnRoll",
    "PollBook",
    "PollBookClosed",
    "PollBookError",
    "PollBookUnreachable",
]
