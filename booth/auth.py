"""Poll-worker authentication: a PIN per station and role, wrong tries limited, persisted, logged.

Each station has two PINs, one for its 主任管理員 (chief officer) and one for its 主任監察員
(chief supervisor). The confidential election package holds each as a `PinHash`:

    {"hash": <32 bytes hex>, "role": "chief-officer" | "chief-supervisor",
     "salt": <16 bytes hex>, "station_id": <text>}

hash = Argon2id(password = UTF-8 of the NFC PIN, salt, parameters `crypto.sealing.PROTOCOL_ARGON2`
(v0x13, 3 passes, 64 MiB, 4 lanes, 32 bytes), associated data = the `H` pre-image of
("booth-pin", station_id, role)), so a record copied to another station or role does not match.
`hash_pin` (and `hash_station_pins`, which refuses two equal PINs) make these records; the
package builder calls them, so the format is defined here once.

- A poll-worker action needs one PIN (`authenticate(role, pin)`); the two-person reset of a
  closed booth needs both roles' PINs (`authenticate_two`), two different PINs by construction.
- PINs are compared in constant time (`hmac.compare_digest`); PIN bytes are wiped after use.
- Wrong tries: the count of consecutive wrong tries is shared by both roles and persisted in a
  small state file (written atomically) *before* the PIN is checked, so pulling the power during
  a check counts the try; a right PIN sets it back to 0. From the 5th wrong try on, every PIN is
  refused for a cooldown of 5 minutes, doubling with each further wrong try up to 1 hour (5, 10,
  20, 40, 60, 60 … minutes). A cooldown, not a two-person unlock: an unlock that takes PINs is
  itself a way to guess them. An attacker at a booth gets about 12 guesses in a polling day.
- Every try is logged (`auth-ok`, `auth-failed` with the role and the count, `auth-locked` with
  the minutes); never the PIN.
- An unreadable state file (damaged, or not ours) is treated as a lockout, never as zero tries.
- A poll-worker card (`PollWorkerCard`) is a hook only: when given, single-person
  authentication also needs the card of that role in the reader.
"""

from __future__ import annotations

import hmac
import os
import stat
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from booth.eventlog import EventCode, EventLog, RecoveryKind, Role, utc_now
from crypto.encoding import canonical_json
from crypto.errors import EncodingError
from crypto.fields import Fields, open_document
from crypto.hashing import preimage
from crypto.randomness import SYSTEM, RandomSource
from crypto.sealing import PROTOCOL_ARGON2, wipe
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
    "PinFormatError",
    "PinHash",
    "PinUnknown",
    "PollWorkerAuth",
    "PollWorkerCard",
    "Role",
    "SecondFactorMissing",
    "TwoPersonAuthorization",
    "WrongPin",
    "hash_pin",
    "hash_station_pins",
    "lockout_for",
    "pin_matches",
]

PIN_MIN, PIN_MAX = 6, 32  # characters
MAX_FAILURES = 5
FIRST_LOCKOUT = timedelta(minutes=5)
MAX_LOCKOUT = timedelta(hours=1)
STATE_TYPE = "booth-pin-state"
STATE_MAX_BYTES = 4096
HASH_BYTES = PROTOCOL_ARGON2.key_bytes
SALT_BYTES = PROTOCOL_ARGON2.salt_bytes
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class AuthError(Exception):
    """Base class of poll-worker authentication errors."""


class PinFormatError(AuthError, ValueError):
    """A PIN that cannot be a station PIN (too short, too long, control characters, equal PINs)."""


class PinUnknown(AuthError):
    """The package holds no PIN (or more than one) for a role of this station."""


class WrongPin(AuthError):
    def __init__(self, roles: tuple[Role, ...], tries_left: int) -> None:
        names = " and ".join(r.value for r in roles)
        super().__init__(f"wrong PIN ({names}): {tries_left} tries left before a lockout")
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


# The record in the confidential package --------------------------------------------------------


@dataclass(frozen=True)
class PinHash:
    station_id: str
    role: Role
    salt: bytes
    hash: bytes

    def to_obj(self) -> dict[str, Any]:
        return {
            "hash": self.hash.hex(),
            "role": self.role.value,
            "salt": self.salt.hex(),
            "station_id": self.station_id,
        }

    @classmethod
    def from_obj(cls, obj: object, what: str = "PIN hash") -> PinHash:
        """Read one record (as found in the package's JSON); EncodingError names what is wrong."""
        f = Fields(obj, what)
        station_id = f.text("station_id", max_length=64)
        raw_role = f.raw("role")
        try:
            role = Role(raw_role)
        except ValueError:
            raise f.error("role", "must be chief-officer or chief-supervisor") from None
        record = cls(station_id, role, f.hex("salt", SALT_BYTES), f.hex("hash", HASH_BYTES))
        f.finish()
        return record


