"""The booth export: one booth's polling day, signed by the booth's key.

    {"type": "refvote/booth-export", "version": PROTOCOL_VERSION, "manifest_hash", "base",
     "station_id", "booth_id", "opening_nonce",
     "chain":   [{"kind": "cast" | "challenged" | "void", "ballot_hash"}, …]   in chain order
     "ballots": [{<encrypted ballot>, "status": "cast" | "challenged",
                  "reveal": null | [{"question_id", "m", "r"}, …]}, …] sorted by ballot_id
     "counts":  {"cast", "challenged", "voided"},
     "close", "log_head", "signature"}

`log_head` is the head of the booth's hash-chained event log (booth/eventlog.py) when polls
closed, the value printed on the closing report (32 bytes; all zero from a booth that keeps
no log, such as `ExportBuilder`'s simulated booths). The log itself is not published: the
export's signature commits the booth to it, and the verifier checks only its form.

Signed with purpose `export`: base, booth_id, opening_nonce, close, H("file", the export
without its signature). Ballots are stored sorted by ballot_id, so their order reveals
nothing beyond the chain, which is published by design. A ballot's `status` must be the kind
of its chain entry (the verifier's V5 and V8).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ballots.ballot import EncryptedBallot, QuestionReveal
from ballots.chain import (
    ChainEntry,
    EntryKind,
    chain_close,
    chain_link,
    chain_open,
    tracking_code,
)
from ballots.errors import ExportError
from crypto.encoding import PROTOCOL_VERSION, to_hex
from crypto.errors import CryptoError
from crypto.fields import Fields, open_document
from crypto.signing import (
    SIGNATURE_BYTES,
    SigningKey,
    VerifyKey,
    check_signed_as_read,
    message_fingerprint,
    signed_json,
)

MAX_BALLOTS = 65535
LOG_HEAD_BYTES = 32
_KINDS = {k.value: k for k in EntryKind}


class Status(enum.Enum):
    CAST = "cast"
    CHALLENGED = "challenged"

    @property
    def entry_kind(self) -> EntryKind:
        """The chain entry kind a ballot of this status must have."""
        return EntryKind(self.value)


@dataclass(frozen=True, slots=True)
class ExportedBallot:
    ballot: EncryptedBallot
    status: Status
    reveal: tuple[QuestionReveal, ...] | None  # only for challenged ballots


@dataclass(frozen=True, slots=True)
class Counts:
    cast: int
    challenged: int
    voided: int


@dataclass(frozen=True)
class BoothExport:
    manifest_hash: bytes
    base: bytes
    station_id: str
    booth_id: str
    opening_nonce: bytes
    chain: tuple[ChainEntry, ...]
    ballots: tuple[ExportedBallot, ...]
    counts: Counts
    close: bytes
    log_head: bytes  # the booth's event-log head at closing (what the closing report prints)
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "type": "refvote/booth-export",
            "version": PROTOCOL_VERSION,
            "manifest_hash": to_hex(self.manifest_hash),
            "base": to_hex(self.base),
            "station_id": self.station_id,
            "booth_id": self.booth_id,
            "opening_nonce": to_hex(self.opening_nonce),
            "chain": [
                {"kind": e.kind.value, "ballot_hash": to_hex(e.ballot_hash)} for e in self.chain
            ],
            "ballots": [
                {
                    **b.ballot.to_obj(),
                    "status": b.status.value,
                    "reveal": None if b.reveal is None else [r.to_obj() for r in b.reveal],
                }
                for b in self.ballots
            ],
            "counts": {
                "cast": self.counts.cast,
                "challenged": self.counts.challenged,
                "voided": self.counts.voided,
            },
            "close": to_hex(self.close),
            "log_head": to_hex(self.log_head),
        }

    def payload(self) -> tuple[bytes, str, bytes, bytes, bytes]:
        return (
            self.base,
            self.booth_id,
            self.opening_nonce,
            self.close,
            message_fingerprint(self.body()),
        )

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    def verify_signature(self, key: VerifyKey) -> None:
        try:
            key.verify(self.signature, "export", *self.payload())
        except CryptoError:
            raise ExportError(f"booth {self.booth_id}: export signature does not verify") from None

    @classmethod
    def from_json(cls, data: bytes, what: str = "booth export") -> BoothExport:
        """Parse an export (form only: signatures, chain and proofs are the verifier's)."""
        f = open_document(data, "refvote/booth-export", what)
        chain = []
        for n, item in enumerate(f.array("chain")):
            e = Fields(item, f"{what}: chain entry {n}")
            kind = e.text("kind", max_length=12)
            if kind not in _KINDS:
                raise e.error("kind", "must be 'cast', 'challenged' or 'void'")
            chain.append(ChainEntry(_KINDS[kind], e.hex("ballot_hash", 32)))
            e.finish()
        raw_ballots = f.array("ballots")
        if len(raw_ballots) > MAX_BALLOTS:
            raise f.error("ballots", f"more than {MAX_BALLOTS} ballots")
        ballots = []
        for n, item in enumerate(raw_ballots):
            b = Fields(item, f"{what}: ballot {n}")
            ballot = EncryptedBallot.read(b, f"{what}: ballot {n}")
            status_text = b.text("status", max_length=12)
            if status_text not in ("cast", "challenged"):
                raise b.error("status", "must be 'cast' or 'challenged'")
            status = Status(status_text)
            reveal = None
            if b.optional("reveal"):
                reveal = tuple(
                    QuestionReveal.from_obj(r, f"{what}: ballot {n}: reveal")
                    for r in b.array("reveal")
                )
            if (status is Status.CHALLENGED) != (reveal is not None):
                raise b.error("reveal", "present exactly for challenged ballots")
            b.finish()
            ballots.append(ExportedBallot(ballot, status, reveal))
        c = f.obj("counts")
        counts = Counts(
            c.integer("cast", 0, MAX_BALLOTS),
            c.integer("challenged", 0, MAX_BALLOTS),
            c.integer("voided", 0, MAX_BALLOTS),
        )
        c.finish()
        export = cls(
            f.hex("manifest_hash", 32),
            f.hex("base", 32),
            f.text("station_id", max_length=64),
            f.text("booth_id", max_length=64),
            f.hex("opening_nonce", 32),
            tuple(chain),
            tuple(ballots),
            counts,
            f.hex("close", 32),
            f.hex("log_head", LOG_HEAD_BYTES),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        ids = [b.ballot.ballot_id for b in export.ballots]
        if ids != sorted(ids):
            raise ExportError(f"{what}: ballots are not sorted by ballot_id")
        check_signed_as_read(data, export.body(), what)
        return export


class ExportBuilder:
    """A booth's chain and ballots through the polling day; signs the export at closing.

    One ballot at a time is pending: `fix` computes its tracking code (printed before the
    voter decides), then exactly one of `cast`, `challenge` or `void` settles it and extends
    the chain with its fate.
    """

    def __init__(
        self,
        manifest_hash: bytes,
        base: bytes,
        station_id: str,
        booth_id: str,
        opening_nonce: bytes,
    ) -> None:
        self.manifest_hash, self.base = manifest_hash, base
        self.station_id, self.booth_id = station_id, booth_id
        self.opening_nonce = opening_nonce
        self.link = chain_open(base, booth_id, opening_nonce)
        self.chain: list[ChainEntry] = []
        self.ballots: list[ExportedBallot] = []
        self._pending: tuple[EncryptedBallot, bytes, bytes] | None = None
        self.counts = {EntryKind.CAST: 0, EntryKind.CHALLENGED: 0, EntryKind.VOID: 0}

    def fix(self, ballot: EncryptedBallot) -> bytes:
        """Fix the pending ballot's tracking code (what the receipt prints)."""
        if self._pending is not None:
            raise ExportError("the previous ballot was neither cast, challenged nor voided")
        if (ballot.station_id, ballot.booth_id) != (self.station_id, self.booth_id):
            raise ExportError("the ballot belongs to another booth")
        ballot_hash = ballot.hash(self.base)
        code = tracking_code(self.link, ballot_hash)
        self._pending = (ballot, ballot_hash, code)
        return code

    def _settle(self, kind: EntryKind) -> EncryptedBallot:
        if self._pending is None:
            raise ExportError("no ballot is pending")
        (ballot, ballot_hash, code), self._pending = self._pending, None
        self.link = chain_link(code, kind)
        self.chain.append(ChainEntry(kind, ballot_hash))
        self.counts[kind] += 1
        return ballot

    def cast(self) -> None:
        ballot = self._settle(EntryKind.CAST)
        self.ballots.append(ExportedBallot(ballot, Status.CAST, None))

    def challenge(self, reveal: tuple[QuestionReveal, ...]) -> None:
        ballot = self._settle(EntryKind.CHALLENGED)
        self.ballots.append(ExportedBallot(ballot, Status.CHALLENGED, reveal))

    def void(self) -> None:
        self._settle(EntryKind.VOID)

    def close(self, key: SigningKey, log_head: bytes = bytes(LOG_HEAD_BYTES)) -> BoothExport:
        if self._pending is not None:
            raise ExportError("a ballot is still pending: cast, challenge or void it first")
        if len(log_head) != LOG_HEAD_BYTES:
            raise ExportError(f"an event-log head is {LOG_HEAD_BYTES} bytes")
        counts = Counts(
            self.counts[EntryKind.CAST],
            self.counts[EntryKind.CHALLENGED],
            self.counts[EntryKind.VOID],
        )
        close = chain_close(self.link, counts.cast, counts.challenged, counts.voided)
        unsigned = BoothExport(
            self.manifest_hash,
            self.base,
            self.station_id,
            self.booth_id,
            self.opening_nonce,
            tuple(self.chain),
            tuple(sorted(self.ballots, key=lambda b: b.ballot.ballot_id)),
            counts,
            close,
            log_head,
            b"",
        )
        signature = key.sign("export", *unsigned.payload())
        return BoothExport(**{**unsigned.__dict__, "signature": signature})
