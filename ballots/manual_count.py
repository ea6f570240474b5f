"""A lost booth's hand count: the paper records of its ballot box, counted by hand and signed by
the election authority (issue 11; docs/protocol.md §9, docs/election-record.md §1 and V16).

Only when neither the booth's export nor a re-export from its second medium (the mirror) can be
read. The box's paper records are counted by hand, in public; the authority signs the count:

    {"type": "refvote/manual-count", "version": 2, "base": hex32,
     "station_id": "S1", "booth_id": "S1-B", "papers": n, "reason": "…",
     "counts": [{"question_id": "17", "yes": n, "no": n, "blank": n, "declined": n}, …],
     "signature": hex64}

- `papers`: the paper records in the box (each shows an answer to every question: 同意 yes,
  不同意 no, 空白 blank or 不領取 declined), so for every question yes + no + blank + declined
  = papers; `counts` lists every question of the definition once, in its order.
- signature: by the election authority's key (package.json `authority_key`, pinned by every
  verifier through its read-aloud fingerprint), purpose `manual-count`, payload
  `base, booth_id, H("file", the file without its signature)`.

The count enters the totals as plaintext (`station_counts`), added to the station's decrypted
counts; it never enters a homomorphic sum. This module reads and checks the file; the tally
station and the verifier import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballots.definition import Definition
from ballots.errors import PackageError
from ballots.results import Count, StationCount
from crypto.encoding import PROTOCOL_VERSION, to_hex
from crypto.errors import CryptoError, EncodingError
from crypto.fields import Fields, open_document
from crypto.signing import SIGNATURE_BYTES, SigningKey, VerifyKey, message_fingerprint, signed_json

TYPE = "refvote/manual-count"
PURPOSE = "manual-count"
MAX_MANUAL_FILE = 64 << 10
MAX_PAPERS = 2**31 - 1
MAX_REASON = 500
ANSWERS = ("yes", "no", "blank", "declined")


class ManualCountError(PackageError):
    """A manual count that is malformed, unsigned, adds up wrong, or is for another booth."""


@dataclass(frozen=True, slots=True)
class QuestionCount:
    question_id: str
    yes: int
    no: int
    blank: int
    declined: int

    @property
    def papers(self) -> int:
        return self.yes + self.no + self.blank + self.declined


@dataclass(frozen=True)
class ManualCount:
    base: bytes
    station_id: str
    booth_id: str
    papers: int
    reason: str
    counts: tuple[QuestionCount, ...]
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "type": TYPE,
            "version": PROTOCOL_VERSION,
            "base": to_hex(self.base),
            "station_id": self.station_id,
            "booth_id": self.booth_id,
            "papers": self.papers,
            "reason": self.reason,
            "counts": [
                {"question_id": c.question_id, **{a: getattr(c, a) for a in ANSWERS}}
                for c in self.counts
            ],
        }

    def payload(self) -> tuple[bytes, str, bytes]:
        return (self.base, self.booth_id, message_fingerprint(self.body()))

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    def station_counts(self) -> list[StationCount]:
        """What the hand count adds to its station's counts (declined papers took no part)."""
        return [
            StationCount(self.station_id, c.question_id, Count(c.yes + c.no + c.blank, c.yes, c.no))
            for c in self.counts
        ]

    @classmethod
    def sign(
        cls,
        key: SigningKey,
        definition: Definition,
        base: bytes,
        booth_id: str,
        papers: int,
        reason: str,
        counts: tuple[QuestionCount, ...],
    ) -> ManualCount:
        """The authority signs a hand count; refused unless it is well-formed and adds up
        (a signed count that every verifier refuses helps no one)."""
        try:
            station_id = definition.station_of_booth(booth_id).station_id
        except KeyError:
            raise ManualCountError(f"booth {booth_id}: not a booth of the definition") from None
        unsigned = cls(base, station_id, booth_id, papers, reason.strip(), counts, b"")
        unsigned.check(definition)
        return cls(**{**unsigned.__dict__, "signature": key.sign(PURPOSE, *unsigned.payload())})

    @classmethod
    def from_json(cls, data: bytes, what: str = "manual count") -> ManualCount:
        if len(data) > MAX_MANUAL_FILE:
            raise EncodingError(f"{what}: larger than {MAX_MANUAL_FILE} bytes")
        f = open_document(data, TYPE, what)
        base = f.hex("base", 32)
        station_id = f.text("station_id", max_length=64)
        booth_id = f.text("booth_id", max_length=64)
        papers = f.integer("papers", 0, MAX_PAPERS)
        reason = f.text("reason", max_length=MAX_REASON)
        counts = []
        for n, item in enumerate(f.array("counts")):
            c = Fields(item, f"{what}: count {n}")
            qid = c.text("question_id", max_length=64)
            values = [c.integer(a, 0, MAX_PAPERS) for a in ANSWERS]
            c.finish()
            counts.append(QuestionCount(qid, *values))
        signature = f.hex("signature", SIGNATURE_BYTES)
        f.finish()
        return cls(base, station_id, booth_id, papers, reason, tuple(counts), signature)

    def check(self, definition: Definition) -> None:
        """The booth and station are the definition's; every question once, in order; each
        question's answers add up to the papers; a reason is given."""
        label = f"manual count of booth {self.booth_id}"
        try:
            station = definition.station_of_booth(self.booth_id)
        except KeyError:
            raise ManualCountError(f"{label}: not a booth of the definition") from None
        if station.station_id != self.station_id:
            raise ManualCountError(
                f"{label}: names station {self.station_id}; the booth is at {station.station_id}"
            )
        if not self.reason:
            raise ManualCountError(f"{label}: no reason given (why both media were lost)")
        # What the reader (from_json) refuses, the signer refuses too: a signed count no
        # verifier can read helps no one (as ballots/pollbook_count.py does).
        if len(self.reason) > MAX_REASON:
            raise ManualCountError(f"{label}: the reason is longer than {MAX_REASON} characters")
        for value in (self.papers, *(getattr(c, a) for c in self.counts for a in ANSWERS)):
            if type(value) is not int or not 0 <= value <= MAX_PAPERS:
                raise ManualCountError(
                    f"{label}: every count is a whole number from 0 to {MAX_PAPERS:,}"
                )
        if tuple(c.question_id for c in self.counts) != definition.question_ids():
            raise ManualCountError(
                f"{label}: the counts must list the questions "
                f"{', '.join(definition.question_ids())} once each, in that order"
            )
        for c in self.counts:
            if c.papers != self.papers:
                raise ManualCountError(
                    f"{label}: question {c.question_id}: yes {c.yes:,} + no {c.no:,} + blank "
                    f"{c.blank:,} + declined {c.declined:,} = {c.papers:,}, not the "
                    f"{self.papers:,} papers counted"
                )

    def verify(self, key: VerifyKey, base: bytes) -> None:
        """Signed by `key` (the authority's, from the verified package, never from this file)
        for the election `base`."""
        if self.base != base:
            raise ManualCountError(f"manual count of booth {self.booth_id}: another election's")
        try:
            key.verify(self.signature, PURPOSE, *self.payload())
        except CryptoError:
            raise ManualCountError(
                f"manual count of booth {self.booth_id}: the authority's signature does not verify"
            ) from None


def open_manual_count(
    data: bytes, key: VerifyKey, base: bytes, definition: Definition, what: str = "manual count"
) -> ManualCount:
    """Read a manual count and check its signature (the authority's key from the verified
    package), then its booth, questions and arithmetic; ManualCountError otherwise."""
    try:
        count = ManualCount.from_json(data, what)
    except EncodingError as exc:
        raise ManualCountError(str(exc)) from None
    count.verify(key, base)
    count.check(definition)
    return count


def add_manual(counts: list[StationCount], manual: list[ManualCount]) -> list[StationCount]:
    """Each station's counts with its hand-counted booths added (plaintext, after decryption),
    in the order of `counts`, then any station and question only a hand count has."""
    merged: dict[tuple[str, str], Count] = {(c.station_id, c.question_id): c.count for c in counts}
    for hand in manual:
        for c in hand.station_counts():
            key = (c.station_id, c.question_id)
            merged[key] = merged.get(key, Count(0, 0, 0)) + c.count
    return [StationCount(s, q, count) for (s, q), count in merged.items()]