def _pin_bytes(pin: str) -> bytearray:
    if not isinstance(pin, str):
        raise PinFormatError("a PIN is text")
    text = unicodedata.normalize("NFC", pin)
    if not PIN_MIN <= len(text) <= PIN_MAX:
        raise PinFormatError(f"a PIN has {PIN_MIN} to {PIN_MAX} characters")
    if any(unicodedata.category(ch).startswith(("C", "Z")) and ch != " " for ch in text):
        raise PinFormatError("a PIN has no control characters or unusual spaces")
    return bytearray(text.encode("utf-8"))


def _derive(station_id: str, role: Role, pin: str, salt: bytes) -> bytearray:
    if len(salt) != SALT_BYTES:
        raise PinFormatError(f"a PIN salt is {SALT_BYTES} bytes")
    secret = _pin_bytes(pin)
    try:
        kdf = Argon2id(
            salt=salt,
            length=HASH_BYTES,
            iterations=PROTOCOL_ARGON2.passes,
            lanes=PROTOCOL_ARGON2.lanes,
            memory_cost=PROTOCOL_ARGON2.memory_kib,
            ad=preimage("booth-pin", station_id, role.value),
        )
        return bytearray(kdf.derive(bytes(secret)))
    finally:
        wipe(secret)


def hash_pin(station_id: str, role: Role, pin: str, rng: RandomSource = SYSTEM) -> PinHash:
    """The package record of one PIN: a fresh salt from `rng`, Argon2id as the module says."""
    salt = rng.bytes(SALT_BYTES)
    derived = _derive(station_id, role, pin, salt)
    try:
        return PinHash(station_id, role, salt, bytes(derived))
    finally:
        wipe(derived)


def hash_station_pins(
    station_id: str, officer_pin: str, supervisor_pin: str, rng: RandomSource = SYSTEM
) -> tuple[PinHash, PinHash]:
    """Both records of a station; two equal PINs are refused (a reset needs two people)."""
    if unicodedata.normalize("NFC", officer_pin) == unicodedata.normalize("NFC", supervisor_pin):
        raise PinFormatError("the chief officer's and chief supervisor's PINs must differ")
    return (
        hash_pin(station_id, Role.CHIEF_OFFICER, officer_pin, rng),
        hash_pin(station_id, Role.CHIEF_SUPERVISOR, supervisor_pin, rng),
    )


def pin_matches(record: PinHash, pin: str) -> bool:
    """True iff `pin` is the PIN of `record` (constant-time comparison of the Argon2id hashes)."""
    derived = _derive(record.station_id, record.role, pin, record.salt)
    try:
        return hmac.compare_digest(bytes(derived), record.hash)
    finally:
        wipe(derived)


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
        log: EventLog,
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

    def authenticate(self, role: Role, pin: str) -> Authorization:
        """One poll worker: raises WrongPin, AuthLocked, PinFormatError or SecondFactorMissing."""
        if not isinstance(role, Role):
            raise AuthError("a poll worker's role is chief-officer or chief-supervisor")
        if self._card is not None and self._card.role_present(self.station_id) is not role:
            raise SecondFactorMissing(f"insert the {role.value}'s poll-worker card")
        wipe(_pin_bytes(pin))  # a malformed PIN is refused before it costs a try
        now = self._begin_try()
        if not pin_matches(self._pins[role], pin):
            raise self._wrong((role,), now)
        self._right()
        self._log.append(EventCode.AUTH_OK, role=role)
        return Authorization(self.station_id, role)

    def authenticate_two(self, officer_pin: str, supervisor_pin: str) -> TwoPersonAuthorization:
        """Both roles at once (one try): both PINs are checked, whichever is wrong."""
        wipe(_pin_bytes(officer_pin))
        wipe(_pin_bytes(supervisor_pin))
        if unicodedata.normalize("NFC", officer_pin) == unicodedata.normalize(
            "NFC", supervisor_pin
        ):
            raise PinFormatError("a two-person action takes two different PINs")
        now = self._begin_try()
        officer = pin_matches(self._pins[Role.CHIEF_OFFICER], officer_pin)
        supervisor = pin_matches(self._pins[Role.CHIEF_SUPERVISOR], supervisor_pin)
        wrong = tuple(
            r
            for r, ok in ((Role.CHIEF_OFFICER, officer), (Role.CHIEF_SUPERVISOR, supervisor))
            if not ok
        )
        if wrong:
            raise self._wrong(wrong, now)
        self._right()
        for role in Role:
            self._log.append(EventCode.AUTH_OK, role=role)
        return TwoPersonAuthorization(self.station_id)
