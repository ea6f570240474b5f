"""Reading one JSON object field by field, validating each at the edge.

    f = Fields(obj, "round-1 message of trustee 2")
    n = f.integer("n", 1, 255)
    key = f.point("transport_key")
    f.finish()          # any field not read is an error

Each failure raises EncodingError naming the object and the field, so a loader either
returns a fully typed value or says exactly what was wrong; it never half-loads.
"""

from __future__ import annotations

from typing import Any

from crypto.encoding import PROTOCOL_VERSION, check_text, from_hex, parse_canonical_json
from crypto.errors import EncodingError, InvalidPoint, InvalidScalar, OlderProtocol
from crypto.hazmat.group import Point, Scalar


class Fields:
    def __init__(self, obj: object, what: str) -> None:
        if not isinstance(obj, dict):
            raise EncodingError(f"{what}: expected a JSON object")
        self._obj: dict[str, Any] = obj
        self._what = what
        self._read: set[str] = set()

    def _get(self, name: str) -> Any:
        if name not in self._obj:
            raise EncodingError(f"{self._what}: missing field {name!r}")
        self._read.add(name)
        return self._obj[name]

    def error(self, name: str, message: str) -> EncodingError:
        return EncodingError(f"{self._what}: field {name!r}: {message}")

    def raw(self, name: str) -> Any:
        return self._get(name)

    def constant(self, name: str, expected: str | int | bool | None) -> None:
        """The field must be `expected`, of its exact JSON type (`true` is not 1, nor 1 `true`)."""
        value = self._get(name)
        if type(value) is not type(expected) or value != expected:
            raise self.error(name, f"must be {expected!r}")

    def integer(self, name: str, low: int, high: int) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name, f"must be an integer from {low} to {high}")
        return value

    def text(self, name: str, *, max_length: int = 10_000) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not 0 < len(value) <= max_length:
            raise self.error(name, f"must be a non-empty string of at most {max_length} characters")
        try:
            return check_text(value, what=name)
        except EncodingError as exc:
            raise self.error(name, str(exc)) from None

    def hex(self, name: str, length: int | None = None) -> bytes:
        try:
            return from_hex(self._get(name), length, what=name)
        except EncodingError as exc:
            raise self.error(name, str(exc)) from None

    def point(self, name: str) -> Point:
        return decode_point(self._get(name), f"{self._what}: field {name!r}")

    def scalar(self, name: str) -> Scalar:
        return decode_scalar(self._get(name), f"{self._what}: field {name!r}")

    def array(self, name: str, length: int | None = None) -> list[Any]:
        value = self._get(name)
        if not isinstance(value, list):
            raise self.error(name, "must be an array")
        if length is not None and len(value) != length:
            raise self.error(name, f"must have {length} items, has {len(value)}")
        return value

    def obj(self, name: str, what: str | None = None) -> Fields:
        return Fields(self._get(name), what or f"{self._what}: field {name!r}")

    def present(self, name: str) -> bool:
        """True if the member is there at all (a member allowed to be absent; read it after)."""
        return name in self._obj

    def optional(self, name: str) -> bool:
        """True if the field is present and not null (marks it read either way)."""
        if name not in self._obj:
            raise EncodingError(f"{self._what}: missing field {name!r}")
        self._read.add(name)
        return self._obj[name] is not None

    def finish(self) -> None:
        extra = sorted(set(self._obj) - self._read)
        if extra:
            raise EncodingError(f"{self._what}: unexpected field {extra[0]!r}")


def open_document(data: bytes, kind: str, what: str, version: int = PROTOCOL_VERSION) -> Fields:
    """A hashed or signed file: canonical JSON whose `type` is `kind` and `version` is `version`."""
    f = Fields(parse_canonical_json(data, what=what), what)
    f.constant("type", kind)
    found = f.raw("version")
    if type(found) is int and 0 < found < version:
        raise OlderProtocol(
            f"{what}: made under protocol version {found}, older than this refvote's version "
            f"{version}: verify it with the refvote release that made it"
        )
    f.constant("version", version)
    return f


def decode_point(value: object, what: str) -> Point:
    """A point from its hex in a JSON value; rejects any non-canonical or non-subgroup encoding."""
    try:
        return Point.from_bytes(from_hex(value, 32, what=what), what=what)
    except (InvalidPoint, EncodingError) as exc:
        raise InvalidPoint(str(exc)) from None


def decode_scalar(value: object, what: str) -> Scalar:
    try:
        return Scalar.from_bytes(from_hex(value, 32, what=what), what=what)
    except (InvalidScalar, EncodingError) as exc:
        raise InvalidScalar(str(exc)) from None
