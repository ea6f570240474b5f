"""The booth's Qt screens (booth/ui), driven through taps only, over a real Booth on a bench.

Offscreen Qt (QT_QPA_PLATFORM=offscreen), a real election package, in-process eID cards, the
real printer driver to the virtual printer, an in-memory poll book (tests/booth_core_helpers).
Every tap is a press and a release inside the button's rectangle; no sleeps: the window's
`rendered` signal and qtbot.waitUntil.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from ballots.ballot import Choice
from booth.core.ballot import BallotState
from booth.core.polls import PollsState
from booth.core.session import SessionState
from booth.ui import screens
from booth.ui.audio import Speaker
from booth.ui.catalog import CATALOG, MAY_BE_EMPTY, Lang, MissingText, text
from booth.ui.screens import ScreenId
from booth.ui.theme import FAMILY, Contrast, TextSize, Theme, contrast_ratio, mm_to_px
from booth.ui.window import BoothWindow, UiSettings
from tests.booth_core_helpers import (
    CARD_PIN,
    DEFINITION,
    STRANGER,
    VOTERS,
    WORKER_PINS,
    Bench,
    Election,
    build_election,
)

Q19_ZH = (
    "你是否同意公民投票案公告成立後半年內，若該期間內遇有全國性選舉時，在符合公民投票"
    "法規定之情形下，公民投票應與該選舉同日舉行？"
)
Q19_EN = (
    "Do you agree that, if a national election falls within six months after a refere"
    "ndum proposal is announced as established, the referendum should be held on the "
    "same day as that election, where the Referendum Act allows?"
)
Q20_EN = (
    "Do you agree that CPC's third LNG terminal should be moved away from the Datan a"
    "lgal reef coast and waters in Taoyuan?"
)
FOUR = DEFINITION.replace(
    "[[stations]]",
    f"""[[questions]]
question_id = "19"
case_number = "第19案"
short_title_zh = "公投與大選同日"
short_title_en = "Referendums with general elections"
text_zh = "{Q19_ZH}"
text_en = "{Q19_EN}"
english_unofficial = true

[[questions]]
question_id = "20"
case_number = "第20案"
short_title_zh = "三接遷離藻礁"
short_title_en = "Relocating the third LNG terminal"
text_zh = "您是否同意中油第三天然氣接收站遷離桃園大潭藻礁海岸及海域？"
text_en = "{Q20_EN}"
english_unofficial = true

[[stations]]""",
)
W, H = 1920, 1080
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the app


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return build_election(tmp_path_factory.mktemp("election"), FOUR)


@pytest.fixture
def bench(election: Election, tmp_path: Path):  # type: ignore[no-untyped-def]
    b = Bench(election, tmp_path / "booth")
    yield b
    b.stop()


def window(
    qtbot, bench: Bench, opened: bool = True, speaker: Speaker | None = None, shuffle: bool = False
) -> BoothWindow:  # type: ignore[no-untyped-def]
    booth = bench.opened() if opened else bench.start()
    settings = UiSettings(
        bench.election.folder, bench.usb, tick_ms=24 * 3600 * 1000, shuffle_pin_pad=shuffle
    )
    ui = BoothWindow(booth, settings, speaker)
    qtbot.addWidget(ui)
    ui.resize(W, H)
    ui.show()
    qtbot.waitExposed(ui)
    return ui


def tap(qtbot, ui: BoothWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    """Press and release inside the button's rectangle, as a finger does."""
    button = ui.find_button(name)
    assert button.isVisible() and button.isEnabled(), name
    with qtbot.waitSignal(ui.rendered, timeout=10000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())


def screen(ui: BoothWindow) -> ScreenId:
    assert ui.spec is not None
    return ui.spec.screen


def shown_text(ui: BoothWindow) -> str:
    return "\n".join(w.text() for w in ui.findChildren(QLabel) if w.isVisible())


