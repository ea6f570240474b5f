"""Poll-worker authentication at a booth or a station console: a station's two PINs (format
and hashing: ballots/pins.py), wrong tries limited, persisted and logged.

- A single-person poll-worker action takes one PIN (`authenticate_any`: the PIN of either
  role, which it names; the two PINs of a station differ, the package builder refuses equal
  ones) or the PIN of a named role (`authenticate`). The two-person actions (the reset of a
  closed booth, a storage recovery) take both roles' PINs (`authenticate_two`): the same
  person typing one PIN twice is refused.
- PINs are compared in constant time (ballots.pins.pin_matches); PIN bytes are wiped after use.
  Every PIN tried is checked against both roles' records, so the time does not say which.
- Wrong tries: the count of consecutive wrong tries is shared by both roles and persisted in a
  small state file (written atomically) *before* the PIN is checked, so pulling the power during
  a check counts the try, and a restart does not reset the count; a right PIN sets it back to
  0. From the 5th wrong try on, every PIN is refused for a cooldown of 5 minutes, doubling
  with each further wrong try up to 1 hour (5, 10, 20, 40, 60, 60 … minutes). A cooldown, not
  a two-person unlock: an unlock that takes PINs is itself a way to guess them. An attacker
  at a booth gets about 12 guesses in a polling day.
- Every try is logged (`auth-ok` with the role; `auth-failed` with each role whose PIN was
  wrong and the count — a PIN given for either role that matches neither is logged for both
  roles with one count; `auth-locked` with the minutes); never the PIN.
- An unreadable state file (damaged, or not ours) is treated as a lockout, never as zero tries.
- A poll-worker card (`PollWorkerCard`) is a hook only: when given, single-person
  authentication also needs the card of that role in the reader.
"""

from __future__ import annotations

import hmac
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from ballots.pins import PinFormatError, PinHash, Role, pin_bytes, pin_matches
from booth.errors import AuthenticationFailed
from booth.eventlog import EventCode, RecoveryKind, utc_now
from crypto.encoding import canonical_json
from crypto.errors import EncodingError
from crypto.fields import open_document
from crypto.sealing import wipe
from hardware.errors import HardwareError
from hardware.media import write_file

__all__ = [
    "FIRST_LOCKOUT",
    "MAX_FAILURES",
    "MAX_LOCKOUT",
    "AuthError",
    "AuthLocked",
    "Authorization",
    "LockState",
    "PinMalformed",
    "PinUnknown",
    "PollWorkerAuth",
    "PollWorkerCard",
    "Role",
    "SameWorkerTwice",
    "SecondFactorMissing",
    "TwoPersonAuthorization",
    "WrongPin",
    "lockout_for",
]

MAX_FAILURES = 5
FIRST_LOCKOUT = timedelta(minutes=5)
MAX_LOCKOUT = timedelta(hours=1)
STATE_TYPE = "booth-pin-state"
STATE_MAX_BYTES = 4096
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class AuthError(AuthenticationFailed):
    """Base class of poll-worker authentication errors (a booth's AuthenticationFailed)."""


class PinMalformed(AuthError):
    """Not a PIN at all (not 6 to 12 digits): refused before it costs a try."""


class SameWorkerTwice(AuthError):
    """A two-person action was given one PIN twice: it takes two different poll workers."""


class PinUnknown(AuthError):
    """The package holds no PIN (or more than one) for a role of this station."""


class WrongPin(AuthError):
    def __init__(self, roles: tuple[Role, ...], tries_left: int) -> None:
        names = " and ".join(r.value for r in roles)
        super().__init__(
            f"wrong poll-worker PIN ({names}): {tries_left} tries left before a lockout"
        )
        self.roles = roles
        self.tries_left = tries_left


class AuthLocked(AuthError):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"too many wrong PINs: poll-worker actions are locked until "
            f"{until.strftime(TIME_FORMAT)}; wait, then try again"
        )
        self.until = until


class SecondFactorMissing(AuthError):
    """A poll-worker card is required and the card of that role is not in the reader."""


