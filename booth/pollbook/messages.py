"""The station link's messages, declared once, and their framing.

A frame is a 4-byte big-endian length and that many bytes of canonical JSON (PROTOCOL §1), at
most MAX_FRAME bytes. A request is {"op": name, …its fields}; an answer is
{"answer": name, …its fields}. The booth's identity is the certificate it presented in the
TLS handshake, never a field. Both sides read every message through `Fields`, so a field
missing, extra or malformed is a ProtocolViolation before anything acts on it.

    op             request fields     answers
    check_in       roll_hash: hex32   eligible | not_on_roll | already_voted | in_progress | closed
    check_in_code  code: text ≤ 32    eligible | code_invalid | closed
    complete       session: hex16     done
    abort          session: hex16     done | already_voted
    report_outbox  sessions: [hex16]  noted
    status         (none)             status

    answer         fields
    eligible       session: hex16
    in_progress    booth_id: text
    noted          stuck: int (this booth's check-ins now releasable on its answer)
    status         voted, in_progress, released, cardless, closed (0/1): int
    refused        reason: text (to a peer that is not a booth of this station; the link closes)
    error          reason: text (a malformed request)
    others         no fields
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from crypto.encoding import canonical_json, from_hex, parse_canonical_json, to_hex
from crypto.errors import EncodingError
from crypto.fields import Fields

SESSION_BYTES = 16
ROLL_HASH_BYTES = 32
MAX_FRAME = 64 << 10
MAX_OUTBOX = 1000
MAX_CODE = 32


class PollBook(Protocol):
    """What the booth core codes against; `booth.pollbook.client.PollBookClient` implements it."""

    def check_in(self, roll_hash: bytes) -> bytes:
        """Returns session S (16 bytes); raises NotOnRoll, AlreadyVoted,
        InProgressElsewhere(booth_id), PollBookUnreachable."""
        ...

    def check_in_code(self, code: str) -> bytes:
        """One-time code → S; raises CodeInvalid, PollBookUnreachable."""
        ...

    def complete(self, session: bytes) -> None:
        """Idempotent; raises PollBookUnreachable."""
        ...

    def abort(self, session: bytes) -> None: ...


# Field kinds: how each field is read (and so checked) from a message.
Reader = Callable[[Fields, str], Any]


def _hex(length: int) -> Reader:
    return lambda f, name: f.hex(name, length)


def _text(max_length: int) -> Reader:
    return lambda f, name: f.text(name, max_length=max_length)


def _count(f: Fields, name: str) -> int:
    return f.integer(name, 0, 2**31)


def _sessions(f: Fields, name: str) -> tuple[bytes, ...]:
    items = f.array(name)
    if len(items) > MAX_OUTBOX:
        raise f.error(name, f"at most {MAX_OUTBOX} sessions")
    try:
        return tuple(from_hex(v, SESSION_BYTES, what=name) for v in items)
    except EncodingError as exc:
        raise f.error(name, str(exc)) from None


REQUESTS: Mapping[str, Mapping[str, Reader]] = {
    "check_in": {"roll_hash": _hex(ROLL_HASH_BYTES)},
    "check_in_code": {"code": _text(MAX_CODE)},
    "complete": {"session": _hex(SESSION_BYTES)},
    "abort": {"session": _hex(SESSION_BYTES)},
    "report_outbox": {"sessions": _sessions},
    "status": {},
}

ANSWERS: Mapping[str, Mapping[str, Reader]] = {
    "eligible": {"session": _hex(SESSION_BYTES)},
    "not_on_roll": {},
    "already_voted": {},
    "in_progress": {"booth_id": _text(64)},
    "code_invalid": {},
    "closed": {},
    "done": {},
    "noted": {"stuck": _count},
    "status": {
        "voted": _count,
        "in_progress": _count,
        "released": _count,
        "cardless": _count,
        "closed": _count,
    },
    "refused": {"reason": _text(500)},
    "error": {"reason": _text(500)},
}

# Which answers each request may get (besides `refused` and `error`).
ALLOWED_ANSWERS: Mapping[str, frozenset[str]] = {
    "check_in": frozenset({"eligible", "not_on_roll", "already_voted", "in_progress", "closed"}),
    "check_in_code": frozenset({"eligible", "code_invalid", "closed"}),
    "complete": frozenset({"done"}),
    "abort": frozenset({"done", "already_voted"}),
    "report_outbox": frozenset({"noted"}),
    "status": frozenset({"status"}),
}


@dataclass(frozen=True)
class Message:
    kind: str  # the op of a request, the answer's name for an answer
    fields: Mapping[str, Any]


def encode(tag: str, kind: str, fields: Mapping[str, Any]) -> bytes:
    """A frame: the length, then the canonical JSON of {tag: kind, …fields} (bytes as hex)."""
    table = REQUESTS if tag == "op" else ANSWERS
    if kind not in table or set(fields) != set(table[kind]):
        raise ValueError(f"not a declared message: {kind} {sorted(fields)}")
    body: dict[str, Any] = {tag: kind}
    for name, value in fields.items():
        if isinstance(value, bytes):
            body[name] = to_hex(value)
        elif isinstance(value, tuple):
            body[name] = [to_hex(v) for v in value]
        else:
            body[name] = value
    data = canonical_json(body)
    if len(data) > MAX_FRAME:
        raise ValueError("message longer than a frame")
    return len(data).to_bytes(4, "big") + data


def decode(tag: str, data: bytes) -> Message:
    """Parse and check one frame's body against the declaration; EncodingError otherwise."""
    table = REQUESTS if tag == "op" else ANSWERS
    f = Fields(parse_canonical_json(data, what="station link message"), "station link message")
    kind = f.raw(tag)
    if not isinstance(kind, str) or kind not in table:
        raise EncodingError(f"station link message: unknown {tag} {str(kind)[:40]!r}")
    fields = {name: read(f, name) for name, read in table[kind].items()}
    f.finish()
    return Message(kind, fields)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 16))
        if not chunk:
            raise ConnectionError("the peer closed the link")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket) -> bytes:
    """One frame's body; a length beyond MAX_FRAME is refused before reading it."""
    length = int.from_bytes(_read_exactly(sock, 4), "big")
    if not 0 < length <= MAX_FRAME:
        raise EncodingError(f"station link frame of {length} bytes (at most {MAX_FRAME})")
    return _read_exactly(sock, length)
