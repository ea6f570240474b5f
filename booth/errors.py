"""The booth core's errors: each names what happened and says what the poll worker should do.

The screens show the message as it is; no Python traceback reaches a voter or a poll worker.
"""

from __future__ import annotations

import enum


class BoothError(Exception):
    """Base class of every error the booth core raises."""


class TransitionRefused(BoothError):
    """A state machine was asked for a transition its table does not allow."""

    def __init__(self, machine: str, state: str, target: str) -> None:
        super().__init__(f"{machine}: {state} → {target} is not an allowed transition")
        self.machine, self.state, self.target = machine, state, target


class ConfigurationRefused(BoothError):
    """The election package does not verify against the pinned authority, or is not for us."""


class AuthenticationFailed(BoothError):
    """A poll worker's credential was refused."""


class OpeningRefused(BoothError):
    """Polls cannot open (or resume): the message says which guard failed; `reason` (a
    booth.eventlog.OpenRefusal, when the core knows it) names it for the screens."""

    reason: object = None


class ClosingRefused(BoothError):
    """Polls cannot close yet: a voter session is in progress, or the export failed."""


class NoSession(enum.Enum):
    """Why no voter session can start: names a SessionRefused for the screens (the core never
    translates; the voter's fault screen words it from the catalog)."""

    POLLS = "polls"  # polls are not open (not yet, paused, closed)
    STORAGE = "storage"  # the booth stopped taking voters: a storage problem
    PRINTER = "printer"  # the printer needs a poll worker (or a VOID slip is owed)
    BUSY = "busy"  # a voter session is already in progress
    POLL_BOOK = "poll-book"  # check-ins still owed to the poll book, which does not answer
    NO_SESSION = "no-session"  # a voter step with no session: the card first


class SessionRefused(BoothError):
    """No voter session can start now (polls not open, printer or storage needs attention);
    `reason` names which."""

    def __init__(self, message: str, reason: NoSession) -> None:
        super().__init__(message)
        self.reason = reason


class ChallengeLimit(BoothError):
    """The voter has challenged twice: a poll worker is called; the voter may still cast."""


class StorageError(BoothError):
    """Base class of ballot store and mirror errors: the booth stops taking voters."""


class StoreWriteFailed(StorageError):
    """The ballot store on the internal disk could not be written."""


class MirrorWriteFailed(StorageError):
    """The mirror on the second medium could not be written (pulled out? full?)."""


class MirrorCorrupt(StorageError):
    """The mirror's hash chain does not hold: the file was altered or damaged."""


class CopiesDisagree(StorageError):
    """The ballot store and the mirror differ by more than the last entry.

    `differences` lists, for the poll worker, what differs; the booth refuses to open until a
    recovery (docs/booth.md, Recovery) is done.
    """

    def __init__(self, message: str, differences: tuple[str, ...]) -> None:
        super().__init__(message + ": " + "; ".join(differences))
        self.differences = differences


class EventLogFailed(StorageError):
    """The event log could not be written (booth.eventlog.LogUnavailable: disk full, I/O
    error): the booth stops taking voters until it is restarted, which reopens and checks the
    log. A ballot already durable on the store and the mirror stays cast."""


class RecoveryRefused(StorageError):
    """The requested recovery would lose a ballot that the other copy holds."""


class NothingToReprint(BoothError):
    """No report was printed since the booth started: there is nothing to reprint."""


class ExportFailed(BoothError):
    """The closing export could not be written and read back: try another medium."""