class AuthLog(Protocol):
    """The booth's or station's event log (booth.eventlog.EventLog)."""

    def append(self, code: EventCode, **details: object) -> bytes: ...


def _checked(pin: str) -> None:
    try:
        wipe(pin_bytes(pin))
    except PinFormatError as exc:
        raise PinMalformed(str(exc)) from None


def lockout_for(failures: int) -> timedelta:
    """How long every PIN is refused after `failures` consecutive wrong tries (0 below 5)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    doubling = min(failures - MAX_FAILURES, 8)
    return min(FIRST_LOCKOUT * (1 << doubling), MAX_LOCKOUT)


# Proof objects the booth core asks for ------------------------------------------------------


@dataclass(frozen=True)
class Authorization:
    """One poll worker's PIN was right: what a single-person poll-worker action takes."""

    station_id: str
    role: Role


@dataclass(frozen=True)
class TwoPersonAuthorization:
    """Both PINs of the station were right: what the reset of a closed booth takes."""

    station_id: str


class PollWorkerCard(Protocol):
    """Hook for a poll-worker card as a second factor (no implementation yet)."""

    def role_present(self, station_id: str) -> Role | None:
        """The role of the poll-worker card of `station_id` now in the reader, else None."""
        ...


# The persisted try counter ------------------------------------------------------------------


@dataclass(frozen=True)
class LockState:
    failures: int  # consecutive wrong tries
    locked_until: datetime | None


def _time_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(TIME_FORMAT)


