"""The audit itself: manifest, sample, entries, findings, risk, and the signed audit record.

docs/audit.md is the specification. The audit record (`audit.json`, canonical JSON):

    {"type":"refvote/audit-record","version":2,"record":"<election record fingerprint, hex>",
     "seed":"<digits>","risk_limit":"1/20",
     "manifest":[{"booth_id":…,"station_id":…,"papers":…}, …],
     "questions":[{"question_id":…,"eligible":…,"threshold":…,"yes":…,"no":…,"passed":…}, …],
     "entries":[{"draw":1,"booth_id":…,"position":…,"status":"read|missing|foreign",
                 "answers":"17=Y 18=D"|"","qr":"RV2 …"|null}, …],
     "assertions":[{"question_id":…,"kind":…,"p_value":"…"}, …],
     "board_key":"<hex>","signature":"<hex>"}

`signature`: by the audit board's key, purpose `audit-record`, payload H("file", the record
without its signature member). `refvote audit verify` recomputes the sample from the seed and the
manifest, every p-value from the entries, and checks the signature against the board key's
fingerprint read aloud.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

from ballots.definition import Definition
from ballots.errors import BallotError
from ballots.export import BoothExport
from ballots.manual_count import ManualCount
from ballots.paper import parse_paper_qr
from ballots.record import Results, booth_path, manual_path, read_record_file
from ballots.rule import Article29, article29
from crypto.encoding import PROTOCOL_VERSION, canonical_json, to_hex
from crypto.errors import CryptoError
from crypto.fields import Fields, open_document
from crypto.files import read_file, write_atomic
from crypto.hashing import file_fingerprint
from crypto.signing import SigningKey, VerifyKey, message_bytes
from tally.audit.assertions import Assertion, Reading, alpha_p_values, assertions_for, reading
from tally.audit.sampler import check_seed, draw

MAX_AUDIT_FILE = 64 << 20
PURPOSE = "audit-record"
DEFAULT_RISK_LIMIT = Fraction(1, 20)


class AuditError(Exception):
    """The audit cannot go on as asked; the message says what to do."""


class Status(Enum):
    READ = "read"  # the paper is there and the board read it
    MISSING = "missing"  # no paper at that position: worst case
    FOREIGN = "foreign"  # not a paper record of this box (other box, TEST, CHALLENGED): worst case


@dataclass(frozen=True, slots=True)
class Box:
    booth_id: str
    station_id: str
    papers: int


@dataclass(frozen=True, slots=True)
class Manifest:
    boxes: tuple[Box, ...]

    @property
    def papers(self) -> int:
        return sum(b.papers for b in self.boxes)

    def locate(self, index: int) -> tuple[str, int]:
        """(booth_id, 1-based position in its box) of the 0-based index in manifest order."""
        if not 0 <= index < self.papers:
            raise AuditError(f"paper {index} is outside the manifest")
        for box in self.boxes:
            if index < box.papers:
                return box.booth_id, index + 1
            index -= box.papers
        raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Draw:
    draw: int
    booth_id: str
    position: int


@dataclass(frozen=True, slots=True)
class Entry:
    draw: int
    booth_id: str
    position: int
    status: Status
    answers: str  # "17=Y 18=D" as the board read the printed text; "" unless READ
    qr: str | None  # the QR payload decoded or typed, if any


@dataclass(frozen=True, slots=True)
class Finding:
    draw: int
    kind: str  # "qr-disagrees" | "qr-unreadable" | "missing" | "foreign"
    detail: str


@dataclass(frozen=True, slots=True)
class AssertionResult:
    assertion: Assertion
    p_values: tuple[float, ...]

    @property
    def p_value(self) -> float:
        return (
            self.p_values[-1] if self.p_values else (0.0 if self.assertion.trivially_true else 1.0)
        )


@dataclass(frozen=True, slots=True)
class Evaluation:
    results: tuple[AssertionResult, ...]
    findings: tuple[Finding, ...]
    risk_limit: Fraction
    sample_size: int

    def confirmed(self, question_id: str) -> bool:
        return all(
            r.p_value <= self.risk_limit
            for r in self.results
            if r.assertion.question_id == question_id
        )

    @property
    def all_confirmed(self) -> bool:
        return all(r.p_value <= self.risk_limit for r in self.results)


@dataclass(frozen=True, slots=True)
class _Questions:
    ids: tuple[str, ...]

    def question_ids(self) -> tuple[str, ...]:
        return self.ids


@dataclass(frozen=True)
class Audit:
    """An audit's fixed part: everything the sample and the assertions follow from."""

    record: bytes  # the election record's fingerprint
    seed: str
    risk_limit: Fraction
    manifest: Manifest
    outcomes: tuple[tuple[str, Article29], ...]

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if not 0 < self.risk_limit < 1:
            raise AuditError("the risk limit must be between 0 and 1 (e.g. 0.05)")
        if self.manifest.papers < 1:
            raise AuditError("the record has no cast ballots, so no paper to audit")

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q for q, _ in self.outcomes)

    def assertions(self) -> tuple[Assertion, ...]:
        return tuple(
            a for qid, o in self.outcomes for a in assertions_for(qid, o, self.manifest.papers)
        )

    def sample(self, first: int, count: int) -> list[Draw]:
        """Draws first … first + count − 1 as (booth, position) for the poll workers."""
        out = []
        for i in range(first, first + count):
            booth_id, position = self.manifest.locate(draw(self.seed, i, self.manifest.papers))
            out.append(Draw(i, booth_id, position))
        return out

    def read_paper(self, entry: Entry) -> tuple[dict[str, Reading], list[Finding]]:
        """What counts for each question (the human reading wins), and the entry's findings."""
        qids = self.question_ids
        if entry.status is not Status.READ:
            if entry.answers:
                raise AuditError(
                    f"entry {entry.draw}: a {entry.status.value} paper has no answers; "
                    "leave the answers column empty"
                )
            kind = entry.status.value
            return {q: Reading.WORST for q in qids}, [
                Finding(entry.draw, kind, f"{entry.booth_id} #{entry.position}: counted worst case")
            ]
        text = parse_answers(entry.answers, qids)
        findings = []
        if entry.qr is not None:
            try:
                qr = parse_paper_qr(entry.qr, cast(Definition, _Questions(qids)))
            except BallotError as exc:
                findings.append(Finding(entry.draw, "qr-unreadable", str(exc)))
            else:
                differ = [q for q in qids if reading(qr[q]) is not text[q]]
                if differ:
                    detail = ", ".join(
                        f"{q}: text {text[q].value}, QR {reading(qr[q]).value}" for q in differ
                    )
                    findings.append(Finding(entry.draw, "qr-disagrees", detail))
        return text, findings

    def evaluate(self, entries: Sequence[Entry]) -> Evaluation:
        """The running p-value of every assertion over the entries (which must be the sample)."""
        expected = self.sample(1, len(entries))
        readings = []
        findings: list[Finding] = []
        for e, d in zip(entries, expected, strict=True):
            if (e.draw, e.booth_id, e.position) != (d.draw, d.booth_id, d.position):
                raise AuditError(
                    f"entry {e.draw} is {e.booth_id} #{e.position}, but draw {d.draw} of the "
                    f"sample is {d.booth_id} #{d.position}: enter the sample in its order"
                )
            r, f = self.read_paper(e)
            readings.append(r)
            findings.extend(f)
        results = tuple(
            AssertionResult(
                a, tuple(alpha_p_values(a, [a.value(r[a.question_id]) for r in readings]))
            )
            for a in self.assertions()
        )
        return Evaluation(results, tuple(findings), self.risk_limit, len(entries))


