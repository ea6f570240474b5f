"""Poll-worker PINs: the one format, made by `package build`, checked by booths and poll books.

Each station has two PINs, one for its 主任管理員 (chief officer) and one for its 主任監察員
(chief supervisor); the two must differ, so that a two-person action takes two people. A PIN
is 6 to 12 ASCII digits (a keypad's). The confidential election package holds each as one
`PinHash` record, two per station (officer first), in definition order:

    {"hash": <32 bytes hex>, "role": "chief-officer" | "chief-supervisor",
     "salt": <16 bytes hex>, "station_id": <text>}

hash = Argon2id(password = the PIN's ASCII bytes, salt, parameters `crypto.sealing.
PROTOCOL_ARGON2` (v0x13, 3 passes, 64 MiB, 4 lanes, 32 bytes), associated data = the `H`
pre-image of ("booth-pin", station_id, role)), so a record copied to another station or role
does not match. PINs are compared in constant time; PIN bytes are wiped after use.

The PIN file that `refvote dev keys` writes and `refvote package build --pins` reads is CSV,
UTF-8, header `station_id,role,pin`, exactly two lines per station (one per role).

The try limit and lockout are the checker's (booth/auth.py `PollWorkerAuth`), not the format's.
"""

from __future__ import annotations

import csv
import enum
import hmac
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ballots.errors import PackageError
from crypto.fields import Fields
from crypto.hashing import preimage
from crypto.randomness import SYSTEM, RandomSource
from crypto.sealing import PROTOCOL_ARGON2, wipe

__all__ = [
    "HASH_BYTES",
    "PIN_DIGITS",
    "SALT_BYTES",
    "PinFormatError",
    "PinHash",
    "Role",
    "StationPins",
    "check_station_records",
    "hash_pin",
    "hash_station_pins",
    "pin_bytes",
    "pin_matches",
    "pins_csv",
    "read_pins_csv",
]

PIN_DIGITS = (6, 12)
HASH_BYTES = PROTOCOL_ARGON2.key_bytes
SALT_BYTES = PROTOCOL_ARGON2.salt_bytes
PINS_CSV_HEADER = ["station_id", "role", "pin"]
MAX_PINS_CSV = 1 << 20


class Role(enum.Enum):
    """The two poll workers who hold a station PIN."""

    CHIEF_OFFICER = "chief-officer"  # 主任管理員
    CHIEF_SUPERVISOR = "chief-supervisor"  # 主任監察員


class PinFormatError(PackageError, ValueError):
    """A text that cannot be a poll-worker PIN, or a station whose two PINs are equal."""


@dataclass(frozen=True)
class StationPins:
    """A station's two PINs in clear (only at `package build`, and in the demo's PIN file)."""

    officer: str
    supervisor: str

    def of(self, role: Role) -> str:
        return self.officer if role is Role.CHIEF_OFFICER else self.supervisor

    def __repr__(self) -> str:
        return "StationPins(<hidden>)"


@dataclass(frozen=True)
class PinHash:
    """One record of confidential.json `poll_worker_pins`."""

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
    def from_obj(cls, obj: object, what: str = "poll-worker PIN") -> PinHash:
        """Read one record; EncodingError names what is wrong."""
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


def pin_bytes(pin: object) -> bytearray:
    """The PIN's bytes (wipe them after use); PinFormatError unless 6 to 12 ASCII digits."""
    low, high = PIN_DIGITS
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and low <= len(pin) <= high):
        raise PinFormatError(f"a poll-worker PIN is {low} to {high} digits")
    return bytearray(pin.encode("ascii"))