def insert_and_pin(
    qtbot,
    ui: BoothWindow,
    bench: Bench,
    voter: str = VOTERS[0],  # type: ignore[no-untyped-def]
    pin: str = CARD_PIN,
) -> None:
    bench.slot.insert(bench.election, voter)
    ui.card_inserted()
    assert screen(ui) is ScreenId.PIN
    for d in pin:
        tap(qtbot, ui, f"pin-digit-{d}")
    assert "● " * len(pin) in shown_text(ui)  # masked: dots only
    assert pin not in shown_text(ui)
    tap(qtbot, ui, "pin-ok")


def qr_texts(path: Path) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(path))]


ANSWERS = {"17": ("yes", "Y"), "18": ("no", "N"), "19": ("blank", "B"), "20": ("decline", "D")}


def answer_all(qtbot, ui: BoothWindow) -> None:  # type: ignore[no-untyped-def]
    for qid, (key, _) in ANSWERS.items():
        assert screen(ui) is ScreenId.QUESTION and ui.spec.extra["question_id"] == qid
        tap(qtbot, ui, f"choice-{key}")
    assert screen(ui) is ScreenId.REVIEW


def print_and_check(qtbot, ui: BoothWindow) -> None:  # type: ignore[no-untyped-def]
    button = ui.find_button("print")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    assert screen(ui) is ScreenId.PRINTING  # drawn before the printer is asked
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.CHECK_RECORD, timeout=30000)


