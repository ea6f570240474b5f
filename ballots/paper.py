"""What the booth prints (the data, not the layout): the paper record, the receipt and slips.

The rule (PROTOCOL §5, issue 8): nothing printed may appear in, or be computed from, the public
record, except the receipt's own tracking code. So

- the **paper record** shows the TEST/OFFICIAL banner, the referendum's title, each question's
  case number and short title with the voter's answer (zh-TW and en), a line saying it goes into
  the ballot box, and a QR code of the answers only. It carries no ballot ID, no code, no booth,
  no time: two voters who gave the same answers get identical paper records. Ballot-polling
  audits compare paper with the published totals and need no link to the record.
- the **receipt** carries the tracking code (short form in print, the full code in its QR) and
  fixed texts: keep it, and where to look the code up.
- the **challenged slip** (after a challenge) says the record just printed is not counted and
  tells the voter to vote again; the **void slip** (after a print failure) tells the poll
  worker to put the torn part in the void envelope. Neither carries anything of the ballot.

Paper-record QR payload (ASCII, every question of the definition in definition order):

    RV2 <question_id>=<Y|N|B|D> …        Y 同意, N 不同意, B blank, D declined

Receipt QR payload: the 64-hex full tracking code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ballots.ballot import Choice, PlaintextBallot
from ballots.chain import short_code
from ballots.definition import Definition
from ballots.errors import BallotError

QR_PREFIX = "RV2"
BLANK_ZH, BLANK_EN = "空白（無效票）", "Blank (counted as invalid)"
DECLINED_ZH, DECLINED_EN = "不領取", "Declined"
DEFAULT_LOOKUP_PLACE_ZH = "選舉紀錄公布網站"
DEFAULT_LOOKUP_PLACE_EN = "the published election record"

_LETTER = {Choice.YES: "Y", Choice.NO: "N", Choice.BLANK: "B"}
_FROM_LETTER: dict[str, Choice | None] = {**{v: k for k, v in _LETTER.items()}, "D": None}
_QR = re.compile(rf"{QR_PREFIX}((?: [0-9A-Za-z][0-9A-Za-z._-]{{0,63}}=[YNBD])+)")


@dataclass(frozen=True, slots=True)
class Bilingual:
    zh: str
    en: str


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
    heading: Bilingual
    lines: tuple[PaperLine, ...]
    deposit: Bilingual  # put this record in the ballot box
    qr_payload: str


@dataclass(frozen=True, slots=True)
class Receipt:
    banner: str
    title_zh: str
    title_en: str
    heading: Bilingual
    short_code: str  # grouped for reading
    qr_payload: str  # the full code, 64 hex
    notes: tuple[Bilingual, ...]  # keep it; it shows no choice; where to look it up


@dataclass(frozen=True, slots=True)
class Slip:
    """A slip that carries only fixed texts: the challenged slip and the void slip."""

    banner: str
    title_zh: str
    title_en: str
    heading: Bilingual
    notes: tuple[Bilingual, ...]


PAPER_HEADING = Bilingual("投票紀錄聯", "Paper record")
DEPOSIT = Bilingual("請投入票匭", "Put this record in the ballot box")
RECEIPT_HEADING = Bilingual("追蹤碼", "Tracking code")
CHALLENGED_HEADING = Bilingual("已挑戰・不計票", "CHALLENGED – NOT COUNTED")
VOID_HEADING = Bilingual("作廢", "VOID")


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
            return BLANK_ZH, BLANK_EN
        case None:
            return DECLINED_ZH, DECLINED_EN


def paper_qr(definition: Definition, plaintext: PlaintextBallot) -> str:
    """The paper record's QR payload: the answer to every question, in definition order."""
    unknown = set(plaintext.choices) - set(definition.question_ids())
    if unknown:
        raise BallotError(f"unknown question {sorted(unknown)[0]!r}")
    items = []
    for qid in definition.question_ids():
        choice = plaintext.choices.get(qid)
        items.append(f"{qid}={_LETTER[choice] if choice is not None else 'D'}")
    return " ".join([QR_PREFIX, *items])


def paper_record(definition: Definition, plaintext: PlaintextBallot, official: bool) -> PaperRecord:
    """The voter-verifiable paper record: the answers and fixed texts, nothing of the ballot."""
    qr = paper_qr(definition, plaintext)
    lines = []
    for q in definition.questions:
        zh, en = _answer(definition, plaintext.choices.get(q.question_id))
        lines.append(PaperLine(q.case_number, q.short_title_zh, q.short_title_en, zh, en))
    return PaperRecord(
        _banner(official),
        definition.title_zh,
        definition.title_en,
        PAPER_HEADING,
        tuple(lines),
        DEPOSIT,
        qr,
    )


def parse_paper_qr(payload: str, definition: Definition) -> dict[str, Choice | None]:
    """Read a paper record's QR payload back (for audits): question_id → choice (None for
    declined). BallotError unless it is exactly the definition's questions in order."""
    m = _QR.fullmatch(payload)
    if m is None:
        raise BallotError("not a refvote paper-record QR payload")
    answers: dict[str, Choice | None] = {}
    for item in m.group(1).split():
        qid, letter = item.split("=")
        if qid in answers:
            raise BallotError(f"question {qid} appears twice in the QR payload")
        answers[qid] = _FROM_LETTER[letter]
    if tuple(answers) != definition.question_ids():
        raise BallotError("the QR payload does not list this referendum's questions in order")
    return answers


def receipt(
    definition: Definition,
    code: bytes,
    official: bool,
    lookup_place_zh: str = DEFAULT_LOOKUP_PLACE_ZH,
    lookup_place_en: str = DEFAULT_LOOKUP_PLACE_EN,
) -> Receipt:
    """The receipt: the tracking code (short in print, full in the QR) and fixed texts."""
    return Receipt(
        _banner(official),
        definition.title_zh,
        definition.title_en,
        RECEIPT_HEADING,
        short_code(code),
        code.hex(),
        (
            Bilingual("請保留此收據", "Keep this receipt"),
            Bilingual("收據不顯示您的選擇", "It does not show your choices"),
            Bilingual(
                f"請至{lookup_place_zh}查詢此追蹤碼",
                f"Look this code up in {lookup_place_en}",
            ),
        ),
    )


def challenged_slip(definition: Definition, official: bool) -> Slip:
    """Printed after the voter challenged: the paper record just printed is not counted."""
    return Slip(
        _banner(official),
        definition.title_zh,
        definition.title_en,
        CHALLENGED_HEADING,
        (
            Bilingual("剛才列印的投票紀錄不計票", "The paper record just printed is not counted"),
            Bilingual(
                "請勿投入票匭，請交給工作人員",
                "Do not put it in the ballot box: give it to a poll worker",
            ),
            Bilingual(
                "請保留收據，可查詢本機加密的內容",
                "Keep the receipt: its code shows what the booth encrypted",
            ),
            Bilingual("請重新投票", "Please vote again"),
        ),
    )


def void_slip(definition: Definition, official: bool) -> Slip:
    """Printed after a print failure: the torn paper record is void."""
    return Slip(
        _banner(official),
        definition.title_zh,
        definition.title_en,
        VOID_HEADING,
        (
            Bilingual(
                "投票紀錄未完整列印，此票作廢，不計票",
                "The paper record did not print completely: this ballot is void and not counted",
            ),
            Bilingual(
                "工作人員：請將撕下的部分放入作廢信封",
                "Poll worker: put the torn part in the void envelope",
            ),
            Bilingual("選民請重新投票", "The voter votes again"),
        ),
    )
