"""The published election record: its files, their formats, writing and reading them.

docs/election-record.md is the specification; this module is one implementation of it.

    record/
      index.json                     signed by the tally station: every other file and its
                                     fingerprint, and the record's state
      package/package.json           the public election package (signed by the authority)
      package/definition.json
      package/ceremony/…             the key ceremony's public folder (the files package.json lists)
      booths/<booth_id>.json         each booth's signed export
      pollbook/<station_id>.json     each station's signed poll-book count (optional for now)
      manual/<booth_id>.json         a lost booth's hand count, signed by the authority
      tally/sums.json                the ordered list of sums to decrypt
      tally/shares/trustee-NN.json   each trustee's signed decryption shares   (final only)
      tally/results.json             decrypted sums, totals, Art. 29 outcomes  (final only)

In the pre-decryption state (what trustees receive to compute their shares), the record has
no shares and no results. `allowed_paths` is this layout as a list; nothing else may be in a
record, and a record holds regular files and folders only (`scan_record`, `read_record_file`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballots.errors import RecordError
from ballots.export import BoothExport
from ballots.manual_count import ManualCount
from ballots.package import PublicPackage
from ballots.pollbook_count import PollBookCount
from ballots.results import Count, SumSpec, Total
from ballots.rule import Article29
from crypto.ceremony.messages import CeremonyParameters
from crypto.elgamal import Ciphertext
from crypto.encoding import PROTOCOL_VERSION, canonical_json, from_hex, to_hex
from crypto.errors import CryptoError, EncodingError
from crypto.fields import Fields, open_document
from crypto.files import (
    FileError,
    make_folder,
    read_file,
    regular_files,
    staged_folder,
    write_atomic,
)
from crypto.hashing import file_fingerprint
from crypto.hazmat.proofs import ChallengeResponse
from crypto.signing import (
    SIGNATURE_BYTES,
    SigningKey,
    VerifyKey,
    check_signed_as_read,
    message_fingerprint,
    signed_json,
)
from crypto.threshold import PartialDecryption

PRE_DECRYPTION = "pre-decryption"
FINAL = "final"
MAX_RECORD_FILE = 256 << 20
MAX_COUNT = 2**53 - 1


def trustee_number(trustee: int, n: int) -> str:
    """A trustee's number in file names: two digits, three when n > 99 (as in PROTOCOL §6.2)."""
    return f"{trustee:03d}" if n > 99 else f"{trustee:02d}"


def shares_path(trustee: int, n: int) -> str:
    return f"tally/shares/trustee-{trustee_number(trustee, n)}.json"


RESULTS_PATH = "tally/results.json"
SUMS_PATH = "tally/sums.json"


def pollbook_path(station_id: str) -> str:
    return f"pollbook/{station_id}.json"


def manual_path(booth_id: str) -> str:
    """A lost booth's hand count (ballots.manual_count), in place of its export (V16)."""
    return f"manual/{booth_id}.json"


def allowed_paths(
    booth_ids: Iterable[str],
    station_ids: Iterable[str],
    ceremony_paths: Iterable[str],
    n: int,
    state: str,
) -> frozenset[str]:
    """Every path index.json may list (docs/election-record.md §1), for a record in `state`."""
    paths = {"package/package.json", "package/definition.json", SUMS_PATH}
    paths |= {f"package/ceremony/{p}" for p in ceremony_paths}
    booth_ids = list(booth_ids)
    paths |= {booth_path(b) for b in booth_ids}
    paths |= {manual_path(b) for b in booth_ids}  # a booth's export or its hand count (V16)
    paths |= {pollbook_path(s) for s in station_ids}  # optional (V15)
    if state == FINAL:
        paths |= {shares_path(t, n) for t in range(1, n + 1)}
        paths.add(RESULTS_PATH)
    return frozenset(paths)


def required_paths(ceremony_paths: Iterable[str], state: str) -> frozenset[str]:
    """The paths every record in `state` lists (booth exports and shares are V4's and V11's)."""
    paths = {"package/package.json", "package/definition.json", SUMS_PATH}
    paths |= {f"package/ceremony/{p}" for p in ceremony_paths}
    if state == FINAL:
        paths.add(RESULTS_PATH)
    return frozenset(paths)


# Reading a record's files ------------------------------------------------------------------