def parse_answers(text: str, question_ids: Sequence[str]) -> dict[str, Reading]:
    """ "17=Y 18=N 19=B 20=D": every question once, in order (letters as on the QR)."""
    out: dict[str, Reading] = {}
    for item in text.split():
        qid, sep, letter = item.partition("=")
        letters = {r.value: r for r in Reading if r is not Reading.WORST}
        if not sep or letter.upper() not in letters:
            raise AuditError(f"answer {item!r}: write <question>=<Y|N|B|D>")
        if qid in out:
            raise AuditError(f"question {qid} is entered twice")
        out[qid] = letters[letter.upper()]
    if tuple(out) != tuple(question_ids):
        raise AuditError(
            f"enter every question once, in order: {' '.join(q + '=…' for q in question_ids)}"
        )
    return out


def answers_text(answers: dict[str, Reading]) -> str:
    return " ".join(f"{q}={r.value}" for q, r in answers.items())


def answers_from_qr(audit: Audit, payload: str) -> str:
    """The answers a paper's QR payload gives, as the board would enter them; AuditError if it
    is not a paper record of this referendum."""
    try:
        qr = parse_paper_qr(payload, cast(Definition, _Questions(audit.question_ids)))
    except BallotError as exc:
        raise AuditError(f"not a paper record of this referendum: {exc}") from None
    return answers_text({q: reading(c) for q, c in qr.items()})


