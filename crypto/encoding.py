"""Strict encodings of PROTOCOL §1: lowercase hex and canonical JSON (RFC 8785, JCS).

Readers accept exactly one byte form for every value. A JSON document is accepted only if
its bytes are already canonical: parsing then re-serialising must give the same bytes, so a
hash or signature is always checked over the bytes that were read, and those bytes are the
only form the value has.

The JSON subset: objects, arrays, strings (NFC), integers within ±(2^53 − 1), true, false,
null. Floats, NaN, duplicate keys, invalid UTF-8 and lone surrogates are rejected.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from crypto.errors import EncodingError
from crypto.unicode14 import UNICODE_VERSION, is_assigned

# The protocol version (docs/protocol.md): the hash tag prefix and every file's "version".
PROTOCOL_VERSION = 2
MAX_SAFE_INTEGER = 2**53 - 1
_HEX = re.compile(r"[0-9a-f]*")

JsonValue = Any  # parsed canonical JSON: dict[str, JsonValue] | list[JsonValue] | str | int | ...


def to_hex(data: bytes) -> str:
    """Lowercase hex of `data`."""
    return bytes(data).hex()


def from_hex(text: object, length: int | None = None, *, what: str = "value") -> bytes:
    """Decode lowercase hex; with `length`, require exactly that many bytes.

    Raises EncodingError for anything but `[0-9a-f]` of even length (upper case, spaces,
    prefixes and odd lengths are all rejected).
    """
    if not isinstance(text, str):
        raise EncodingError(f"{what}: expected a hex string, got {type(text).__name__}")
    if _HEX.fullmatch(text) is None or len(text) % 2:
        raise EncodingError(f"{what}: not lowercase hex of whole bytes")
    if length is not None and len(text) != 2 * length:
        raise EncodingError(f"{what}: expected {length} bytes, got {len(text) // 2}")
    return bytes.fromhex(text)


def check_text(text: str, *, what: str = "text") -> str:
    """Require NFC text of code points assigned in Unicode 14.0, with no lone surrogates.

    "Assigned in 14.0" comes from the table shipped in `crypto.unicode14`, not from this
    Python's `unicodedata`, so every Python ≥ 3.11 accepts the same text; the NFC check may use
    `unicodedata` because Unicode's normalization stability policy keeps it unchanged, in later
    versions, for code points already assigned in 14.0.
    """
    if text.isascii():  # every ASCII code point is assigned, and ASCII is always NFC
        return text
    for ch in text:
        if not is_assigned(ord(ch)):
            raise EncodingError(
                f"{what}: code point U+{ord(ch):04X} is unassigned in Unicode "
                f"{UNICODE_VERSION} or a surrogate"
            )
    if not unicodedata.is_normalized("NFC", text):
        raise EncodingError(f"{what}: not in Unicode NFC")
    return text


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _dump(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise EncodingError(f"integer {value} is outside ±(2^53 − 1)")
        out.append(str(value))
    elif isinstance(value, str):
        out.append(json.dumps(check_text(value), ensure_ascii=False))
    elif isinstance(value, Mapping):
        out.append("{")
        keys = list(value.keys())
        if not all(isinstance(k, str) for k in keys):
            raise EncodingError("object keys must be strings")
        for n, key in enumerate(sorted(keys, key=_utf16_key)):
            if n:
                out.append(",")
            out.append(json.dumps(check_text(key), ensure_ascii=False))
            out.append(":")
            _dump(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(",")
            _dump(item, out)
        out.append("]")
    else:
        raise EncodingError(f"cannot encode {type(value).__name__} in canonical JSON")


def canonical_json(value: object) -> bytes:
    """RFC 8785 canonical bytes of `value` (UTF-8, no whitespace, keys in UTF-16 order)."""
    out: list[str] = []
    _dump(value, out)
    return "".join(out).encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise EncodingError(f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def _no_float(text: str) -> Any:
    raise EncodingError(f"JSON number {text} is not an integer")


def _no_constant(text: str) -> Any:
    raise EncodingError(f"JSON constant {text} is not allowed")


def parse_json(data: bytes, *, what: str = "document") -> JsonValue:
    """Parse JSON bytes, rejecting duplicate keys, floats, NaN and invalid UTF-8.

    Does not require canonical form; use `parse_canonical_json` for hashed or signed files.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise EncodingError(f"{what}: expected bytes")
    try:
        text = bytes(data).decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{what}: not valid UTF-8 at byte {exc.start}") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_constant,
        )
    except EncodingError as exc:
        raise EncodingError(f"{what}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError, and Python's refusal of integers over 4,300 digits, are ValueErrors.
        raise EncodingError(f"{what}: not valid JSON ({str(exc)[:120]})") from None


def parse_canonical_json(data: bytes, *, what: str = "document") -> JsonValue:
    """Parse a hashed or signed JSON file and require that its bytes are already canonical."""
    value = parse_json(data, what=what)
    try:
        canonical = canonical_json(value)
    except EncodingError as exc:
        raise EncodingError(f"{what}: {exc}") from None
    if canonical != bytes(data):
        raise EncodingError(f"{what}: JSON is not in canonical form (RFC 8785)")
    return value