def scan_record(folder: Path, under: str = "") -> tuple[frozenset[str], frozenset[str]]:
    """The regular files and the folders of a record (paths relative to `folder`, with `/`).

    Only `folder/under` is walked. Raises RecordError naming the first entry (by path) that is
    a symbolic link, FIFO, socket or device: a record holds regular files and folders only.
    """
    files: set[str] = set()
    folders: set[str] = set()
    bad: list[tuple[str, str]] = []
    start = folder / under if under else folder
    try:
        top = os.lstat(start)
    except FileNotFoundError:
        raise RecordError(f"{under or folder}: missing") from None
    if not stat.S_ISDIR(top.st_mode):
        raise RecordError(f"{under or folder}: not a folder (a record holds regular files only)")
    pending = [under]
    while pending:
        relative = pending.pop()
        try:
            entries = list(os.scandir(folder / relative if relative else folder))
        except OSError as exc:
            raise RecordError(f"{relative or folder}: cannot be listed ({exc.strerror})") from None
        for entry in entries:
            path = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_symlink():
                bad.append((path, "a symbolic link"))
            elif entry.is_dir(follow_symlinks=False):
                folders.add(path)
                pending.append(path)
            elif entry.is_file(follow_symlinks=False):
                files.add(path)
            else:
                bad.append((path, "a FIFO, socket or device"))
    if bad:
        path, what = min(bad)
        raise RecordError(f"{path}: is {what}; a record holds regular files and folders only")
    return frozenset(files), frozenset(folders)


def read_record_file(folder: Path, relative: str, limit: int = MAX_RECORD_FILE) -> bytes:
    """The bytes of one regular file of a record, at most `limit` bytes (RecordError if not).

    `crypto.files.read_file` does the reading (no symlink, FIFO, device or folder; the size
    checked before and bounded while reading); the error names the path inside the record.
    """
    try:
        return read_file(folder / relative, limit)
    except FileError as exc:
        reason = "missing" if exc.reason == "no such file" else exc.reason
        raise RecordError(f"{relative}: {reason}") from None


# index.json ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordIndex:
    manifest_hash: bytes
    base: bytes
    state: str
    files: tuple[tuple[str, bytes], ...]  # (path, fingerprint), sorted by path
    signature: bytes
    # A benchmark record made by `refvote dev synth-record`, never an election: the member
    # `"synthetic": true` is present only then (docs/election-record.md §2).
    synthetic: bool = False

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "refvote/record-index",
            "version": PROTOCOL_VERSION,
            "manifest_hash": to_hex(self.manifest_hash),
            "base": to_hex(self.base),
            "state": self.state,
            "files": [{"path": p, "fingerprint": to_hex(h)} for p, h in self.files],
        }
        if self.synthetic:
            body["synthetic"] = True
        return body

    def payload(self) -> tuple[bytes, bytes]:
        return (self.base, message_fingerprint(self.body()))

    def to_json(self) -> bytes:
        return signed_json(self.body(), self.signature)

    def verify_signature(self, key: VerifyKey) -> None:
        try:
            key.verify(self.signature, "record", *self.payload())
        except CryptoError:
            raise RecordError("index.json: the tally station's signature does not verify") from None

    @classmethod
    def from_json(cls, data: bytes) -> RecordIndex:
        f = open_document(data, "refvote/record-index", "index.json")
        files = []
        for item in f.array("files"):
            e = Fields(item, "index.json: file")
            path = e.text("path", max_length=300)
            if path.startswith("/") or ".." in path.split("/") or "\\" in path:
                raise e.error("path", "must be a relative path inside the record")
            files.append((path, e.hex("fingerprint", 32)))
            e.finish()
        state = f.text("state", max_length=20)
        if state not in (PRE_DECRYPTION, FINAL):
            raise f.error("state", f"must be {PRE_DECRYPTION!r} or {FINAL!r}")
        synthetic = False
        if f.present("synthetic"):
            f.constant("synthetic", True)  # present only as true: one encoding per record
            synthetic = True
        index = cls(
            f.hex("manifest_hash", 32),
            f.hex("base", 32),
            state,
            tuple(files),
            f.hex("signature", SIGNATURE_BYTES),
            synthetic,
        )
        f.finish()
        if [p for p, _ in files] != sorted({p for p, _ in files}):
            raise EncodingError("index.json: files must be sorted by path and unique")
        check_signed_as_read(data, index.body(), "index.json")
        return index


# tally/sums.json ---------------------------------------------------------------------------


def sums_to_json(base: bytes, sums: Sequence[SumSpec]) -> bytes:
    return canonical_json(
        {
            "type": "refvote/sums",
            "version": PROTOCOL_VERSION,
            "base": to_hex(base),
            "sums": [
                {
                    "station_id": s.station_id,
                    "question_id": s.question_id,
                    "ballots": [to_hex(b) for b in s.ballot_ids],
                    "alpha": to_hex(s.ciphertext.alpha.to_bytes()),
                    "beta": to_hex(s.ciphertext.beta.to_bytes()),
                }
                for s in sums
            ],
        }
    )


