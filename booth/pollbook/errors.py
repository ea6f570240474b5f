"""The poll book's errors, as the booth and the station console see them.

Every error is a `PollBookError`; the booth core maps each to a named state and screen.
"""

from __future__ import annotations


class PollBookError(Exception):
    """Base class of every poll-book error."""


class NotOnRoll(PollBookError):
    """The card holder is not on this station's roll."""


class AlreadyVoted(PollBookError):
    """The voter has already voted at this station."""


class InProgressElsewhere(PollBookError):
    """The voter's session is in progress at a booth (`booth_id`); a poll worker is needed."""

    def __init__(self, booth_id: str) -> None:
        super().__init__(f"this voter's session is in progress at booth {booth_id}")
        self.booth_id = booth_id


class CodeInvalid(PollBookError):
    """A one-time code that was never issued, was already used, or whose voter cannot vote."""


class PollBookUnreachable(PollBookError):
    """No answer from the poll book: no session starts. Check the station link."""


class PeerRefused(PollBookUnreachable):
    """The TLS peer is not the device the verified package names (wrong station, wrong key)."""


class PackageNotPinned(PollBookError):
    """The package was not verified against the authority fingerprint read aloud: its link CA
    could be anyone's. Configure with the authority's fingerprint."""


class LinkKeyInvalid(PollBookError):
    """This device's TLS key file is not the key of its certificate in the package."""


class PollBookClosed(PollBookError):
    """The poll book is closed: no more check-ins at this station."""


class ProtocolViolation(PollBookError):
    """A malformed, oversized or unexpected message on the station link."""


class ReleaseRefused(PollBookError):
    """A stuck check-in cannot be released: no evidence that its ballot was not cast."""


class PollWorkerRefused(PollBookError):
    """A poll-worker PIN that does not match (or too many wrong tries)."""
