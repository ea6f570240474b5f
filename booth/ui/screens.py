"""What each screen says and which taps it offers: pure functions of the booth's view.

A screen is a `Spec`: a title, blocks of text and rows of buttons, every word already taken
from the catalog in the voter's language. The window (booth/ui/window.py) draws a Spec and
forwards taps; no screen decides anything about the vote, it only shows `Booth.view()`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from ballots.ballot import Choice
from ballots.definition import Definition
from booth.ui.catalog import Lang, text

Action = Callable[[], None]


class ScreenId(enum.Enum):
    WELCOME = "welcome"
    CLOSED = "closed"
    PIN = "pin"
    CHECKING = "checking"
    QUESTION = "question"
    REVIEW = "review"
    PRINTING = "printing"
    CHECK_RECORD = "check-record"
    CAST = "cast"
    CHALLENGED = "challenged"
    DECLINED = "declined"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    FAULT = "fault"
    ACCESS = "access"  # audio, volume, rate, blanking, switches (booth/ui/access.py)
    CALIBRATE = "calibrate"  # the two switches, each pressed and confirmed
    WORKER_PIN = "worker-pin"
    WORKER_MENU = "worker-menu"
    WORKER_CONFIGURE = "worker-configure"
    WORKER_PRINTER = "worker-printer"
    WORKER_CODE = "worker-code"
    WORKER_RESULT = "worker-result"
    WORKER_READER = "worker-reader"
    WORKER_STUCK = "worker-stuck"
    WORKER_RECOVER = "worker-recover"
    WORKER_OFFICER = "worker-officer"
    WORKER_SUPERVISOR = "worker-supervisor"
    WORKER_READINESS = "worker-readiness"
    WORKER_SPEAKER = "worker-speaker"
    WORKER_WALK = "worker-walk"
    WORKER_SHUTDOWN = "worker-shutdown"
    WORKER_OFF = "worker-off"


@dataclass(frozen=True)
class Label:
    text: str
    role: str = "body"  # title | body | code | notice


@dataclass(frozen=True)
class Button:
    text: str
    name: str  # the accessible name: an action phrase
    action: Action
    object_name: str
    chosen: bool = False


@dataclass(frozen=True)
class Row:
    buttons: tuple[Button, ...]
    columns: int = 0  # 0: all in one row


@dataclass(frozen=True)
class Entry:
    name: str
    object_name: str
    on_submit: Callable[[str], None]
    masked: bool = False


Block = Label | Row | Entry


@dataclass(frozen=True)
class Spec:
    screen: ScreenId
    title: str
    blocks: tuple[Block, ...]
    voter: bool = True  # voter screens carry the language/size/contrast bar
    notice: str = ""  # said once, for the audio mode and the tests (e.g. a wrong PIN)
    # False where a stray key press must not act: the focus starts on no control, and the
    # first move reaches the first one (the paper-record check: no cast by a bounced key).
    focus_first: bool = True
    extra: dict[str, object] = field(default_factory=dict)


class Texts:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)


CHOICES: tuple[tuple[Choice | None, str], ...] = (
    (Choice.YES, "yes"),
    (Choice.NO, "no"),
    (Choice.BLANK, "blank"),
    (None, "decline"),
)


FIXED_PIN_ORDER = "1234567890"


def pin_pad(
    t: Texts,
    prefix: str,
    digit: Callable[[str], Action],
    erase: Action,
    ok: Action,
    order: str = FIXED_PIN_ORDER,
) -> Row:
    """The pad: nine digits, erase, the tenth digit, OK, in three columns. `order` gives the
    digits' places: fixed (1–9, erase, 0, OK: the same place for each key on every screen, as a
    keypad user learns it) or, where the booth is set to shuffle, a permutation the window draws
    once per voter, so an onlooker cannot read the PIN from where the finger goes."""
    if sorted(order) != sorted(FIXED_PIN_ORDER):
        raise ValueError("a PIN pad order is the ten digits, each once")
    keys: list[Button] = [
        Button(d, t("pin.digit.name", d=d), digit(d), f"{prefix}-digit-{d}") for d in order[:9]
    ]
    keys.append(Button(t("pin.erase"), t("pin.erase.name"), erase, f"{prefix}-erase"))
    last = order[9]
    keys.append(Button(last, t("pin.digit.name", d=last), digit(last), f"{prefix}-digit-{last}"))
    keys.append(Button(t("pin.ok"), t("pin.ok.name"), ok, f"{prefix}-ok"))
    return Row(tuple(keys), columns=3)


def answer_text(t: Texts, answers: dict[str, Choice | None], qid: str) -> str:
    if qid not in answers:
        return t("review.unanswered")
    key = dict(CHOICES)[answers[qid]] if answers[qid] is not None else "decline"
    return t(f"answer.{key}")


def question(
    t: Texts,
    definition: Definition,
    index: int,
    answers: dict[str, Choice | None],
    choose: Callable[[Choice | None], Action],
    previous: Action | None,
    forward: Action,
    last: bool,
    split: bool = False,
    page: int = 0,
    turn: Callable[[int], Action] | None = None,
) -> Spec:
    """`split`: the text is too large for one screen with the official Chinese text under
    the English: that text moves to a second page behind a visible More button."""
    q = definition.questions[index]
    zh = t.lang is Lang.ZH
    short = q.short_title_zh if zh else q.short_title_en
    body = q.text_zh if zh else q.text_en
    blocks: list[Block] = [Label(t("question.case", case=q.case_number, short=short), "title")]
    official = not zh and q.english_unofficial
    paging: list[Button] = []
    if split and official and turn is not None:
        if page == 0:
            blocks.append(Label(body, "question"))
            paging.append(Button(t("more"), t("more.name"), turn(1), "more"))
        else:
            blocks.append(Label(t("question.unofficial") + " " + q.text_zh))
            paging.append(Button(t("previous_page"), t("previous_page.name"), turn(0), "page-back"))
    else:
        blocks.append(Label(body, "question"))
        if official:
            blocks.append(Label(t("question.unofficial") + " " + q.text_zh))
    buttons = []
    for choice, key in CHOICES:
        chosen = q.question_id in answers and answers[q.question_id] is choice
        label = t(f"choice.{key}")
        buttons.append(
            Button(
                t("chosen" if chosen else "unchosen", label=label),
                t(f"choice.{key}.name"),
                choose(choice),
                f"choice-{key}",
                chosen,
            )
        )
    blocks.append(Row(tuple(buttons), columns=2))
    nav = paging
    if previous is not None:
        nav.append(
            Button(t("question.previous"), t("question.previous.name"), previous, "previous")
        )
    fwd = "question.review" if last else "question.next"
    nav.append(Button(t(fwd), t(f"{fwd}.name"), forward, "forward"))
    blocks.append(Row(tuple(nav)))
    return Spec(
        ScreenId.QUESTION,
        t("question.progress", n=index + 1, of=len(definition.questions)),
        tuple(blocks),
        extra={"question_id": q.question_id},
    )


def review(
    t: Texts,
    definition: Definition,
    answers: dict[str, Choice | None],
    change: Callable[[int], Action],
    print_record: Action,
    page: int,
    per_page: int,
    turn: Callable[[int], Action],
) -> Spec:
    zh = t.lang is Lang.ZH
    questions = definition.questions
    pages = max(1, -(-len(questions) // per_page))
    page = min(page, pages - 1)
    blocks: list[Block] = []
    for i in range(page * per_page, min(len(questions), (page + 1) * per_page)):
        q = questions[i]
        short = q.short_title_zh if zh else q.short_title_en
        line = t(
            "review.line",
            case=q.case_number,
            short=short,
            answer=answer_text(t, answers, q.question_id),
        )
        blocks.append(Label(line))
        blocks.append(
            Row(
                (
                    Button(
                        t("review.change"),
                        t("review.change.name", case=q.case_number),
                        change(i),
                        f"change-{q.question_id}",
                    ),
                )
            )
        )
    nav: list[Button] = []
    if pages > 1:
        blocks.append(Label(t("page", n=page + 1, of=pages)))
        if page > 0:
            nav.append(
                Button(t("previous_page"), t("previous_page.name"), turn(page - 1), "page-back")
            )
        if page < pages - 1:
            nav.append(Button(t("more"), t("more.name"), turn(page + 1), "more"))
    nav.append(Button(t("review.print"), t("review.print.name"), print_record, "print"))
    blocks.append(Row(tuple(nav)))
    return Spec(ScreenId.REVIEW, t("review.title"), tuple(blocks))


def message(
    screen: ScreenId,
    t: Texts,
    title: str,
    body: str,
    buttons: tuple[Button, ...] = (),
    voter: bool = True,
    code: str | None = None,
) -> Spec:
    blocks: list[Block] = [Label(body)]
    if code is not None:
        blocks.insert(0, Label(code, "code"))
    if buttons:
        blocks.append(Row(buttons))
    return Spec(screen, title, tuple(blocks), voter=voter)
