"""What the booth prints (the data, not the layout): the paper record and the receipt.

The paper record shows each question's case number and short title with the voter's answer in
large type, in zh-TW and en, the random ballot ID, a TEST or OFFICIAL banner, and a
low-density QR code of the ballot ID and the answers. The receipt carries the tracking code
only: its short form in print, the full code in a small QR. Neither holds a time, a sequence
number, or anything about the voter.

QR payload of the paper record (ASCII, so a QR in alphanumeric-friendly byte mode stays small):

    RV1 <ballot_id, 32 hex> <question_id>=<Y|N|B|D> …     (D: declined)

Receipt QR payload: the 64-hex full tracking code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ballots.ballot import BALLOT_ID_BYTES, Choice, PlaintextBallot
from ballots.chain import short_code
from ballots.definition import Definition
from ballots.errors import BallotError

_LETTER = {Choice.YES: "Y", Choice.NO: "N", Choice.BLANK: "B"}
_FROM_LETTER = {v: k for k, v in _LETTER.items()}
_QR = re.compile(r"RV1 ([0-9a-f]{32})((?: [0-9A-Za-z._-]{1,64}=[YNBD])+)")


@dataclass(frozen=True, slots=True)
class PaperLine:
    case_number: str
    short_title_zh: str
    short_title_en: str
    answer_zh: str
    answer_en: str


@dataclass(frozen=True, slots=True)
class PaperRecord:
    banner: str  # "OFFICIAL 正式" or "TEST 測試"
    title_zh: str
    title_en: str
    lines: tuple[PaperLine, ...]
    ballot_id: str  # grouped for reading
    qr_payload: str


@dataclass(frozen=True, slots=True)
class Receipt:
    banner: str
    title_zh: str
    title_en: str
    short_code: str
    qr_payload: str


def _banner(official: bool) -> str:
    return "OFFICIAL 正式" if official else "TEST 測試"


def _answer(definition: Definition, choice: Choice | None) -> tuple[str, str]:
    o = definition.options
    match choice:
        case Choice.YES:
            return o.yes_zh, o.yes_en
        case Choice.NO:
            return o.no_zh, o.no_en
        case Choice.BLANK:
            return "空白", "Blank"
        case None:
            return "不領取", "Declined"


def paper_record(
    definition: Definition, plaintext: PlaintextBallot, ballot_id: bytes, official: bool
) -> PaperRecord:
    if len(ballot_id) != BALLOT_ID_BYTES:
        raise BallotError("ballot_id must be 16 bytes")
    lines = []
    codes = []
    for q in definition.questions:
        choice = plaintext.choices.get(q.question_id)
        zh, en = _answer(definition, choice)
        lines.append(PaperLine(q.case_number, q.short_title_zh, q.short_title_en, zh, en))
        codes.append(f"{q.question_id}={_LETTER[choice] if choice else 'D'}")
    grouped = " ".join(ballot_id.hex()[i : i + 4] for i in range(0, 32, 4))
    return PaperRecord(
        _banner(official),
        definition.title_zh,
        definition.title_en,
        tuple(lines),
        grouped,
        f"RV1 {ballot_id.hex()} {' '.join(codes)}",
    )


def parse_paper_qr(payload: str) -> tuple[bytes, dict[str, Choice | None]]:
    """Read a paper record's QR payload back (for audits); BallotError on anything else."""
    m = _QR.fullmatch(payload)
    if m is None:
        raise BallotError("not a refvote paper-record QR payload")
    answers: dict[str, Choice | None] = {}
    for item in m.group(2).split():
        qid, letter = item.split("=")
        if qid in answers:
            raise BallotError(f"question {qid} appears twice in the QR payload")
        answers[qid] = None if letter == "D" else _FROM_LETTER[letter]
    return bytes.fromhex(m.group(1)), answers


def receipt(definition: Definition, code: bytes, official: bool) -> Receipt:
    return Receipt(
        _banner(official), definition.title_zh, definition.title_en, short_code(code), code.hex()
    )
