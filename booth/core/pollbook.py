"""What the booth core needs from the station's poll book: `booth.pollbook`'s interface and
errors, named here once for the core (the client over the station link implements it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

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


class StationPollBook(PollBook, Protocol):
    """The poll book as a booth process uses it: also, when idle at start-up, the S its
    outbox still holds (booth.pollbook.client.PollBookClient.report_outbox)."""

    def report_outbox(self, sessions: Iterable[bytes]) -> int: ...


__all__ = [
    "AlreadyVoted",
    "CodeInvalid",
    "InProgressElsewhere",
    "NotOnRoll",
    "PollBook",
    "PollBookClosed",
    "PollBookError",
    "PollBookUnreachable",
    "StationPollBook",
]