# The voter flows --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_full_voter_flow_through_the_screens(qtbot, bench: Bench, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    assert screen(ui) is ScreenId.WELCOME
    if lang is Lang.EN:
        tap(qtbot, ui, "bar-language")
    assert text("welcome.body", lang) in shown_text(ui)
    insert_and_pin(qtbot, ui, bench)
    answer_all(qtbot, ui)
    review = shown_text(ui)
    for key in ("yes", "no", "blank", "decline"):
        assert text(f"answer.{key}", lang) in review
    print_and_check(qtbot, ui)
    assert text("check.title", lang) in shown_text(ui)
    record, receipt = bench.virtual.pieces[-2:]  # type: ignore[union-attr]
    assert qr_texts(record) == ["RV2 " + " ".join(f"{q}={c}" for q, (_, c) in ANSWERS.items())]
    tap(qtbot, ui, "cast")
    assert screen(ui) is ScreenId.CAST
    booth = bench.booth
    assert booth is not None
    entries = booth.store.entries()
    assert [e.fate for e in entries] == [BallotState.CAST]
    view = booth.view()
    assert view is not None and view.state is SessionState.CAST and view.short_code
    assert text("cast.code", lang, code=view.short_code) in shown_text(ui)
    [full] = qr_texts(receipt)
    assert len(full) == 64
    assert bench.poll_book is not None and len(bench.poll_book.completed) == 1
    tap(qtbot, ui, "done")
    assert screen(ui) is ScreenId.WELCOME and ui.lang is Lang.ZH  # settings reset


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_challenge_then_cast_through_the_screens(qtbot, bench: Bench, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    if lang is Lang.EN:
        tap(qtbot, ui, "bar-language")
    insert_and_pin(qtbot, ui, bench)
    answer_all(qtbot, ui)
    print_and_check(qtbot, ui)
    tap(qtbot, ui, "challenge")
    assert screen(ui) is ScreenId.CHALLENGED
    assert text("challenged.body", lang) in shown_text(ui)
    tap(qtbot, ui, "vote-again")
    assert screen(ui) is ScreenId.QUESTION
    tap(qtbot, ui, "choice-no")  # 17 changed from yes to no
    for key in ("no", "blank", "decline"):
        tap(qtbot, ui, f"choice-{key}")
    print_and_check(qtbot, ui)
    record = bench.virtual.pieces[-2]  # type: ignore[index]
    assert qr_texts(record) == ["RV2 17=N 18=N 19=B 20=D"]
    tap(qtbot, ui, "cast")
    assert screen(ui) is ScreenId.CAST
    fates = [e.fate for e in bench.booth.store.entries()]  # type: ignore[union-attr]
    assert fates == [BallotState.CHALLENGED, BallotState.CAST]


def test_language_switch_mid_ballot_keeps_the_answers(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    tap(qtbot, ui, "choice-yes")
    tap(qtbot, ui, "bar-language")
    assert ui.lang is Lang.EN and screen(ui) is ScreenId.QUESTION
    assert "Do you agree that the government should ban imports" in shown_text(ui)
    tap(qtbot, ui, "previous")
    assert ui.find_button("choice-yes").text() == text("chosen", Lang.EN, label="同意 Yes")
    assert bench.booth.view().answers == {"17": Choice.YES}  # type: ignore[union-attr]
    tap(qtbot, ui, "bar-language")
    assert ui.find_button("choice-yes").text() == text("chosen", Lang.ZH, label="同意")


def test_review_change_returns_to_that_question(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    answer_all(qtbot, ui)
    tap(qtbot, ui, "change-19")
    assert screen(ui) is ScreenId.QUESTION and ui.spec.extra["question_id"] == "19"  # type: ignore[union-attr]
    tap(qtbot, ui, "choice-yes")
    tap(qtbot, ui, "choice-yes")  # 20 too
    assert bench.booth.view().answers["19"] is Choice.YES  # type: ignore[union-attr]
    assert screen(ui) is ScreenId.REVIEW


# Faults: each a full screen that says what is wrong -----------------------------------------


def test_card_pulled_mid_ballot(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    tap(qtbot, ui, "choice-yes")
    bench.slot.pull()
    ui.card_removed()
    assert screen(ui) is ScreenId.FAULT
    assert text("fault.card_pulled", Lang.ZH) in shown_text(ui)
    assert bench.booth.view().state is SessionState.CARD_PULLED  # type: ignore[union-attr]


def test_wrong_pin_shows_tries_then_blocked(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench, pin="9999")
    view = bench.booth.view()  # type: ignore[union-attr]
    assert screen(ui) is ScreenId.PIN and view.tries_left is not None
    assert text("pin.tries", Lang.ZH, n=view.tries_left) in shown_text(ui)
    for _ in range(view.tries_left):
        for d in "9999":
            tap(qtbot, ui, f"pin-digit-{d}")
        tap(qtbot, ui, "pin-ok")
    assert screen(ui) is ScreenId.REFUSED
    assert text("refused.pin-blocked", Lang.ZH) in shown_text(ui)


def test_not_on_roll_says_what_to_do(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    tap(qtbot, ui, "bar-language")
    insert_and_pin(qtbot, ui, bench, voter=STRANGER)
    assert screen(ui) is ScreenId.REFUSED
    assert text("refused.not-on-roll", Lang.EN) in shown_text(ui)


def test_already_voted(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    answer_all(qtbot, ui)
    print_and_check(qtbot, ui)
    tap(qtbot, ui, "cast")
    bench.slot.pull()
    ui.card_removed()
    assert screen(ui) is ScreenId.WELCOME
    insert_and_pin(qtbot, ui, bench)
    assert screen(ui) is ScreenId.REFUSED
    assert text("refused.already-voted", Lang.ZH) in shown_text(ui)


def test_poll_book_unreachable(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    bench.poll_book.reachable = False  # type: ignore[union-attr]
    insert_and_pin(qtbot, ui, bench)
    assert screen(ui) is ScreenId.FAULT
    assert text("fault.link_down", Lang.ZH) in shown_text(ui)


def test_printer_out_of_paper_mid_record(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    answer_all(qtbot, ui)
    v = bench.virtual
    assert v is not None
    v.paper_out_at = v.received + 400
    button = ui.find_button("print")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.FAULT, timeout=30000)
    assert text("fault.printer_fault", Lang.ZH, state=text("printer.paper out", Lang.ZH)) in (
        shown_text(ui)
    )
    assert [e.fate for e in bench.booth.store.entries()] == [BallotState.VOID]  # type: ignore[union-attr]


def test_timeout_warns_then_ends(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    bench.clock.t += 61
    ui.tick()
    assert screen(ui) is ScreenId.TIMEOUT
    tap(qtbot, ui, "still-here")
    assert screen(ui) is ScreenId.QUESTION
    bench.clock.t += 91
    ui.tick()
    assert screen(ui) is ScreenId.FAULT
    assert text("fault.timed_out", Lang.ZH) in shown_text(ui)


def test_a_tap_released_outside_does_nothing(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    button = ui.find_button("choice-yes")
    qtbot.mousePress(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    qtbot.mouseRelease(
        button, Qt.MouseButton.LeftButton, pos=QPoint(button.width() + 50, button.height() + 50)
    )
    assert bench.booth.view().answers == {}  # type: ignore[union-attr]


# Poll worker ---------------------------------------------------------------------------------


def worker_login(qtbot, ui: BoothWindow, pin: str = WORKER_PINS[0]) -> None:  # type: ignore[no-untyped-def]
    tap(qtbot, ui, "worker")
    assert screen(ui) is ScreenId.WORKER_PIN
    for d in pin:
        tap(qtbot, ui, f"worker-digit-{d}")
    tap(qtbot, ui, "worker-ok")
    assert screen(ui) is ScreenId.WORKER_MENU


def submit(qtbot, ui: BoothWindow, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    entry = ui.findChild(QLineEdit, name)
    assert entry is not None
    entry.setText(value)
    with qtbot.waitSignal(ui.rendered, timeout=30000):
        qtbot.keyClick(entry, Qt.Key.Key_Return)


def test_poll_worker_configure_open_pause_resume_close(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, opened=False)
    booth = bench.booth
    assert booth is not None and screen(ui) is ScreenId.CLOSED
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-configure")
    submit(qtbot, ui, "fingerprint", "not the fingerprint")
    assert screen(ui) is ScreenId.WORKER_RESULT and ui.spec.title == text(
        "worker.error.title", Lang.ZH
    )  # type: ignore[union-attr]
    assert booth.polls is PollsState.UNCONFIGURED
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-configure")
    submit(qtbot, ui, "fingerprint", bench.election.fingerprint)
    assert booth.polls is PollsState.CONFIGURED
    assert bench.election.fingerprint in shown_text(ui)
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    assert booth.polls is PollsState.OPEN
    assert text("worker.opened.body", Lang.ZH) in shown_text(ui)
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-pause")
    assert booth.polls is PollsState.PAUSED
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-resume")
    assert booth.polls is PollsState.OPEN
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-printer")
    assert text("worker.printer.state", Lang.ZH, state=text("printer.ready", Lang.ZH)) in (
        shown_text(ui)
    )
    tap(qtbot, ui, "printer-attended")
    assert ui.spec.title == text("worker.printer.done.title", Lang.ZH)  # type: ignore[union-attr]
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-close")
    assert booth.polls is PollsState.CLOSED
    assert "您可以取出儲存媒體" in shown_text(ui)
    assert (bench.usb / booth.export_name()).is_file()
    tap(qtbot, ui, "worker-leave")
    assert screen(ui) is ScreenId.CLOSED


def test_wrong_worker_pin_is_refused_by_the_core(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    """The core checks the PIN before the menu opens: a wrong one keeps the pad, wiped, with
    the core's refusal in the screen's language (no menu, no action)."""
    ui = window(qtbot, bench)
    tap(qtbot, ui, "worker")
    for d in "000000":
        tap(qtbot, ui, f"worker-digit-{d}")
    tap(qtbot, ui, "worker-ok")
    assert screen(ui) is ScreenId.WORKER_PIN and not ui.worker_pin
    assert text("worker.err.pin_refused", Lang.ZH) in shown_text(ui)
    assert bench.workers.refused == 1
    assert bench.booth.polls is PollsState.OPEN  # type: ignore[union-attr]


def test_card_less_voter_with_a_one_time_code(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    bench.poll_book.codes.add("ABCDEFGHJKMN")  # type: ignore[union-attr]
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-code")
    submit(qtbot, ui, "one-time-code", "abcdefghjkmn")
    assert screen(ui) is ScreenId.QUESTION
    answer_all(qtbot, ui)
    print_and_check(qtbot, ui)
    tap(qtbot, ui, "cast")
    assert [e.fate for e in bench.booth.store.entries()] == [BallotState.CAST]  # type: ignore[union-attr]


# Catalog, font, accessibility ---------------------------------------------------------------


def test_catalog_is_complete_in_both_languages() -> None:
    for key, entry in CATALOG.items():
        assert set(entry) == set(Lang), key
        for lang in Lang:
            assert entry[lang].strip() or (key, lang) in MAY_BE_EMPTY, (key, lang)
    with pytest.raises(MissingText):
        text("no.such.key", Lang.ZH)


def test_cjk_font_resolves_to_noto_sans_cjk_tc(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    label = ui.findChildren(QLabel)[0]
    info = QFontInfo(label.font())
    assert info.family() == FAMILY
    from PySide6.QtGui import QFontMetrics

    metrics = QFontMetrics(label.font())
    for ch in "同意不領取投下更正請您歡迎":
        assert metrics.inFontUcs4(ord(ch)), ch


def test_contrast_modes_measured() -> None:
    assert contrast_ratio(Contrast.BLACK_ON_WHITE.fg, Contrast.BLACK_ON_WHITE.bg) >= 20
    assert contrast_ratio(Contrast.WHITE_ON_BLACK.fg, Contrast.WHITE_ON_BLACK.bg) >= 20
    for mode in Contrast:
        assert contrast_ratio(mode.fg, mode.bg) >= 7, mode
        assert contrast_ratio(mode.button_fg, mode.button_bg) >= 7, mode
    assert len(set(Contrast)) == 4 and len(set(TextSize)) == 4


def every_voter_screen(qtbot, ui: BoothWindow, bench: Bench):  # type: ignore[no-untyped-def]
    """Walk the voter screens, yielding on each (the caller inspects it)."""
    yield
    bench.slot.insert(bench.election, VOTERS[1])
    ui.card_inserted()
    yield
    for d in CARD_PIN:
        tap(qtbot, ui, f"pin-digit-{d}")
    tap(qtbot, ui, "pin-ok")
    for _qid, (key, _) in ANSWERS.items():
        yield from every_page(qtbot, ui)
        tap(qtbot, ui, f"choice-{key}")
    yield from every_page(qtbot, ui)  # the review
    print_and_check(qtbot, ui)
    yield
    tap(qtbot, ui, "challenge")
    yield
    tap(qtbot, ui, "vote-again")
    for _qid, (key, _) in ANSWERS.items():
        tap(qtbot, ui, f"choice-{key}")
    print_and_check(qtbot, ui)
    tap(qtbot, ui, "cast")
    yield


def every_page(qtbot, ui: BoothWindow):  # type: ignore[no-untyped-def]
    yield
    while True:
        try:
            tap(qtbot, ui, "more")
        except LookupError:
            return
        yield


def focusable(ui: BoothWindow) -> list[QWidget]:
    return [
        w
        for w in ui.findChildren(QWidget)
        if w.isVisible()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and isinstance(w, (QPushButton, QLineEdit))
    ]


def check_names_and_keyboard(ui: BoothWindow) -> None:
    widgets = focusable(ui)
    assert widgets
    for w in widgets:
        assert w.accessibleName().strip(), w.objectName()
    # Tab walks every focusable control, and comes back round.
    start = ui.focusWidget()
    if start not in widgets:  # a screen that starts on no control: the first move reaches one
        assert ui.spec is not None and not ui.spec.focus_first
        ui.focusNextChild()
        start = ui.focusWidget()
    assert start in widgets
    seen = {start}
    for _ in range(len(widgets)):
        ui.focusNextChild()
        seen.add(ui.focusWidget())
    assert set(widgets) <= seen


def check_nothing_clipped(ui: BoothWindow) -> None:
    for label in ui.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        needed = label.heightForWidth(label.width())
        assert needed <= label.height(), (label.text(), needed, label.height())
        # Qt wraps between CJK characters and at spaces, never inside a Latin run.
        for run in re.findall(r"[!-~]+", label.text()):
            width = label.fontMetrics().horizontalAdvance(run)
            assert width <= label.contentsRect().width(), (run, width, label.width())
    for button in ui.findChildren(QPushButton):
        if not button.isVisible():
            continue
        # The text box inside the border and padding (the style sheet's), not the widget.
        inner_w = button.width() - 2 * (ui.theme.frame_px + 2 * ui.theme.pad_px)
        inner_h = button.height() - 2 * ui.theme.chrome_px
        metrics = button.fontMetrics()
        width = metrics.horizontalAdvance(button.text())
        assert width <= inner_w, (button.text(), width, inner_w)
        assert metrics.height() <= inner_h, (button.text(), metrics.height(), inner_h)
        assert button.height() >= mm_to_px(15) and button.width() >= mm_to_px(15), button.text()
        assert button.geometry().bottom() <= ui.height() and button.geometry().right() <= ui.width()


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_every_screen_named_keyboard_reachable_and_unclipped_at_largest(  # type: ignore[no-untyped-def]
    qtbot, bench: Bench, lang: Lang
) -> None:
    ui = window(qtbot, bench)
    if lang is Lang.EN:
        tap(qtbot, ui, "bar-language")
    while ui.theme.size is not TextSize.LARGEST:
        tap(qtbot, ui, "bar-size")
    seen = set()
    for _ in every_voter_screen(qtbot, ui, bench):
        ui.lang = lang  # a card insertion keeps the language (it resets at the end only)
        ui.theme = Theme(TextSize.LARGEST)
        ui.refresh()
        seen.add(screen(ui))
        check_names_and_keyboard(ui)
        check_nothing_clipped(ui)
    assert {
        ScreenId.WELCOME,
        ScreenId.PIN,
        ScreenId.QUESTION,
        ScreenId.REVIEW,
        ScreenId.CHECK_RECORD,
        ScreenId.CHALLENGED,
        ScreenId.CAST,
    } <= seen


def test_keyboard_alone_answers_a_question(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    assert ui.focusWidget() is ui.find_button("choice-yes")  # focus starts on the first choice
    ui.focusNextChild()
    assert ui.focusWidget() is ui.find_button("choice-no")
    with qtbot.waitSignal(ui.rendered):
        qtbot.keyClick(ui.focusWidget(), Qt.Key.Key_Space)
    assert bench.booth.view().answers == {"17": Choice.NO}  # type: ignore[union-attr]


def test_focus_is_visible(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    ui.activateWindow()
    button = ui.find_button("choice-no")
    before = button.grab().toImage()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: button.hasFocus())
    after = button.grab().toImage()
    assert before != after  # focus changes the drawing (inverted, dashed border)


def press_with_keypad(qtbot, ui: BoothWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    """Down until the named control has the focus, then select: a keypad, no touch."""
    for _ in range(40):
        if ui.focusWidget() is not None and ui.focusWidget().objectName() == name:
            break
        qtbot.keyClick(ui.focusWidget(), Qt.Key.Key_Down)
    else:
        raise AssertionError(f"{name} not reachable with the keypad")
    with qtbot.waitSignal(ui.rendered, timeout=30000):
        qtbot.keyClick(ui.focusWidget(), Qt.Key.Key_Return)


def test_full_flow_with_the_keypad_alone(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    bench.slot.insert(bench.election, VOTERS[0])
    ui.card_inserted()
    for d in CARD_PIN:
        press_with_keypad(qtbot, ui, f"pin-digit-{d}")
    press_with_keypad(qtbot, ui, "pin-ok")
    for key, _ in ANSWERS.values():
        press_with_keypad(qtbot, ui, f"choice-{key}")
    assert screen(ui) is ScreenId.REVIEW
    press_with_keypad(qtbot, ui, "print")
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.CHECK_RECORD, timeout=30000)
    qtbot.keyClick(ui.focusWidget(), Qt.Key.Key_Return)  # a bounced select: nothing happens
    assert screen(ui) is ScreenId.CHECK_RECORD and not bench.booth.store.entries()  # type: ignore[union-attr]
    press_with_keypad(qtbot, ui, "cast")
    assert screen(ui) is ScreenId.CAST
    assert [e.fate for e in bench.booth.store.entries()] == [BallotState.CAST]  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_poll_worker_screens_named_reachable_unclipped(qtbot, bench: Bench, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, opened=False)

    def check() -> None:
        ui.lang, ui.theme = lang, Theme(TextSize.LARGEST)
        ui.refresh()
        check_names_and_keyboard(ui)
        check_nothing_clipped(ui)
        for label in ui.findChildren(QLabel):  # a long path or code must still fit across
            if label.isVisible() and label.text():
                assert label.minimumSizeHint().width() <= label.width(), label.text()

    check()
    worker_login(qtbot, ui)
    check()
    tap(qtbot, ui, "worker-configure")
    check()
    submit(qtbot, ui, "fingerprint", bench.election.fingerprint)
    check()
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    check()
    tap(qtbot, ui, "worker-back")
    check()
    tap(qtbot, ui, "worker-printer")
    check()
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-code")
    check()
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-close")
    check()


def pad_order(ui: BoothWindow) -> str:
    """The digits as the voter's pad shows them, in screen order (read from the widgets)."""
    from PySide6.QtWidgets import QPushButton

    buttons = [
        b
        for b in ui.findChildren(QPushButton)
        if b.objectName().startswith("pin-digit-") and b.isVisible()
    ]
    buttons.sort(
        key=lambda b: (b.mapTo(ui, b.rect().topLeft()).y(), b.mapTo(ui, b.rect().topLeft()).x())
    )
    return "".join(b.objectName().removeprefix("pin-digit-") for b in buttons)


def test_the_pin_pad_is_fixed_by_default_and_refuses_a_bad_order() -> None:
    from booth.ui.catalog import text

    def t(key: str, **values: object) -> str:
        return text(key, Lang.EN, **values)

    row = screens.pin_pad(t, "pin", lambda d: lambda: None, lambda: None, lambda: None)
    assert [b.object_name for b in row.buttons] == [
        *(f"pin-digit-{d}" for d in "123456789"),
        "pin-erase",
        "pin-digit-0",
        "pin-ok",
    ]
    for bad in ("123456789", "1123456789", "12345678901", "123456789a"):
        with pytest.raises(ValueError):
            screens.pin_pad(t, "pin", lambda d: lambda: None, lambda: None, lambda: None, bad)


def test_a_shuffled_pin_pad_changes_per_voter_and_stays_while_typing(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, shuffle=True)
    orders = []
    for voter in VOTERS[:3]:
        bench.slot.insert(bench.election, voter)
        ui.card_inserted()
        assert screen(ui) is ScreenId.PIN
        first = pad_order(ui)
        assert sorted(first) == sorted("1234567890")  # every digit once
        tap(qtbot, ui, f"pin-digit-{first[0]}")
        assert pad_order(ui) == first  # the order stays while the voter types
        orders.append(first)
        bench.slot.pull()
        ui.card_removed()
        if screen(ui) is not ScreenId.WELCOME:
            tap(qtbot, ui, "done")
        assert screen(ui) is ScreenId.WELCOME
    # A new order per voter: three equal draws of 10! orders have probability < 1e-12.
    assert len(set(orders)) > 1
