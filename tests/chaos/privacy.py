"""The privacy scan (issue 10): what no stored or exported artifact of the booth or the poll
book may hold, checked over every file found, crash leftovers included (SQLite journals and
-wal files, temporary and set-aside files).

- a voter identifier (ASCII and UTF-16), in any file;
- a roll hash (raw or hex), in any file but the poll book's own database (its keyed roll);
- a session S (raw or hex) outside the booth's outboxes (the store and the mirror medium's
  `booth-outbox.txt`, which hold the unacknowledged S by design) and the poll book's database;
- a plaintext choice: the paper record's QR payload of any voter's choices, or an answer word;
- a time beside a ballot or a voter session: every event-log entry of a `ballot-*` or
  `session-*` code must have `"time":null` (docs/booth.md, Event log).

The paper (the virtual printer's PNGs) is not scanned: it is the paper record, plaintext by
design. Report PDFs are scanned as bytes (their text streams are compressed, so a plaintext
there would not be seen by this scan; they carry counts only by construction, booth/reports.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ballots.ballot import PlaintextBallot
from ballots.definition import Definition
from ballots.paper import paper_qr

ANSWER_WORDS = ("同意", "不同意", '"yes"', '"no"', '"blank"')
POLLBOOK_FILES = ("pollbook.sqlite",)
OUTBOX_FILES = ("ballots.sqlite", "booth-outbox.txt", ".booth-outbox.txt.partial")


@dataclass
class Secrets:
    identifiers: list[bytes]
    roll_hashes: list[bytes]
    sessions: list[bytes] = field(default_factory=list)

    @classmethod
    def for_voters(cls, identifiers: Iterable[str], hashes: Iterable[bytes]) -> Secrets:
        ids = []
        for i in identifiers:
            ids += [i.encode(), i.encode("utf-16-le")]
        rolls = []
        for h in hashes:
            rolls += [h, h.hex().encode()]
        return cls(ids, rolls)


def _plaintexts(definition: Definition, plans: Sequence[Any]) -> list[bytes]:
    out = []
    for plan in plans:
        taken = {q: c for q, c in plan.choices.items() if c is not None}
        if taken:
            out.append(paper_qr(definition, PlaintextBallot(taken)).encode())
    return out


def scan(
    files: Iterable[Path], secrets: Secrets, definition: Definition, plans: Sequence[Any]
) -> list[str]:
    """What was found where: an empty list if every file is clean."""
    plaintexts = _plaintexts(definition, plans) + [w.encode() for w in ANSWER_WORDS]
    found = []
    for path in files:
        data = path.read_bytes()
        name = path.name
        pollbook = name.startswith(POLLBOOK_FILES)
        outbox = name.startswith(OUTBOX_FILES)
        for needle in secrets.identifiers:
            if needle in data:
                found.append(f"{path}: a voter identifier")
                break
        if not pollbook:
            if any(h in data for h in secrets.roll_hashes):
                found.append(f"{path}: a roll hash")
        if not (pollbook or outbox):
            for s in secrets.sessions:
                if s in data or s.hex().encode() in data:
                    found.append(f"{path}: a session S")
                    break
        if any(p in data for p in plaintexts):
            found.append(f"{path}: a plaintext choice")
        if name.endswith(".log"):
            found += _timed_ballot_events(path, data)
    return found


def _timed_ballot_events(path: Path, data: bytes) -> list[str]:
    out = []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a torn last line (the log's reopening cuts it off)
        code = str(entry.get("code", ""))
        if code.startswith(("ballot-", "session-")) and entry.get("time") is not None:
            out.append(f"{path} line {n}: {code} carries a time")
    return out
