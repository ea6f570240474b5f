"""What the booth needs from the station's poll book (served over the station link).

The booth's copy of the interface the poll book client implements (booth/pollbook/). The
booth hands it a roll hash and gets an opaque session S back; it tells it `complete(S)` after
a durable cast (at least once: repeated until acknowledged) or `abort(S)` when the session
ended without a cast.
"""

from __future__ import annotations

from typing import Protocol


class PollBookError(Exception):
    """Base class of the poll book's refusals and link failures."""


class NotOnRoll(PollBookError):
    """The card's holder is not on this station's roll."""


class AlreadyVoted(PollBookError):
    """The voter has already voted at this station."""


class InProgressElsewhere(PollBookError):
    """The voter's session is in progress at another booth."""


class PollBookUnreachable(PollBookError):
    """The station link is down: no session can start."""


class PollBook(Protocol):
    def check_in(self, roll_hash: bytes) -> bytes: ...

    def check_in_code(self, code: str) -> bytes: ...

    def complete(self, session: bytes) -> None: ...

    def abort(self, session: bytes) -> None: ...