def _derive(station_id: str, role: Role, pin: str, salt: bytes) -> bytearray:
    if len(salt) != SALT_BYTES:
        raise PinFormatError(f"a PIN salt is {SALT_BYTES} bytes")
    secret = pin_bytes(pin)
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
    station_id: str, pins: StationPins, rng: RandomSource = SYSTEM
) -> tuple[PinHash, PinHash]:
    """Both records of a station, officer first; two equal PINs are refused (a two-person
    action needs two people, and equal PINs cannot be seen in the hashes afterwards)."""
    officer, supervisor = pin_bytes(pins.officer), pin_bytes(pins.supervisor)
    try:
        equal = hmac.compare_digest(officer, supervisor)
    finally:
        wipe(officer)
        wipe(supervisor)
    if equal:
        raise PinFormatError(
            f"station {station_id}: the chief officer's and chief supervisor's PINs must differ"
        )
    return (
        hash_pin(station_id, Role.CHIEF_OFFICER, pins.officer, rng),
        hash_pin(station_id, Role.CHIEF_SUPERVISOR, pins.supervisor, rng),
    )


def pin_matches(record: PinHash, pin: str) -> bool:
    """True iff `pin` is the PIN of `record` (constant-time comparison of the Argon2id hashes)."""
    derived = _derive(record.station_id, record.role, pin, record.salt)
    try:
        return hmac.compare_digest(bytes(derived), record.hash)
    finally:
        wipe(derived)


def check_station_records(records: Sequence[PinHash], station_ids: Iterable[str]) -> None:
    """The package rule: exactly two records per station, officer then supervisor, stations in
    definition order, no record of another station; two salts never repeat."""
    expected = [(s, r) for s in station_ids for r in Role]
    if [(p.station_id, p.role) for p in records] != expected:
        raise PackageError(
            "confidential.json: the poll-worker PINs must be one chief-officer and one "
            "chief-supervisor record per station, in the definition's order"
        )
    salts = [p.salt for p in records]
    if len(set(salts)) != len(salts):
        raise PackageError("confidential.json: two poll-worker PIN records share a salt")


# The PIN file (CSV) ----------------------------------------------------------------------------


def pins_csv(pins: Mapping[str, StationPins]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PINS_CSV_HEADER)
    for station_id, station in pins.items():
        for role in Role:
            writer.writerow([station_id, role.value, station.of(role)])
    return out.getvalue().encode("utf-8")


def read_pins_csv(data: bytes, what: str = "PIN file") -> dict[str, StationPins]:
    """Parse the PIN file; PinFormatError (naming the line) for anything but exactly one PIN
    per role per station, each a valid PIN, the two of a station different."""
    if len(data) > MAX_PINS_CSV:
        raise PinFormatError(f"{what}: larger than {MAX_PINS_CSV} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PinFormatError(f"{what}: not UTF-8") from None
    rows = csv.reader(io.StringIO(text, newline=""))
    if next(rows, None) != PINS_CSV_HEADER:
        raise PinFormatError(f"{what}: the header must be {','.join(PINS_CSV_HEADER)}")
    found: dict[str, dict[Role, str]] = {}
    for n, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != 3:
            raise PinFormatError(f"{what}: line {n}: three fields: station_id,role,pin")
        station_id, raw_role, pin = row
        try:
            role = Role(raw_role)
        except ValueError:
            raise PinFormatError(
                f"{what}: line {n}: the role is chief-officer or chief-supervisor"
            ) from None
        if not station_id or role in found.get(station_id, {}):
            raise PinFormatError(f"{what}: line {n}: empty or repeated station and role")
        try:
            wipe(pin_bytes(pin))
        except PinFormatError as exc:
            raise PinFormatError(f"{what}: line {n}: {exc}") from None
        found.setdefault(station_id, {})[role] = pin
    pins = {}
    for station_id, roles in found.items():
        if set(roles) != set(Role):
            raise PinFormatError(f"{what}: station {station_id} needs a PIN for both roles")
        pins[station_id] = StationPins(roles[Role.CHIEF_OFFICER], roles[Role.CHIEF_SUPERVISOR])
        if hmac.compare_digest(pins[station_id].officer, pins[station_id].supervisor):
            raise PinFormatError(f"{what}: station {station_id}: the two PINs must differ")
    return pins
