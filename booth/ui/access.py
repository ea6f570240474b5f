"""The voter's access settings: tactile keypad, two switches (with their calibration), the
audio ballot and screen blanking.

`VoterAccess` belongs to the window. It holds the voter's access settings (reset with the
language, size and contrast when the voter leaves an ended session), reads each key (the
keypad and the two switches, mapped below), speaks every voter screen through a `Speaker`
when the audio ballot is on, blanks the screen on request, and draws the two access screens
(settings, switch calibration). Like every screen it decides nothing about the vote: a
select presses the focused control exactly as a tap would.

Keys (a USB tactile keypad or a numeric keypad with Num Lock off, and a two-switch
interface that types two keys; docs/booth.md lists them):

    up ↑ / numpad 8, left ← / numpad 4     previous control
    down ↓ / numpad 2, right → / numpad 6  next control
    select: Enter, numpad Enter, numpad 5 (Clear), Select
    volume −: Volume Down, numpad −     volume +: Volume Up, numpad +
    rate −: numpad /                     rate +: numpad *
    switch "move": Tab                   switch "select": Space

A held key does not repeat (auto-repeat is ignored): a held puff or a tremor presses once.
A volume or rate key pressed while the audio ballot is off turns it on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPushButton, QWidget

from booth.core.machine import Transitions
from booth.core.session import SessionState
from booth.ui.audio import (
    DEFAULT_STEP,
    RATES,
    VOLUMES,
    EspeakSpeaker,
    Speaker,
    SpeechFailed,
    Utterance,
)
from booth.ui.catalog import Lang
from booth.ui.screens import Button, Label, Row, ScreenId, Spec, Texts, answer_text

if TYPE_CHECKING:
    from booth.booth import SessionView
    from booth.ui.window import BoothWindow


class Key(enum.Enum):
    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    SELECT = "select"
    VOLUME_DOWN = "volume-down"
    VOLUME_UP = "volume-up"
    RATE_DOWN = "rate-down"
    RATE_UP = "rate-up"
    MOVE = "switch-move"  # the two-switch device
    SWITCH_SELECT = "switch-select"


K = Qt.Key
KEYPAD: dict[int, Key] = {
    K.Key_Up: Key.UP,
    K.Key_Down: Key.DOWN,
    K.Key_Left: Key.LEFT,
    K.Key_Right: Key.RIGHT,
    K.Key_Return: Key.SELECT,
    K.Key_Enter: Key.SELECT,
    K.Key_Select: Key.SELECT,
    K.Key_Clear: Key.SELECT,  # numpad 5 with Num Lock off
    K.Key_VolumeDown: Key.VOLUME_DOWN,
    K.Key_Minus: Key.VOLUME_DOWN,
    K.Key_VolumeUp: Key.VOLUME_UP,
    K.Key_Plus: Key.VOLUME_UP,
    K.Key_Slash: Key.RATE_DOWN,
    K.Key_Asterisk: Key.RATE_UP,
}
SWITCHES: dict[int, Key] = {K.Key_Tab: Key.MOVE, K.Key_Space: Key.SWITCH_SELECT}
BACK = frozenset({Key.UP, Key.LEFT})
NEXT = frozenset({Key.DOWN, Key.RIGHT, Key.MOVE})
PRESS = frozenset({Key.SELECT, Key.SWITCH_SELECT})
STEPS = {
    Key.VOLUME_DOWN: ("volume", -1),
    Key.VOLUME_UP: ("volume", 1),
    Key.RATE_DOWN: ("rate", -1),
    Key.RATE_UP: ("rate", 1),
}


class InputMode(enum.Enum):
    TOUCH = "touch"
    KEYPAD = "keypad"
    SWITCHES = "switches"  # set once the calibration confirmed both switches


@dataclass(frozen=True)
class AccessSettings:
    """The voter's own settings beside language, size and contrast; all reset together."""

    audio: bool = False
    volume: int = DEFAULT_STEP  # index into audio.VOLUMES
    rate: int = DEFAULT_STEP  # index into audio.RATES
    blank: bool = False  # only while the audio ballot is on
    input: InputMode = InputMode.TOUCH


class Calibration(enum.Enum):
    WAIT_MOVE = "wait-move"
    WAIT_SELECT = "wait-select"
    CONFIRMED = "confirmed"


CALIBRATION = Transitions[Calibration](
    "switch calibration",
    {
        Calibration.WAIT_MOVE: frozenset({Calibration.WAIT_SELECT, Calibration.WAIT_MOVE}),
        Calibration.WAIT_SELECT: frozenset({Calibration.CONFIRMED, Calibration.WAIT_MOVE}),
        Calibration.CONFIRMED: frozenset({Calibration.WAIT_MOVE}),
    },
)
_WAITING = {Calibration.WAIT_MOVE: Key.MOVE, Calibration.WAIT_SELECT: Key.SWITCH_SELECT}
SWITCH_WORD = {Key.MOVE: "switch.move", Key.SWITCH_SELECT: "switch.select"}