class PollWorkerAuth:
    """Checks poll-worker PINs for one station; persists the try counter in `state_path`."""

    def __init__(
        self,
        station_id: str,
        pins: Sequence[PinHash],
        state_path: Path,
        log: AuthLog,
        clock: Callable[[], datetime] = utc_now,
        card: PollWorkerCard | None = None,
    ) -> None:
        self.station_id = station_id
        self._pins: dict[Role, PinHash] = {}
        for role in Role:
            found = [p for p in pins if p.station_id == station_id and p.role is role]
            if len(found) != 1:
                raise PinUnknown(
                    f"the election package holds {len(found)} PINs for the {role.value} of "
                    f"station {station_id}, not one: rebuild the package"
                )
            self._pins[role] = found[0]
        self._state_path = state_path
        self._log = log
        self._clock = clock
        self._card = card
        self._state = self._load()

    # State file ---------------------------------------------------------------------------

    def _load(self) -> LockState:
        path = self._state_path
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return LockState(0, None)
        except OSError:
            return self._unreadable()
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > STATE_MAX_BYTES:
                return self._unreadable()
            data = os.pread(fd, info.st_size, 0)
        finally:
            os.close(fd)
        try:
            f = open_document(data, STATE_TYPE, "PIN state")
            f.constant("station_id", self.station_id)
            failures = f.integer("failures", 0, 2**31)
            until = None
            if f.optional("locked_until"):
                until = datetime.strptime(f.text("locked_until", max_length=20), TIME_FORMAT)
                until = until.replace(tzinfo=UTC)
            f.finish()
        except (EncodingError, ValueError):
            return self._unreadable()
        return LockState(failures, until)

    def _unreadable(self) -> LockState:
        """Damaged or foreign state: lock (never count it as zero tries), log, rewrite."""
        state = LockState(MAX_FAILURES, self._now() + FIRST_LOCKOUT)
        self._log.append(EventCode.RECOVERY, kind=RecoveryKind.AUTH_STATE_UNREADABLE, count=0)
        self._save(state)
        return state

    def _save(self, state: LockState) -> None:
        data = canonical_json(
            {
                "type": STATE_TYPE,
                "version": 2,
                "station_id": self.station_id,
                "failures": state.failures,
                "locked_until": _time_text(state.locked_until),
            }
        )
        try:
            write_file(self._state_path.parent, self._state_path.name, data)
        except (OSError, HardwareError) as exc:
            # Without a durable counter, no PIN is checked (else a full disk means free tries).
            raise AuthError(f"the PIN try counter cannot be saved ({exc}): call support") from None
        self._state = state

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise AuthError("the booth clock must give aware (UTC) times")
        return now.astimezone(UTC).replace(microsecond=0)

    # Checks -------------------------------------------------------------------------------

    def state(self) -> LockState:
        return self._state

    def _begin_try(self) -> datetime:
        """Refuse while locked; else count this try as wrong, durably, before checking it."""
        now = self._now()
        until = self._state.locked_until
        if until is not None and now < until:
            # A clock set back must not lengthen a lockout beyond its longest.
            raise AuthLocked(min(until, now + MAX_LOCKOUT))
        failures = self._state.failures + 1
        lockout = lockout_for(failures)
        self._save(LockState(failures, now + lockout if lockout else None))
        return now

    def _wrong(self, roles: tuple[Role, ...], now: datetime) -> AuthError:
        for role in roles:
            self._log.append(EventCode.AUTH_FAILED, role=role, failures=self._state.failures)
        lockout = lockout_for(self._state.failures)
        if lockout:
            self._log.append(EventCode.AUTH_LOCKED, minutes=int(lockout.total_seconds()) // 60)
            return AuthLocked(now + lockout)
        return WrongPin(roles, MAX_FAILURES - self._state.failures)

    def _right(self) -> None:
        self._save(LockState(0, None))

    def _matching(self, pin: str) -> Role | None:
        """The role whose PIN `pin` is; both records are always checked."""
        found = [role for role in Role if pin_matches(self._pins[role], pin)]
        return found[0] if len(found) == 1 else None

    def authenticate(self, role: Role, pin: str) -> Authorization:
        """One poll worker of a named role: raises WrongPin, AuthLocked, PinMalformed or
        SecondFactorMissing."""
        if not isinstance(role, Role):
            raise AuthError("a poll worker's role is chief-officer or chief-supervisor")
        if self._card is not None and self._card.role_present(self.station_id) is not role:
            raise SecondFactorMissing(f"insert the {role.value}'s poll-worker card")
        _checked(pin)  # a malformed PIN is refused before it costs a try
        now = self._begin_try()
        if self._matching(pin) is not role:
            raise self._wrong((role,), now)
        self._right()
        self._log.append(EventCode.AUTH_OK, role=role)
        return Authorization(self.station_id, role)

    def authenticate_any(self, pin: str) -> Authorization:
        """One poll worker of either role (the PIN says which): one try."""
        _checked(pin)
        if self._card is not None:
            present = self._card.role_present(self.station_id)
            if present is None:
                raise SecondFactorMissing("insert your poll-worker card")
            return self.authenticate(present, pin)
        now = self._begin_try()
        role = self._matching(pin)
        if role is None:
            raise self._wrong(tuple(Role), now)
        self._right()
        self._log.append(EventCode.AUTH_OK, role=role)
        return Authorization(self.station_id, role)

    def authenticate_two(self, officer_pin: str, supervisor_pin: str) -> TwoPersonAuthorization:
        """Both roles at once (one try): both PINs are checked, whichever is wrong. One PIN
        given twice matches one role at most (a station's two PINs differ): it is a wrong try,
        counted and logged, refused as SameWorkerTwice (a two-person action takes two people)."""
        _checked(officer_pin)
        _checked(supervisor_pin)
        now = self._begin_try()
        officer = self._matching(officer_pin) is Role.CHIEF_OFFICER
        supervisor = self._matching(supervisor_pin) is Role.CHIEF_SUPERVISOR
        wrong = tuple(
            r
            for r, ok in ((Role.CHIEF_OFFICER, officer), (Role.CHIEF_SUPERVISOR, supervisor))
            if not ok
        )
        if wrong:
            same = hmac.compare_digest(officer_pin.encode(), supervisor_pin.encode())
            error = self._wrong(wrong, now)
            if same and not isinstance(error, AuthLocked):
                raise SameWorkerTwice(
                    "one PIN was given twice: a two-person action takes the chief officer's "
                    "and the chief supervisor's PINs, two different people"
                )
            raise error
        self._right()
        for role in Role:
            self._log.append(EventCode.AUTH_OK, role=role)
        return TwoPersonAuthorization(self.station_id)