def sums_from_json(data: bytes) -> tuple[bytes, list[SumSpec]]:
    f = open_document(data, "refvote/sums", "tally/sums.json")
    base = f.hex("base", 32)
    sums = []
    for n, item in enumerate(f.array("sums")):
        s = Fields(item, f"tally/sums.json: sum {n}")
        sums.append(
            SumSpec(
                s.text("station_id", max_length=64),
                s.text("question_id", max_length=64),
                tuple(from_hex(b, 16, what="ballot_id") for b in s.array("ballots")),
                Ciphertext(s.point("alpha"), s.point("beta")),
            )
        )
        s.finish()
    f.finish()
    return base, sums


# tally/shares/trustee-NN.json ----------------------------------------------------------------


@dataclass(frozen=True)
class SharesFile:
    base: bytes
    trustee: int
    shares: tuple[PartialDecryption, ...]  # one per sum, in sums.json order
    signature: bytes

    def payload(self, sums: Sequence[SumSpec]) -> tuple[Any, ...]:
        if len(sums) != len(self.shares):
            raise RecordError(
                f"trustee {self.trustee}: {len(self.shares)} shares for {len(sums)} sums"
            )
        items: list[Any] = [self.base, self.trustee]
        for s, p in zip(sums, self.shares, strict=True):
            items.extend((s.ciphertext.alpha, p.share, p.proof.c, p.proof.v))
        return tuple(items)

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "type": "refvote/decryption-shares",
                "version": PROTOCOL_VERSION,
                "base": to_hex(self.base),
                "trustee": self.trustee,
                "shares": [
                    {
                        "D": to_hex(p.share.to_bytes()),
                        "c": to_hex(p.proof.c.to_bytes()),
                        "v": to_hex(p.proof.v.to_bytes()),
                    }
                    for p in self.shares
                ],
                "signature": to_hex(self.signature),
            }
        )

    @classmethod
    def sign(
        cls,
        key: SigningKey,
        base: bytes,
        trustee: int,
        shares: Sequence[PartialDecryption],
        sums: Sequence[SumSpec],
    ) -> SharesFile:
        unsigned = cls(base, trustee, tuple(shares), b"")
        return cls(base, trustee, tuple(shares), key.sign("share", *unsigned.payload(sums)))

    @classmethod
    def from_json(cls, data: bytes, what: str = "decryption shares") -> SharesFile:
        f = open_document(data, "refvote/decryption-shares", what)
        shares = []
        for n, item in enumerate(f.array("shares")):
            s = Fields(item, f"{what}: share {n}")
            shares.append(
                PartialDecryption(s.point("D"), ChallengeResponse(s.scalar("c"), s.scalar("v")))
            )
            s.finish()
        file = cls(
            f.hex("base", 32),
            f.integer("trustee", 1, 255),
            tuple(shares),
            f.hex("signature", SIGNATURE_BYTES),
        )
        f.finish()
        return file


# tally/results.json -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecryptedCount:
    station_id: str
    question_id: str
    T: int
    count: Count


@dataclass(frozen=True)
class Results:
    base: bytes
    quorum: tuple[int, ...]
    decrypted: tuple[DecryptedCount, ...]  # in sums.json order
    totals: tuple[Total, ...]
    outcomes: tuple[tuple[str, Article29], ...]
    # Booths counted by hand (manual/<booth_id>.json, added to the totals), in definition order.
    manual_counts: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "type": "refvote/results",
                "version": PROTOCOL_VERSION,
                "base": to_hex(self.base),
                "quorum": list(self.quorum),
                "sums": [
                    {
                        "station_id": d.station_id,
                        "question_id": d.question_id,
                        "ballots": d.count.ballots,
                        "T": d.T,
                        "yes": d.count.yes,
                        "no": d.count.no,
                        "blank": d.count.blank,
                    }
                    for d in self.decrypted
                ],
                "totals": [
                    {
                        "level": t.level,
                        "area": t.area,
                        "question_id": t.question_id,
                        "eligible": t.eligible,
                        "ballots": t.count.ballots,
                        "yes": t.count.yes,
                        "no": t.count.no,
                        "blank": t.count.blank,
                    }
                    for t in self.totals
                ],
                "outcomes": [{"question_id": qid, **o.to_obj()} for qid, o in self.outcomes],
                "manual_counts": list(self.manual_counts),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> Results:
        what = "tally/results.json"
        f = open_document(data, "refvote/results", what)
        base = f.hex("base", 32)
        quorum = tuple(_int(q, "quorum") for q in f.array("quorum"))
        decrypted = []
        for n, item in enumerate(f.array("sums")):
            s = Fields(item, f"{what}: sum {n}")
            station, question = (
                s.text("station_id", max_length=64),
                s.text("question_id", max_length=64),
            )
            count = _count(s)
            decrypted.append(DecryptedCount(station, question, s.integer("T", 0, MAX_COUNT), count))
            s.finish()
        all_totals = []
        for n, item in enumerate(f.array("totals")):
            t = Fields(item, f"{what}: total {n}")
            level, area = t.text("level", max_length=10), t.raw("area")
            if not isinstance(area, str):
                raise t.error("area", "must be text")
            question, eligible = (
                t.text("question_id", max_length=64),
                t.integer("eligible", 0, MAX_COUNT),
            )
            all_totals.append(Total(level, area, question, eligible, _count(t)))
            t.finish()
        outs = []
        for n, item in enumerate(f.array("outcomes")):
            o = Fields(item, f"{what}: outcome {n}")
            qid = o.text("question_id", max_length=64)
            passed = o.raw("passed")
            if not isinstance(passed, bool):
                raise o.error("passed", "must be true or false")
            outs.append(
                (
                    qid,
                    Article29(
                        o.integer("eligible", 0, MAX_COUNT),
                        o.integer("yes", 0, MAX_COUNT),
                        o.integer("no", 0, MAX_COUNT),
                        o.integer("threshold", 0, MAX_COUNT),
                        passed,
                        o.integer("yes_missing_for_threshold", 0, MAX_COUNT),
                        o.integer("yes_missing_for_majority", 0, MAX_COUNT),
                    ),
                )
            )
            o.finish()
        manual = []
        for n, item in enumerate(f.array("manual_counts")):
            if not isinstance(item, str) or not 0 < len(item) <= 64:
                raise EncodingError(f"{what}: manual_counts {n}: expected a booth ID")
            manual.append(item)
        f.finish()
        return cls(base, quorum, tuple(decrypted), tuple(all_totals), tuple(outs), tuple(manual))


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 255:
        raise EncodingError(f"tally/results.json: {what}: expected a trustee number")
    return value