def _sayable(value: str) -> bool:
    """Text with something to say (not the PIN's dots)."""
    return any(ch.isalnum() for ch in value)


def _join(parts: list[str], pause: str) -> str:
    """Sentences one after another, with the catalog's pause where one has no stop of its own."""
    out = ""
    for part in (p.strip() for p in parts if p.strip()):
        if out:
            out += " " if out[-1] in _STOPS else pause
        out += part
    return out


_STOPS = frozenset("。．.!?！？:：;；")


def _spell(value: str) -> str:
    """A code read one character at a time (a tracking code is not a word)."""
    out: list[str] = []
    for ch in value:
        if out and ch.isalnum() and out[-1].isalnum():
            out.append(" ")
        out.append(ch)
    return "".join(out)


class VoterAccess(QObject):
    def __init__(self, window: BoothWindow, speaker: Speaker | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.speaker = speaker
        self.settings = AccessSettings()
        self.screen: ScreenId | None = None  # ACCESS or CALIBRATE while one is open
        self.calibration = Calibration.WAIT_MOVE
        self.calibration_notice: str | None = None  # catalog key and values of a wrong switch
        self.calibration_values: dict[str, object] = {}
        self.unavailable = False  # espeak-ng could not run
        self._opened_on: object = None
        self._last: object = None  # the screen last read in full
        self._hinted = False
        # (screen, title, control) pressed by a key: if the same screen comes back (a PIN
        # digit, a text size), the focus stays on that control instead of the first one.
        self._keep: tuple[ScreenId, str, str] | None = None
        self.blanker = QWidget(window)
        self.blanker.setObjectName("privacy-blank")
        self.blanker.setStyleSheet("background: #000000;")
        self.blanker.setAutoFillBackground(True)
        self.blanker.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.blanker.hide()
        window.installEventFilter(self)  # resizes keep the blank over the whole window
        window.rendered.connect(self.on_rendered)

    # Settings ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """The voter left: every access setting goes back to its default, silence."""
        if self.speaker is not None:
            self.speaker.stop()
        self.settings = AccessSettings()
        self.screen = None
        self.calibration = Calibration.WAIT_MOVE
        self.calibration_notice = None
        self._last = None
        self._hinted = False
        self.blanker.hide()

    def _set(self, **changes: object) -> None:
        self.settings = replace(self.settings, **changes)  # type: ignore[arg-type]
        if not self.settings.audio:
            self.settings = replace(self.settings, blank=False)
            if self.speaker is not None:
                self.speaker.stop()
        self.window.refresh()

    def voice(self) -> Speaker:
        """The booth's one speaker: the one the window was given, else espeak-ng on the
        default player, made the first time it is needed (raises SpeechFailed if it cannot
        speak). The audio ballot and the poll workers' headphone test both use it."""
        if self.speaker is None:
            self.speaker = EspeakSpeaker()
        return self.speaker

    def set_audio(self, on: bool) -> None:
        if on:
            try:
                self.voice()
            except SpeechFailed:
                self.unavailable = True
                on = False
        self._hinted = self._hinted and on
        self._last = None  # read the whole screen once the audio comes on
        self._set(audio=on)

    def step(self, which: str, delta: int) -> None:
        scale = VOLUMES if which == "volume" else RATES
        now = getattr(self.settings, which) + delta
        self._set(**{which: max(0, min(len(scale) - 1, now))})

    def _stepper(self, which: str, delta: int) -> Callable[[], None]:
        return lambda: self.step(which, delta)

    def open(self, screen: ScreenId = ScreenId.ACCESS) -> None:
        view = self.window.booth.view()
        self._opened_on = None if view is None else (view.state, view.warning)
        if screen is ScreenId.CALIBRATE:
            self.calibration = CALIBRATION.check(self.calibration, Calibration.WAIT_MOVE)
            self.calibration_notice = None
        self.screen = screen
        self.window.refresh()

    def close(self) -> None:
        self.screen = None
        self.window.refresh()

    # The access screens -----------------------------------------------------------------------

    def spec(self, t: Texts, view: SessionView | None) -> Spec | None:
        """The open access screen, or None. It closes itself when the session moves on
        without the voter (a timeout warning, a card pulled, the session's end)."""
        if self.screen is None:
            return None
        now = None if view is None else (view.state, view.warning)
        if now != self._opened_on or self.window.fault is not None:
            self.screen = None
            return None
        if self.screen is ScreenId.CALIBRATE:
            return self._calibrate_spec(t)
        return self._access_spec(t)

    def _access_spec(self, t: Texts) -> Spec:
        s = self.settings
        audio = "on" if s.audio else "off"
        buttons = [
            Button(
                t(f"access.audio.{audio}"),
                t(f"access.audio.{audio}.name"),
                lambda: self.set_audio(not s.audio),
                "access-audio",
            )
        ]
        for key, which, delta in (
            ("volume.down", "volume", -1),
            ("volume.up", "volume", 1),
            ("rate.down", "rate", -1),
            ("rate.up", "rate", 1),
        ):
            n = getattr(s, which) + 1
            buttons.append(
                Button(
                    t(f"access.{key}", n=n),
                    t(f"access.{key}.name", n=n),
                    self._stepper(which, delta),
                    f"access-{key.replace('.', '-')}",
                )
            )
        if s.audio:
            blank = "on" if s.blank else "off"
            buttons.append(
                Button(
                    t(f"access.blank.{blank}"),
                    t(f"access.blank.{blank}.name"),
                    lambda: self._set(blank=not s.blank),
                    "access-blank",
                )
            )
        buttons.append(
            Button(
                t("access.switches"),
                t("access.switches.name"),
                lambda: self.open(ScreenId.CALIBRATE),
                "access-switches",
            )
        )
        blocks: list[Label | Row] = [Label(t("access.body"))]
        if self.unavailable:
            blocks.append(Label(t("access.unavailable"), "notice"))
        blocks.append(Row(tuple(buttons), columns=2))
        back = Button(t("access.back"), t("access.back.name"), self.close, "access-back")
        blocks.append(Row((back,)))
        return Spec(ScreenId.ACCESS, t("access.title"), tuple(blocks))

    def _calibrate_spec(self, t: Texts) -> Spec:
        state = self.calibration
        moved = state is not Calibration.WAIT_MOVE
        selected = state is Calibration.CONFIRMED
        instruction = {
            Calibration.WAIT_MOVE: "calibrate.press_move",
            Calibration.WAIT_SELECT: "calibrate.press_select",
            Calibration.CONFIRMED: "calibrate.confirmed",
        }[state]
        blocks: list[Label | Row] = [
            Label(t("calibrate.body")),
            Label(t("calibrate.move.ok" if moved else "calibrate.move.wait"), "notice"),
            Label(t("calibrate.select.ok" if selected else "calibrate.select.wait"), "notice"),
        ]
        if self.calibration_notice is not None:
            blocks.append(Label(t(self.calibration_notice, **self.calibration_values), "notice"))
        blocks.append(Label(t(instruction)))
        buttons: list[Button] = []
        if selected:
            buttons.append(
                Button(
                    t("calibrate.done"), t("calibrate.done.name"), self._switches_on, "switches-on"
                )
            )
        buttons.append(
            Button(t("calibrate.again"), t("calibrate.again.name"), self._again, "switches-again")
        )
        buttons.append(
            Button(t("calibrate.cancel"), t("calibrate.cancel.name"), self.close, "switches-cancel")
        )
        blocks.append(Row(tuple(buttons)))
        return Spec(ScreenId.CALIBRATE, t("calibrate.title"), tuple(blocks))

    def _again(self) -> None:
        self.calibration = CALIBRATION.check(self.calibration, Calibration.WAIT_MOVE)
        self.calibration_notice = None
        self.window.refresh()

    def _switches_on(self) -> None:
        self.screen = None
        self._set(input=InputMode.SWITCHES)

    def _calibrate_key(self, key: Key) -> None:
        want = _WAITING[self.calibration]
        t = Texts(self.window.lang)
        if key is want:
            target = Calibration.WAIT_SELECT if key is Key.MOVE else Calibration.CONFIRMED
            self.calibration = CALIBRATION.check(self.calibration, target)
            self.calibration_notice = None
        else:
            self.calibration_notice = "calibrate.wrong"
            self.calibration_values = {
                "got": t(SWITCH_WORD[key]),
                "want": t(SWITCH_WORD[want]),
            }
        self.window.refresh()

    # Keys -------------------------------------------------------------------------------------

    def key_press(self, event: QKeyEvent) -> bool:
        """Act on a keypad or switch key; True if it was one (the event is then consumed)."""
        spec = self.window.spec
        code = event.key()
        key = SWITCHES.get(code) or KEYPAD.get(code)
        if code == K.Key_Backtab:
            key = Key.UP  # Shift+Tab on a keyboard: back
        if key is None:
            return False
        if event.isAutoRepeat():
            return True  # a held key presses once
        if spec is not None and not spec.voter and key in STEPS:
            return False  # no audio on the poll-worker screens: the key types as usual
        if self.settings.input is InputMode.TOUCH and key not in (Key.MOVE, Key.SWITCH_SELECT):
            self.settings = replace(self.settings, input=InputMode.KEYPAD)
        if (
            self.screen is ScreenId.CALIBRATE
            and self.calibration in _WAITING
            and key in (Key.MOVE, Key.SWITCH_SELECT)
        ):
            self._calibrate_key(key)
            return True
        if key in STEPS:
            which, delta = STEPS[key]
            if not self.settings.audio:
                self.set_audio(True)
            else:
                self.step(which, delta)
                t = Texts(self.window.lang)
                n = getattr(self.settings, which) + 1
                self._say(t(f"speech.{which}", n=n))
            return True
        if key in BACK or key in NEXT:
            self.window.focusNextPrevChild(key in NEXT)
            self._say(self._focus_phrase(Texts(self.window.lang)))
            return True
        focused = self.window.focusWidget()
        if isinstance(focused, QPushButton) and focused.isVisible():
            if spec is not None:
                self._keep = (spec.screen, spec.title, focused.objectName())
            focused.click()
            self._keep = None
        return True  # select on no control (a bounce on the paper-record check): nothing

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize:
            self.blanker.setGeometry(self.window.rect())
        return False

    # Speech -----------------------------------------------------------------------------------

    def on_rendered(self, spec: Spec) -> None:
        if self._keep is not None and self._keep[:2] == (spec.screen, spec.title):
            try:
                kept = self.window.find_button(self._keep[2])
            except LookupError:
                kept = None  # gone from the new screen (e.g. the last page has no More)
            if spec.focus_first and kept is not None:
                kept.setFocus(Qt.FocusReason.OtherFocusReason)
        blank = self.settings.audio and self.settings.blank and spec.voter
        self.blanker.setGeometry(self.window.rect())
        self.blanker.setVisible(blank)
        if blank:
            self.blanker.raise_()
        t = Texts(self.window.lang)
        if not self.settings.audio:
            self._last = None
            return
        if not spec.voter:
            # A poll-worker screen is not read aloud, but a voter who reached one by mistake
            # hears where they are and how to leave.
            if self._last != spec.screen:
                worker = t("speech.worker", leave=t("worker.leave"))
                self._say(_join([worker, self._focus_phrase(t)], t("speech.pause")))
            self._last = spec.screen
            return
        labels = tuple(b.text for b in spec.blocks if isinstance(b, Label) and _sayable(b.text))
        identity = (spec.screen, spec.title, labels, self.window.lang)
        parts: list[str] = []
        if identity != self._last:
            parts.append(spec.title)
            for block in spec.blocks:
                if isinstance(block, Label) and _sayable(block.text):
                    parts.append(_spell(block.text) if block.role == "code" else block.text)
            parts.extend(self._extras(spec, t))
            if not self._hinted:
                mode = "switches" if self.settings.input is InputMode.SWITCHES else "keypad"
                parts.append(t(f"speech.hint.{mode}"))
                self._hinted = True
        elif spec.screen is ScreenId.PIN:
            parts.append(t("pin.entered", n=len(self.window.pin)))
        self._last = identity
        parts.append(self._focus_phrase(t))
        self._say(_join(parts, t("speech.pause")))

    def _extras(self, spec: Spec, t: Texts) -> list[str]:
        """What a screen shows by its controls' state rather than its labels."""
        pause = t("speech.pause")
        if spec.screen is ScreenId.QUESTION:
            names = [
                self._name(t, b.name, b.chosen)
                for block in spec.blocks
                if isinstance(block, Row)
                for b in block.buttons
                if b.object_name.startswith("choice-")
            ]
            return [t("speech.options", options=pause.join(names))]
        if spec.screen is ScreenId.CHECK_RECORD:
            view = self.window.booth.view()
            if view is None or view.state is not SessionState.DECIDING:
                return []
            zh = self.window.lang is Lang.ZH
            lines = [
                t(
                    "review.line",
                    case=q.case_number,
                    short=q.short_title_zh if zh else q.short_title_en,
                    answer=answer_text(t, view.answers, q.question_id),
                )
                for q in self.window.booth.package.definition.questions
            ]
            return [t("speech.record", lines=pause.join(lines))]
        return []

    def _name(self, t: Texts, name: str, chosen: bool) -> str:
        return t("speech.chosen", name=name) if chosen else name

    def _focus_phrase(self, t: Texts) -> str:
        focused = self.window.focusWidget()
        if not isinstance(focused, QPushButton):
            return t("speech.focus.none")
        return self._name(t, focused.accessibleName(), focused.property("chosen") == "true")

    def _say(self, text: str) -> None:
        if not self.settings.audio or self.speaker is None or not text:
            return
        u = Utterance(
            text, self.window.lang, VOLUMES[self.settings.volume], RATES[self.settings.rate]
        )
        try:
            self.speaker.stop()
            self.speaker.speak(u)
        except SpeechFailed:
            self.unavailable = True
            self.settings = replace(self.settings, audio=False, blank=False)
            self.blanker.hide()