# From the election record ---------------------------------------------------------------


def audit_from_record(
    folder: Path, authority: str | None, seed: str, risk_limit: Fraction = DEFAULT_RISK_LIMIT
) -> Audit:
    """Verify the record (pinned to the authority's fingerprint), then take its manifest and
    reported outcomes. AuditError, with the verifier's report, if the record does not verify."""
    from tally.verify import verify_record

    report = io.StringIO()
    if not verify_record(folder, authority, report):
        raise AuditError(
            "the election record does not verify; audit only a verified record:\n"
            + report.getvalue().rstrip()
        )
    try:
        definition = Definition.from_json(read_record_file(folder, "package/definition.json"))
        results = Results.from_json(read_record_file(folder, "tally/results.json"))
        boxes = []
        for station in definition.stations:
            for booth_id in station.booths:
                if booth_id in results.manual_counts:  # a lost booth: its box was hand-counted
                    hand = ManualCount.from_json(read_record_file(folder, manual_path(booth_id)))
                    boxes.append(Box(booth_id, station.station_id, hand.papers))
                    continue
                export = BoothExport.from_json(read_record_file(folder, booth_path(booth_id)))
                boxes.append(Box(booth_id, station.station_id, export.counts.cast))
        index = read_record_file(folder, "index.json")
    except (CryptoError, BallotError, ValueError) as exc:
        raise AuditError(f"{folder}: {exc}") from None
    return Audit(
        file_fingerprint(index),
        check_seed(seed),
        risk_limit,
        Manifest(tuple(boxes)),
        results.outcomes,
    )


# The audit record -----------------------------------------------------------------------


def _fmt(p: float) -> str:
    return f"{p:.6e}"


def record_body(audit: Audit, entries: Sequence[Entry], board: VerifyKey) -> dict[str, Any]:
    evaluation = audit.evaluate(entries)
    return {
        "type": "refvote/audit-record",
        "version": PROTOCOL_VERSION,
        "record": to_hex(audit.record),
        "seed": audit.seed,
        "risk_limit": f"{audit.risk_limit.numerator}/{audit.risk_limit.denominator}",
        "manifest": [
            {"booth_id": b.booth_id, "station_id": b.station_id, "papers": b.papers}
            for b in audit.manifest.boxes
        ],
        "questions": [{"question_id": q, **o.to_obj()} for q, o in audit.outcomes],
        "entries": [
            {
                "draw": e.draw,
                "booth_id": e.booth_id,
                "position": e.position,
                "status": e.status.value,
                "answers": e.answers,
                "qr": e.qr,
            }
            for e in entries
        ],
        "assertions": [
            {
                "question_id": r.assertion.question_id,
                "kind": r.assertion.kind.value,
                "p_value": _fmt(r.p_value),
            }
            for r in evaluation.results
        ],
        "board_key": to_hex(board.raw),
    }


def write_audit_record(
    path: Path, audit: Audit, entries: Sequence[Entry], board: SigningKey
) -> bytes:
    body = record_body(audit, entries, board.verify_key)
    signature = board.sign(PURPOSE, file_fingerprint(canonical_json(body)))
    data = canonical_json({**body, "signature": to_hex(signature)})
    write_atomic(path, data)
    return data


@dataclass(frozen=True)
class VerifiedAudit:
    audit: Audit
    entries: tuple[Entry, ...]
    evaluation: Evaluation
    board: VerifyKey


