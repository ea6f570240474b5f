"""What refvote prints is safe to show on a terminal, whatever the inputs held.

Names and messages can come from outside files (a trustee's display name, a file name on a
medium, a definition text quoted in an error). A control character there could move the
cursor, rewrite an earlier line or change the terminal's state, and a bidi override could make
a fingerprint read differently from what it is. `SafeStream` shows every such character as an
escape (`\\x1b`, `\\u202e`); newline, tab and the carriage return that progress bars use pass
through.
"""

from __future__ import annotations

import io
import unicodedata
from typing import TextIO

_PASS = frozenset("\n\t\r")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cc" and ch not in _PASS) or ch in _BIDI


def make_safe(text: str) -> str:
    """`text` with C0/C1 controls (but newline, tab, CR) and bidi controls escaped."""
    if not any(map(_unsafe, text)):
        return text
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in text)


class SafeStream(io.TextIOBase):
    """A text stream that writes through `make_safe` to the stream it wraps."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(make_safe(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._inner.encoding
