"""A station's signed poll-book count, written at closing and imported by the tally station.

    {"type": "refvote/pollbook-count", "version": 2, "base": hex32, "station_id": "S1",
     "counts": {"voted": n, "checked_in_not_cast": n, "released": n, "cardless": n,
                "completed_after_release": n},
     "signature": hex64}

- `voted`: check-ins completed (the booths' casts, card and card-less); `cardless`: of those,
  the ones checked in with a one-time code; `checked_in_not_cast`: check-ins still in progress
  at closing; `released`: stuck check-ins a poll worker released on evidence;
  `completed_after_release`: released check-ins whose booth later reported a cast (each one
  means the evidence was wrong; the verifier shows it).
- signature: by the station's poll-book key (package.json `station_keys`), purpose
  `pollbook-count`, payload `base, station_id, H("file", the file without its signature)`.

This module reads and checks the file; the tally station and the verifier import it without
importing the booth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballots.errors import PackageError
from crypto.encoding import PROTOCOL_VERSION, to_hex
from crypto.errors import CryptoError, EncodingError
from crypto.fields import open_document
from crypto.signing import SIGNATURE_BYTES, SigningKey, VerifyKey, message_fingerprint, signed_json

TYPE = "refvote/pollbook-count"
PURPOSE = "pollbook-count"
MAX_COUNT_FILE = 4096
COUNT_NAMES = ("voted", "checked_in_not_cast", "released", "cardless", "completed_after_release")
MAX_COUNT = 65_535


class PollBookCountError(PackageError):
    """A poll-book count that is malformed, unsigned, or for another station or election."""


@dataclass(frozen=True)
class PollBookCount:
    base: bytes
    station_id: str
    voted: int
    checked_in_not_cast: int
    released: int
    cardless: int
    completed_after_release: int
    signature: bytes

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_NAMES}

    def body(self) -> dict[str, Any]:
        return {
            "type": TYPE,
            "version": PROTOCOL_VERSION,
            "base": to_hex(self.base),
            "station_id": self.station_id,
            "counts": self.counts(),
        }

    def payload(self) -> tuple[bytes, str, bytes]:
        return (self.base, self.station_id, message_fingerprint(self.body()))

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    @classmethod
    def sign(
        cls, key: SigningKey, base: bytes, station_id: str, counts: dict[str, int]
    ) -> PollBookCount:
        if set(counts) != set(COUNT_NAMES) or cardless_exceeds(counts):
            raise PollBookCountError("the counts are not the poll book's five, or cardless > voted")
        for name, value in counts.items():
            # Refuse what the reader refuses: a signed count no one can read helps no one.
            if type(value) is not int or not 0 <= value <= MAX_COUNT:
                raise PollBookCountError(f"count {name} must be an integer from 0 to {MAX_COUNT}")
        unsigned = cls(base, station_id, **counts, signature=b"")
        return cls(base, station_id, **counts, signature=key.sign(PURPOSE, *unsigned.payload()))

    @classmethod
    def from_json(cls, data: bytes, what: str = "poll-book count") -> PollBookCount:
        if len(data) > MAX_COUNT_FILE:
            raise EncodingError(f"{what}: larger than {MAX_COUNT_FILE} bytes")
        f = open_document(data, TYPE, what)
        base = f.hex("base", 32)
        station_id = f.text("station_id", max_length=64)
        c = f.obj("counts", f"{what}: counts")
        counts = {name: c.integer(name, 0, MAX_COUNT) for name in COUNT_NAMES}
        c.finish()
        signature = f.hex("signature", SIGNATURE_BYTES)
        f.finish()
        if cardless_exceeds(counts):
            raise EncodingError(f"{what}: more card-less voters than voters")
        return cls(base, station_id, **counts, signature=signature)

    def verify(self, key: VerifyKey, base: bytes, station_id: str) -> None:
        """Raise PollBookCountError unless this is `station_id`'s count for the election `base`,
        signed by `key` (the station key from the verified package, never from this file)."""
        if (self.base, self.station_id) != (base, station_id):
            raise PollBookCountError(
                f"poll-book count of {self.station_id}: not station {station_id}'s "
                "count for this election"
            )
        try:
            key.verify(self.signature, PURPOSE, *self.payload())
        except CryptoError:
            raise PollBookCountError(
                f"poll-book count of {station_id}: the poll book's signature does not verify"
            ) from None


def cardless_exceeds(counts: dict[str, int]) -> bool:
    return counts["cardless"] > counts["voted"]


def open_pollbook_count(data: bytes, key: VerifyKey, base: bytes, station_id: str) -> PollBookCount:
    """Read and check a station's count against the package's station key."""
    try:
        count = PollBookCount.from_json(data)
    except EncodingError as exc:
        raise PollBookCountError(str(exc)) from None
    count.verify(key, base, station_id)
    return count
