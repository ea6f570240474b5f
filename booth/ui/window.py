"""The booth's window: draws the Spec for `Booth.view()` and forwards each tap to the Booth.

Everything the vote depends on is decided by the booth core; this window keeps only what a
screen needs to be drawn: the voter's language, text size and contrast (reset when the session
ends), which question is on screen, the PIN digits being typed (wiped once sent), and which
poll-worker screen is open. A tap acts on release inside its target (QPushButton.clicked).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ballots.ballot import Choice
from booth.booth import Booth, ExportWritten
from booth.core.polls import PollsState
from booth.core.session import SessionState
from booth.errors import BoothError, ChallengeLimit
from booth.ui import screens
from booth.ui.access import VoterAccess
from booth.ui.audio import Speaker
from booth.ui.catalog import Lang
from booth.ui.screens import Button, Entry, Label, Row, ScreenId, Spec, Texts
from booth.ui.theme import FAMILY, Contrast, TextSize, Theme
from booth.ui.worker_screens import Worded, WorkerScreens, error_value, rendered
from hardware.errors import HardwareError

PIN_MAX = 12
REVIEW_PER_PAGE = {
    TextSize.NORMAL: 6,
    TextSize.LARGE: 4,
    TextSize.LARGER: 3,
    TextSize.LARGEST: 2,
}

_FAULTS = {
    SessionState.CARD_PULLED: "fault.card_pulled",
    SessionState.TIMED_OUT: "fault.timed_out",
    SessionState.PRINTER_FAULT: "fault.printer_fault",
    SessionState.LINK_DOWN: "fault.link_down",
    SessionState.STORAGE_FAULT: "fault.storage_fault",
}
_BUSY = frozenset({SessionState.CHECKS, SessionState.ELIGIBILITY, SessionState.SEALING})
_PRINTING = frozenset({SessionState.PRINTING_RECORD, SessionState.PRINTING_RECEIPT})


def breakable(path: Path) -> str:
    """A path that may wrap after each "/" (a zero-width space), so no long path is clipped."""
    return str(path).replace("/", "/\u200b")


@dataclass(frozen=True)
class UiSettings:
    package_folder: Path  # where the election package medium is mounted
    export_medium: Path  # where closing writes the export
    tick_ms: int = 1000  # how often the session clock is checked
    shuffle_pin_pad: bool = False  # the voter's PIN pad in a new random order for each voter


@dataclass(frozen=True)
class WorkerResult:
    """How a poll-worker action ended: catalog keys `<key>.title`, `<key>.body` and their
    values, drawn in the language of the moment (a value that is a function of the Texts,
    such as a core error, is worded when drawn)."""

    key: str
    values: dict[str, object]


class BoothWindow(WorkerScreens, QWidget):
    """One window, one booth. `card_inserted`/`card_removed` are the reader's events.
    `speaker` is the booth's one speaker (booth/ui/audio.py), for the audio ballot and the
    readiness check's headphone test; None: espeak-ng on the default player, made when first
    needed."""

    rendered = Signal(object)  # the Spec just drawn
    booth_stopped = Signal()  # a poll worker shut the booth down: the app may quit

    def __init__(self, booth: Booth, settings: UiSettings, speaker: Speaker | None = None) -> None:
        super().__init__()
        self.booth = booth
        self.settings = settings
        self.lang = Lang.ZH
        self.theme = Theme()
        self.question_index = 0
        self.page = 0  # which page of a screen with a More button
        self._page_key: object = None
        self.pin = bytearray()
        self.pin_order = screens.FIXED_PIN_ORDER  # the voter pad's digit places
        self.worker_pin = bytearray()
        self.worker_screen: ScreenId | None = None
        self.worker_result: WorkerResult | None = None
        self.printing = False
        self.challenges_seen = 0
        self.dismissed: object = None  # the ended session the voter already left
        # A refusal raised by the core before a session, worded when drawn (the language of
        # the moment, from the catalog: never the core's English).
        self.fault: Worded | None = None
        self.spec: Spec | None = None
        self.setWindowTitle("refvote")
        self.setObjectName("booth-window")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._content: QWidget | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(settings.tick_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.access = VoterAccess(self, speaker)  # keypad, switches, audio ballot, blanking
        self._init_worker_screens()
        self.refresh()

    # Events from the hardware and the clock ---------------------------------------------------

    def card_inserted(self) -> None:
        if self.worker_screen is not None:
            return
        view = self.booth.view()
        if view is not None and view.state.ended and self.booth.session is not self.dismissed:
            self._leave_ended()  # the last voter walked away without pressing Done
        self.fault = None
        self.pin_order = self._draw_pin_order()  # one order per voter: it stays while they type
        self._call(self.booth.card_inserted)

    def card_removed(self) -> None:
        view = self.booth.view()
        if view is not None and view.state.ended:
            self._leave_ended()
            self.refresh()
            return
        self._call(self.booth.card_removed)

    def tick(self) -> None:
        if self.stopped:
            return
        before = self.booth.view()
        self.booth.tick()
        if self.booth.view() != before:
            self.refresh()

    # Voter taps -------------------------------------------------------------------------------

    def _call(self, action: Callable[[], None]) -> None:
        try:
            action()
        except ChallengeLimit:
            pass  # the view says a poll worker is called; the voter may still cast
        except (BoothError, HardwareError) as exc:
            self.fault = error_value(exc)
        self.refresh()

    def _digit(self, target: bytearray) -> Callable[[str], Callable[[], None]]:
        def press(d: str) -> Callable[[], None]:
            def act() -> None:
                if len(target) < PIN_MAX:
                    target.extend(d.encode())
                self.refresh()

            return act

        return press

    def _erase(self, target: bytearray) -> Callable[[], None]:
        def act() -> None:
            if target:
                del target[-1]
            self.refresh()

        return act

    def _send_pin(self) -> None:
        pin = self.pin.decode()
        self.pin[:] = bytes(len(self.pin))
        self.pin.clear()
        self.pin_order = screens.FIXED_PIN_ORDER
        self._call(lambda: self.booth.enter_pin(pin))

    def _choose(self, choice: Choice | None) -> Callable[[], None]:
        def act() -> None:
            qid = self.booth.package.definition.questions[self.question_index].question_id
            self._call(lambda: self.booth.answer(qid, choice))
            view = self.booth.view()
            if view is not None and view.state is SessionState.QUESTIONS:
                self._forward()  # only once the core took the answer

        return act

    def _forward(self) -> None:
        count = len(self.booth.package.definition.questions)
        if self.question_index + 1 < count:
            self.question_index += 1
            self.refresh()
        else:
            self._call(self.booth.review)

    def _previous(self) -> None:
        self.question_index = max(0, self.question_index - 1)
        self.refresh()

    def _change(self, index: int) -> Callable[[], None]:
        def act() -> None:
            self.question_index = index
            self._call(self.booth.back_to_questions)

        return act

    def _turn(self, page: int) -> Callable[[], None]:
        def act() -> None:
            self.page = page
            self.refresh()

        return act

    def _print_record(self) -> None:
        # Draw "printing" first: confirm() returns once the record and receipt printed.
        self.printing = True
        self.refresh()
        QTimer.singleShot(0, self._confirm)

    def _confirm(self) -> None:
        self.printing = False
        self._call(self.booth.confirm)

    def _challenge(self) -> None:
        self._call(self.booth.challenge)

    def _vote_again(self) -> None:
        view = self.booth.view()
        self.challenges_seen = 0 if view is None else view.challenges
        self.question_index = 0
        self.refresh()

    def _draw_pin_order(self) -> str:
        if not self.settings.shuffle_pin_pad:
            return screens.FIXED_PIN_ORDER
        return "".join(secrets.SystemRandom().sample(screens.FIXED_PIN_ORDER, 10))

    def _leave_ended(self) -> None:
        """The voter left an ended session: every setting goes back to its default."""
        self.dismissed = self.booth.session
        self.fault = None
        self.lang, self.theme = Lang.ZH, Theme()
        self.access.reset()
        self.question_index = self.page = self.challenges_seen = 0
        self.pin[:] = bytes(len(self.pin))
        self.pin.clear()

    def _done(self) -> None:
        self._leave_ended()
        self.refresh()

    # Settings: the bar on every voter screen --------------------------------------------------

    def toggle_language(self) -> None:
        self.lang = Lang.EN if self.lang is Lang.ZH else Lang.ZH
        self.refresh()

    def next_size(self) -> None:
        sizes = list(TextSize)
        self.theme = Theme(sizes[(sizes.index(self.theme.size) + 1) % 4], self.theme.contrast)
        self.refresh()

    def next_contrast(self) -> None:
        modes = list(Contrast)
        self.theme = Theme(self.theme.size, modes[(modes.index(self.theme.contrast) + 1) % 4])
        self.refresh()

    # Poll worker ------------------------------------------------------------------------------

    def open_worker(self) -> None:
        self.worker_screen = ScreenId.WORKER_PIN
        self.worker_result = None
        self.worker_notice = None
        self.refresh()

    def _go_worker(self, screen: ScreenId) -> Callable[[], None]:
        def act() -> None:
            self.worker_screen = screen
            self.worker_result = None
            self.refresh()

        return act

    def leave_worker(self) -> None:
        self.worker_pin[:] = bytes(len(self.worker_pin))
        self.worker_pin.clear()
        self._wipe_two()
        self.worker_screen = None
        self.worker_result = None
        self.worker_notice = None
        self.readiness = None
        self.fault = None
        self.refresh()

    def _worker(self, action: Callable[[str], WorkerResult]) -> Callable[[], None]:
        def act() -> None:
            try:
                self.worker_result = action(self.worker_pin.decode())
            except (BoothError, HardwareError) as exc:
                self.worker_result = WorkerResult("worker.error", {"error": error_value(exc)})
            self.worker_screen = ScreenId.WORKER_RESULT
            self.refresh()

        return act

    def _configure(self, fingerprint: str) -> None:
        def run(pin: str) -> WorkerResult:
            self.booth.configure(self.settings.package_folder, fingerprint.strip(), pin)
            d = self.booth.package.definition
            values = {"title_zh": d.title_zh, "title_en": d.title_en}
            return WorkerResult("worker.configured", {**values, "fingerprint": fingerprint.strip()})

        self._worker(run)()

    def _simple(self, call: Callable[[str], object], key: str) -> Callable[[], None]:
        def run(pin: str) -> WorkerResult:
            call(pin)
            return WorkerResult(f"worker.{key}", {})

        return self._worker(run)

    def _close(self, pin: str) -> WorkerResult:
        written = self.booth.close_polls(pin, self.settings.export_medium)
        return self._exported(written)

    def _export_again(self, pin: str) -> WorkerResult:
        return self._exported(self.booth.write_export(pin, self.settings.export_medium))

    def _exported(self, written: ExportWritten) -> WorkerResult:
        counts = written.counts
        return WorkerResult(
            "worker.closed",
            {
                "path": breakable(written.path),
                "sha": written.sha256[:16],
                "cast": counts.cast,
                "challenged": counts.challenged,
                "voided": counts.voided,
            },
        )

    def _code(self, code: str) -> None:
        self.leave_worker()
        self._leave_ended()
        self._call(lambda: self.booth.start_with_code(code.strip().upper()))

    # Which screen -----------------------------------------------------------------------------

    def current_spec(self) -> Spec:
        t = Texts(self.lang)
        if self.worker_screen is not None:
            return self._worker_spec(t)
        view = self.booth.view()
        session = self.booth.session
        access = self.access.spec(t, view)
        if access is not None:
            return access
        worker = Button(t("worker.enter"), t("worker.enter.name"), self.open_worker, "worker")
        if self.fault is not None and (view is None or session is self.dismissed):
            return screens.message(
                ScreenId.FAULT,
                t,
                t("fault.title"),
                t("fault.session_refused", reason=self.fault(t)),
                (Button(t("done"), t("done.name"), self._done, "done"), worker),
            )
        if view is None or session is self.dismissed:
            if self.booth.polls is not PollsState.OPEN:
                return screens.message(
                    ScreenId.CLOSED, t, t("closed.title"), t("closed.body"), (worker,)
                )
            d = self.booth.package.definition
            title = d.title_zh if self.lang is Lang.ZH else d.title_en
            return Spec(
                ScreenId.WELCOME,
                t("welcome.title"),
                (Label(title, "title"), Label(t("welcome.body")), Row((worker,))),
            )
        done = Button(t("done"), t("done.name"), self._done, "done")
        if view.warning and not view.state.ended:  # ended: its own screen, not "still here?"
            stay = Button(
                t("timeout.stay"),
                t("timeout.stay.name"),
                lambda: self._call(self.booth.still_here),
                "still-here",
            )
            return screens.message(
                ScreenId.TIMEOUT, t, t("timeout.title"), t("timeout.body"), (stay,)
            )
        state = view.state
        if self.printing or state in _PRINTING:
            return screens.message(ScreenId.PRINTING, t, t("printing.title"), t("printing.body"))
        match state:
            case SessionState.IDLE | SessionState.CARD:
                return self._pin_spec(t, view.tries_left)
            case s if s in _BUSY:
                return screens.message(
                    ScreenId.CHECKING, t, t("checking.title"), t("checking.body")
                )
            case SessionState.QUESTIONS:
                if view.challenges > self.challenges_seen:
                    again = Button(
                        t("challenged.again"),
                        t("challenged.again.name"),
                        self._vote_again,
                        "vote-again",
                    )
                    return screens.message(
                        ScreenId.CHALLENGED,
                        t,
                        t("challenged.title"),
                        t("challenged.body"),
                        (again,),
                    )
                return self._question_spec(t, view.answers)
            case SessionState.REVIEW:
                return screens.review(
                    t,
                    self.booth.package.definition,
                    view.answers,
                    self._change,
                    self._print_record,
                    self.page,
                    REVIEW_PER_PAGE[self.theme.size],
                    self._turn,
                )
            case SessionState.DECIDING:
                blocks: list[screens.Block] = [Label(t("check.body"))]
                if view.worker_called:
                    blocks.append(Label(t("check.worker_called"), "notice"))
                blocks.append(
                    Row(
                        (
                            Button(
                                t("check.cast"),
                                t("check.cast.name"),
                                lambda: self._call(self.booth.cast),
                                "cast",
                            ),
                            Button(
                                t("check.challenge"),
                                t("check.challenge.name"),
                                self._challenge,
                                "challenge",
                            ),
                        )
                    )
                )
                return Spec(
                    ScreenId.CHECK_RECORD, t("check.title"), tuple(blocks), focus_first=False
                )
            case SessionState.CAST:
                return screens.message(
                    ScreenId.CAST,
                    t,
                    t("cast.title"),
                    t("cast.body"),
                    (done,),
                    code=t("cast.code", code=view.short_code or ""),
                )
            case SessionState.DECLINED:
                return screens.message(
                    ScreenId.DECLINED, t, t("declined.title"), t("declined.body"), (done,)
                )
            case SessionState.REFUSED:
                refusal = view.refusal
                key = f"refused.{refusal.value}" if refusal is not None else "refused.unknown"
                return screens.message(ScreenId.REFUSED, t, t("refused.title"), t(key), (done,))
            case s if s in _FAULTS:
                state_text = ""
                if s is SessionState.PRINTER_FAULT:
                    printer_state = view.printer_state
                    state_text = t(f"printer.{printer_state.value}") if printer_state else ""
                return screens.message(
                    ScreenId.FAULT,
                    t,
                    t("fault.title"),
                    t(_FAULTS[s], state=state_text),
                    (done, worker),
                )
        return screens.message(
            ScreenId.FAULT, t, t("fault.title"), t("refused.unknown"), (done, worker)
        )

    def _pin_spec(self, t: Texts, tries_left: int | None) -> Spec:
        blocks: list[screens.Block] = [Label(t("pin.body"))]
        if tries_left is not None:
            blocks.append(Label(t("pin.tries", n=tries_left), "notice"))
        blocks.append(Label("● " * len(self.pin) or " ", "code"))
        blocks.append(
            screens.pin_pad(
                t,
                "pin",
                self._digit(self.pin),
                self._erase(self.pin),
                self._send_pin,
                self.pin_order,
            )
        )
        return Spec(ScreenId.PIN, t("pin.title"), tuple(blocks))

    def _question_spec(self, t: Texts, answers: dict[str, Choice | None]) -> Spec:
        d = self.booth.package.definition
        self.question_index = min(self.question_index, len(d.questions) - 1)
        return screens.question(
            t,
            d,
            self.question_index,
            answers,
            self._choose,
            self._previous if self.question_index > 0 else None,
            self._forward,
            self.question_index == len(d.questions) - 1,
            split=self.theme.size in (TextSize.LARGER, TextSize.LARGEST),
            page=self.page,
            turn=self._turn,
        )

    def _worker_spec(self, t: Texts) -> Spec:
        back = Button(
            t("worker.back"), t("worker.back"), self._go_worker(ScreenId.WORKER_MENU), "worker-back"
        )
        leave = Button(t("worker.leave"), t("worker.leave"), self.leave_worker, "worker-leave")
        extra = self.worker_extra_spec(t, back, leave)
        if extra is not None:
            return extra
        match self.worker_screen:
            case ScreenId.WORKER_PIN:
                return Spec(
                    ScreenId.WORKER_PIN,
                    t("worker.pin.title"),
                    (
                        Label(t("worker.pin.body")),
                        *([Label(self.worker_notice(t), "notice")] if self.worker_notice else []),
                        Label("● " * len(self.worker_pin) or " ", "code"),
                        screens.pin_pad(
                            t,
                            "worker",
                            self._digit(self.worker_pin),
                            self._erase(self.worker_pin),
                            self._worker_pin_ok,
                        ),
                        Row((leave,)),
                    ),
                    voter=False,
                )
            case ScreenId.WORKER_CONFIGURE:
                return Spec(
                    ScreenId.WORKER_CONFIGURE,
                    t("worker.configure.title"),
                    (
                        Label(
                            t(
                                "worker.configure.folder",
                                folder=breakable(self.settings.package_folder),
                            )
                        ),
                        Label(t("worker.configure.body")),
                        Entry(t("worker.fingerprint.name"), "fingerprint", self._configure),
                        Row((back,)),
                    ),
                    voter=False,
                )
            case ScreenId.WORKER_CODE:
                return Spec(
                    ScreenId.WORKER_CODE,
                    t("worker.code.title"),
                    (
                        Label(t("worker.code.body")),
                        Entry(t("worker.code.field.name"), "one-time-code", self._code),
                        Row((back,)),
                    ),
                    voter=False,
                )
            case ScreenId.WORKER_PRINTER:
                try:
                    state = getattr(self.booth.parts.printer.status(), "state", None)
                    shown = t(f"printer.{state.value}") if state is not None else "?"
                except HardwareError:
                    shown = t("printer.no answer")
                attended = Button(
                    t("worker.printer.attended"),
                    t("worker.printer.attended"),
                    self._simple(self.booth.printer_attended, "printer.done"),
                    "printer-attended",
                )
                return Spec(
                    ScreenId.WORKER_PRINTER,
                    t("worker.printer.title"),
                    (
                        Label(t("worker.printer.state", state=shown), "title"),
                        Label(t("worker.printer.body")),
                        Row((attended, back)),
                    ),
                    voter=False,
                )
            case ScreenId.WORKER_RESULT:
                result = self.worker_result or WorkerResult("worker.error", {"error": "?"})
                return Spec(
                    ScreenId.WORKER_RESULT,
                    t(f"{result.key}.title"),
                    (Label(t(f"{result.key}.body", **rendered(t, result))), Row((back, leave))),
                    voter=False,
                )
        return self._worker_menu(t, leave)

    def _worker_menu(self, t: Texts, leave: Button) -> Spec:
        polls = self.booth.polls
        items = self.worker_menu_items()
        buttons = tuple(Button(t(key), t(key), act, key.replace(".", "-")) for key, act in items)
        return Spec(
            ScreenId.WORKER_MENU,
            t("worker.menu.title"),
            (
                Label(t("worker.polls", state=t(f"polls.{polls.value}")), "title"),
                Row(buttons, columns=2),
                Row((leave,)),
            ),
            voter=False,
        )

    # Drawing ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        view = self.booth.view()
        page_key = (None if view is None else view.state, self.question_index)
        if page_key != self._page_key:
            self.page = 0  # a new screen starts on its first page
        self._page_key = page_key
        self.draw(self.current_spec())

    def draw(self, spec: Spec) -> None:
        self.spec = spec
        t = Texts(self.lang)
        self.setStyleSheet(self.theme.stylesheet())
        font = QFont(FAMILY)
        font.setPixelSize(self.theme.font_px)
        self.setFont(font)
        if self._content is not None:
            self._layout.removeWidget(self._content)
            self._content.hide()
            self._content.deleteLater()
        content = QWidget(self)
        content.setObjectName(f"screen-{spec.screen.value}")
        box = QVBoxLayout(content)
        gap = self.theme.font_px // 4
        box.setSpacing(gap)
        box.setContentsMargins(gap * 2, gap, gap * 2, gap)
        box.addWidget(self._label(spec.title, "title"))
        focus_first: QWidget | None = None
        for block in spec.blocks:
            match block:
                case Label():
                    box.addWidget(self._label(block.text, block.role))
                case Row():
                    row = QWidget(content)
                    grid = QGridLayout(row)
                    grid.setSpacing(gap)
                    grid.setContentsMargins(0, 0, 0, 0)
                    for i, b in enumerate(block.buttons):
                        button = self._button(b, row)
                        focus_first = focus_first or button
                        if block.columns:
                            grid.addWidget(button, i // block.columns, i % block.columns)
                        else:
                            grid.addWidget(button, 0, i)
                    box.addWidget(row)
                case Entry():
                    entry = QLineEdit(content)
                    entry.setObjectName(block.object_name)
                    entry.setAccessibleName(block.name)
                    if block.masked:
                        entry.setEchoMode(QLineEdit.EchoMode.Password)
                    submit = block.on_submit
                    entry.returnPressed.connect(lambda e=entry, s=submit: s(e.text()))
                    box.addWidget(entry)
                    focus_first = focus_first or entry
        box.addStretch(1)
        if spec.voter:
            bar = QWidget(content)
            line = QHBoxLayout(bar)
            line.setContentsMargins(0, 0, 0, 0)
            line.setSpacing(gap)
            n_size = list(TextSize).index(self.theme.size) + 1
            n_contrast = list(Contrast).index(self.theme.contrast) + 1
            for b in (
                Button(
                    t("bar.language"), t("bar.language.name"), self.toggle_language, "bar-language"
                ),
                Button(
                    t("bar.size", n=n_size),
                    t("bar.size.name", n=n_size),
                    self.next_size,
                    "bar-size",
                ),
                Button(
                    t("bar.contrast", n=n_contrast),
                    t("bar.contrast.name", n=n_contrast),
                    self.next_contrast,
                    "bar-contrast",
                ),
                Button(t("bar.access"), t("bar.access.name"), self.access.open, "bar-access"),
            ):
                line.addWidget(self._button(b, bar))
            box.addWidget(bar)
        self._layout.addWidget(content)
        self._content = content
        content.show()
        self._layout.activate()
        if focus_first is not None and spec.focus_first:
            focus_first.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            content.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            content.setFocus(Qt.FocusReason.OtherFocusReason)
            content.installEventFilter(self)
        self.rendered.emit(spec)

    def _label(self, value: str, role: str) -> QLabel:
        label = QLabel(value)
        label.setWordWrap(True)
        label.setProperty("role", role)
        label.setTextFormat(Qt.TextFormat.PlainText)
        if role == "code":
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        return label

    def _button(self, b: Button, parent: QWidget) -> QPushButton:
        button = QPushButton(b.text, parent)
        button.setObjectName(b.object_name)
        button.setAccessibleName(b.name)
        button.setProperty("chosen", "true" if b.chosen else "false")
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setAutoDefault(True)  # Enter/Return presses the focused button
        action = b.action
        button.clicked.connect(lambda _checked=False, a=action: a())
        button.installEventFilter(self)
        return button

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The tactile keypad and the two switches (booth/ui/access.py): moves go through the
        controls in screen order, select presses the focused one."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if self.worker_screen is ScreenId.WORKER_WALK:
                self.walk_key(event.key())  # the readiness walk: every key is recorded, none acts
                return True
            if self.access.key_press(event):
                return True
        return super().eventFilter(watched, event)

    def find_button(self, object_name: str) -> QPushButton:
        assert self._content is not None
        found = self._content.findChild(QPushButton, object_name)
        if found is None:
            raise LookupError(
                f"no button {object_name!r} on screen {self.spec and self.spec.screen}"
            )
        return found