def _count(f: Fields) -> Count:
    ballots, yes, no = (
        f.integer("ballots", 0, MAX_COUNT),
        f.integer("yes", 0, MAX_COUNT),
        f.integer("no", 0, MAX_COUNT),
    )
    blank = f.integer("blank", 0, MAX_COUNT)
    if yes + no + blank != ballots:
        raise EncodingError("yes + no + blank must equal the ballots that took the question")
    return Count(ballots, yes, no)


# Writing ---------------------------------------------------------------------------------


def booth_path(booth_id: str) -> str:
    return f"booths/{booth_id}.json"


def write_record(
    folder: Path,
    package_folder: Path,
    exports: Sequence[BoothExport],
    sums: Sequence[SumSpec],
    tally_key: SigningKey,
    shares: Sequence[SharesFile] = (),
    results: Results | None = None,
    pollbook: Sequence[PollBookCount] = (),
    manual: Sequence[ManualCount] = (),
    synthetic: bool = False,
) -> RecordIndex:
    """Write a complete record (pre-decryption without shares and results) and sign its index.
    `synthetic`: a benchmark record (`refvote dev synth-record`), labelled so in index.json.

    The confidential part of the package is never copied. The folder must not exist yet, so
    a record is never half-overwritten.
    """
    if (results is None) != (not shares):
        raise RecordError(
            "a final record has both shares and results; a pre-decryption one, neither"
        )
    files: dict[str, bytes] = {}
    for name in ("package.json", "definition.json"):
        files[f"package/{name}"] = read_file(package_folder / name, MAX_RECORD_FILE)
    for path in regular_files(package_folder / "ceremony", ".json"):
        files[f"package/ceremony/{path.relative_to(package_folder / 'ceremony')}"] = read_file(
            path, MAX_RECORD_FILE
        )
    for export in exports:
        files[booth_path(export.booth_id)] = export.to_json()
    for count in pollbook:
        files[pollbook_path(count.station_id)] = count.to_json()
    for hand in manual:
        files[manual_path(hand.booth_id)] = hand.to_json()
    package = PublicPackage.from_json(files["package/package.json"])
    base = package.base
    files[SUMS_PATH] = sums_to_json(base, sums)
    n = CeremonyParameters.from_json(files["package/ceremony/ceremony.json"]).n
    for share_file in shares:
        files[shares_path(share_file.trustee, n)] = share_file.to_json()
    if results is not None:
        files[RESULTS_PATH] = results.to_json()
    unsigned = RecordIndex(
        package.manifest_hash,
        base,
        FINAL if results is not None else PRE_DECRYPTION,
        tuple(sorted((p, file_fingerprint(d)) for p, d in files.items())),
        b"",
        synthetic,
    )
    index = RecordIndex(
        **{**unsigned.__dict__, "signature": tally_key.sign("record", *unsigned.payload())}
    )
    files["index.json"] = index.to_json()
    # Staged in a folder unique to this process, renamed into place when complete: the record
    # either exists whole under its name or not at all (crypto.files.staged_folder).
    with staged_folder(folder) as staging:
        for relative, data in files.items():
            make_folder((staging / relative).parent)
            write_atomic(staging / relative, data)
    return index