def read_audit_record(path: Path, board_fingerprint: str | None) -> VerifiedAudit:
    """Read, check the signature (against the board key read aloud, when given), recompute the
    sample and every p-value; AuditError naming the first thing that does not hold."""
    from tally.verify import VerificationFailed, normalise_authority

    try:
        data = read_file(path, MAX_AUDIT_FILE)
        f = open_document(data, "refvote/audit-record", str(path))
        record = f.hex("record", 32)
        seed = f.text("seed", max_length=100)
        num, _, den = f.text("risk_limit", max_length=40).partition("/")
        if not (num.isdigit() and den.isdigit() and int(den) > 0):
            raise f.error("risk_limit", "must be a fraction such as 1/20")
        boxes = []
        for n, item in enumerate(f.array("manifest")):
            b = Fields(item, f"{path}: manifest {n}")
            boxes.append(
                Box(
                    b.text("booth_id", max_length=64),
                    b.text("station_id", max_length=64),
                    b.integer("papers", 0, 65535),
                )
            )
            b.finish()
        outcomes = []
        for n, item in enumerate(f.array("questions")):
            q = Fields(item, f"{path}: question {n}")
            qid = q.text("question_id", max_length=64)
            given = Article29(
                q.integer("eligible", 0, 1 << 40),
                q.integer("yes", 0, 1 << 40),
                q.integer("no", 0, 1 << 40),
                q.integer("threshold", 0, 1 << 40),
                _boolean(q, "passed"),
                q.integer("yes_missing_for_threshold", 0, 1 << 40),
                q.integer("yes_missing_for_majority", 0, 1 << 40),
            )
            q.finish()
            if article29(given.eligible, given.yes, given.no) != given:
                raise AuditError(
                    f"{path}: question {qid}: the outcome is not Art. 29 of its counts"
                )
            outcomes.append((qid, given))
        entries = []
        for n, item in enumerate(f.array("entries")):
            e = Fields(item, f"{path}: entry {n}")
            status = e.text("status", max_length=10)
            if status not in {s.value for s in Status}:
                raise e.error("status", "must be read, missing or foreign")
            answers = e.raw("answers")
            qr = e.raw("qr")
            if not isinstance(answers, str) or not (qr is None or isinstance(qr, str)):
                raise e.error("answers", "answers must be text and qr text or null")
            entries.append(
                Entry(
                    e.integer("draw", 1, 1 << 30),
                    e.text("booth_id", max_length=64),
                    e.integer("position", 1, 65535),
                    Status(status),
                    answers,
                    qr,
                )
            )
            e.finish()
        claimed = [(a["question_id"], a["kind"], a["p_value"]) for a in f.array("assertions")]
        board = VerifyKey(f.hex("board_key", 32))
        signature = f.hex("signature", 64)
        f.finish()
        board.verify(signature, PURPOSE, file_fingerprint(message_bytes(data, what=str(path))))
    except (CryptoError, KeyError, TypeError) as exc:
        raise AuditError(f"{path}: {exc}") from None
    if board_fingerprint is not None:
        try:
            want = normalise_authority(board_fingerprint)
        except VerificationFailed as exc:
            raise AuditError(f"--board: {exc}") from None
        if normalise_authority(board.read_aloud()) != want:
            raise AuditError(
                f"{path}: signed by board key {board.read_aloud()}, not the board key given"
            )
    audit = Audit(
        record, seed, Fraction(int(num), int(den)), Manifest(tuple(boxes)), tuple(outcomes)
    )
    evaluation = audit.evaluate(entries)
    recomputed = [
        (r.assertion.question_id, r.assertion.kind.value, _fmt(r.p_value))
        for r in evaluation.results
    ]
    if recomputed != claimed:
        raise AuditError(
            f"{path}: the assertions or p-values differ from those recomputed: {recomputed}"
        )
    return VerifiedAudit(audit, tuple(entries), evaluation, board)


def _boolean(f: Fields, name: str) -> bool:
    value = f.raw(name)
    if not isinstance(value, bool):
        raise f.error(name, "must be true or false")
    return value


def check_against_record(audit: Audit, other: Audit) -> None:
    """The audit record's manifest and outcomes are those of the (verified) election record."""
    if (audit.record, audit.manifest, audit.outcomes) != (
        other.record,
        other.manifest,
        other.outcomes,
    ):
        raise AuditError(
            "the audit record's election record, manifest or outcomes are not those of the "
            "record given"
        )


def findings_lines(findings: Iterable[Finding]) -> list[str]:
    return [f"draw {f.draw}: {f.kind}: {f.detail}" for f in findings]
