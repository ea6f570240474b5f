"""The poll worker's screens beyond the first ones (issue 15): the menu's items, card-reader
status, reprint of the last report, stuck sessions (release rule 1), the two-person reset and
recovery, the readiness check, shut down; and the core's errors in the screen's language.

`WorkerScreens` is mixed into `booth.ui.window.BoothWindow`: it draws Specs and calls the
booth core, which decides everything (each action checks the poll worker's PIN again). The
window keeps only what a screen needs: which worker screen is open, the PINs being typed (in
bytearrays, wiped once sent), the readiness check in progress and the keys seen in the walk.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget

from booth.auth import (
    AuthLocked,
    PinMalformed,
    PinUnknown,
    SameWorkerTwice,
    SecondFactorMissing,
    WrongPin,
)
from booth.booth import OutboxReport
from booth.core.polls import PollsState
from booth.errors import (
    AuthenticationFailed,
    BoothError,
    ClosingRefused,
    ConfigurationRefused,
    ExportFailed,
    NoSession,
    NothingToReprint,
    OpeningRefused,
    RecoveryRefused,
    SessionRefused,
    StorageError,
    TransitionRefused,
)
from booth.eventlog import OpenRefusal, ReadinessItem, ReadinessResult
from booth.readiness import ReadinessCheck, reader_state
from booth.store import Side
from booth.ui.access import KEYPAD, SWITCH_WORD, SWITCHES, Key
from booth.ui.audio import DEFAULT_STEP, RATES, VOLUMES, SpeechFailed, Utterance, joined
from booth.ui.catalog import Lang, has, text
from booth.ui.screens import Block, Button, Label, Row, ScreenId, Spec, Texts, pin_pad
from hardware.errors import HardwareError, MediaError, NoReader, PrintFailed

if TYPE_CHECKING:
    from booth.ui.window import BoothWindow, WorkerResult

TAIWAN = datetime.timezone(datetime.timedelta(hours=8))

# The keys the readiness walk expects: exactly the voter's (booth/ui/access.py's KEYPAD and
# SWITCHES), so the walk proves the keys the voter will use. Each function of the keypad (up,
# down, ..., rate+) and each switch is seen once any key code the voter screens read for it
# arrives (up: the arrow or numpad 8). The mapping from device to key code is the
# deployment's (a keypad or switch interface is set to send these).
KEYPAD_KEYS: tuple[Key, ...] = tuple(dict.fromkeys(KEYPAD.values()))
SWITCH_KEYS: tuple[Key, ...] = tuple(dict.fromkeys(SWITCHES.values()))
WALK: dict[int, tuple[str, Key]] = {
    **{code: ("keypad", key) for code, key in KEYPAD.items()},
    **{code: ("switch", key) for code, key in SWITCHES.items()},
}


def walk_word(key: Key) -> str:
    """The catalog key naming a key on the walk screen (a switch: the voter's own word)."""
    return SWITCH_WORD[key] if key in SWITCH_WORD else f"walk.keypad.{key.value}"


# Two-person actions: which, and what it needs.
TWO_PERSON = ("reset", "recover-store", "recover-mirror")


def describe_error(t: Texts, exc: Exception) -> str:
    """The core's error as the poll worker or the voter reads it: its type (and reason) picks
    a catalog key (the core never translates); values are data from the error (tries left, a
    time, a state). The voter's fault screen uses it too (`fault.session_refused`)."""
    match exc:
        case WrongPin():
            return t("worker.err.pin_wrong", n=exc.tries_left)
        case AuthLocked():
            return t("worker.err.locked", until=exc.until.astimezone(TAIWAN).strftime("%H:%M"))
        case PinMalformed():
            return t("worker.err.pin_malformed")
        case SameWorkerTwice():
            return t("worker.err.same_twice")
        case PinUnknown():
            return t("worker.err.pin_unknown")
        case SecondFactorMissing():
            return t("worker.err.second_factor")
        case AuthenticationFailed():
            return t("worker.err.pin_refused")
        case ConfigurationRefused():
            return t("worker.err.package")
        case TransitionRefused():
            state = f"polls.{exc.state}"
            return t("worker.err.transition", state=t(state) if has(state) else exc.state)
        case OpeningRefused():
            reason = exc.reason
            if isinstance(reason, OpenRefusal):
                return t(f"worker.err.open.{reason.value}")
            return t("worker.err.open")
        case ClosingRefused():
            return t("worker.err.closing")
        case NothingToReprint():
            return t("worker.err.nothing_to_reprint")
        case RecoveryRefused():
            return t("worker.err.recovery_refused")
        case StorageError():
            return t("worker.err.storage")
        case ExportFailed():
            return t("worker.err.export")
        case SessionRefused() if exc.reason is NoSession.PRINTER:
            return t("worker.err.printer_not_ready")
        case SessionRefused():
            return t(f"session.refused.{exc.reason.value}")
        case PrintFailed():
            key = f"printer.{exc.state}"
            return t("worker.err.print_failed", state=t(key) if has(key) else exc.state)
        case MediaError():
            return t("worker.err.medium")
        case NoReader():
            return t("worker.err.no_reader")
        case SpeechFailed():
            return t("worker.err.speaker")
        case HardwareError():
            return t("worker.err.device")
    return t("worker.err.other", detail=str(exc))


Worded = Callable[[Texts], str]  # a value worded when the screen is drawn, in its language


def error_value(exc: Exception) -> Worded:
    return lambda t: describe_error(t, exc)


def rendered(t: Texts, result: WorkerResult) -> dict[str, object]:
    """A result's values, each function of the Texts worded in this screen's language."""
    return {k: v(t) if callable(v) else v for k, v in result.values.items()}


class WorkerScreens:
    """The mixin's state is set by `_init_worker_screens` (from the window's constructor)."""

    def _init_worker_screens(self: BoothWindow) -> None:
        self.first_pin = bytearray()  # the chief officer's, in a two-person action
        self.second_pin = bytearray()  # the chief supervisor's
        self.two_person: str | None = None  # which two-person action is being authorised
        self.readiness: ReadinessCheck | None = None
        self.walk_seen: set[tuple[str, Key]] = set()
        self.worker_notice: Worded | None = None  # a refusal shown on the worker PIN screen
        self.stopped = False  # the booth software was shut down
        self.kiosk = False
        self.may_close = False  # kiosk: the window closes only after a shut down

    # The PIN, checked before the menu -------------------------------------------------------

    def _worker_pin_ok(self: BoothWindow) -> None:
        """The core checks the PIN (and logs the try) before the menu opens; a refused PIN
        is wiped and the pad shown again with what the core said."""
        try:
            self.booth.check_worker(self.worker_pin.decode())
        except (BoothError, HardwareError) as exc:
            self.worker_pin[:] = bytes(len(self.worker_pin))
            self.worker_pin.clear()
            self.worker_notice = error_value(exc)
            self.refresh()
            return
        self.worker_notice = None
        self.worker_screen = ScreenId.WORKER_MENU
        self.refresh()

    # The menu ---------------------------------------------------------------------------------

    def worker_menu_items(self: BoothWindow) -> list[tuple[str, Callable[[], None]]]:
        polls = self.booth.polls
        go = self._go_worker
        items: list[tuple[str, Callable[[], None]]] = []
        if self.booth.storage_problem is not None and polls is not PollsState.UNCONFIGURED:
            items.append(("worker.recover", go(ScreenId.WORKER_RECOVER)))
        match polls:
            case PollsState.UNCONFIGURED:
                items.append(("worker.configure", go(ScreenId.WORKER_CONFIGURE)))
            case PollsState.CONFIGURED:
                items.append(("worker.readiness", self._start_readiness))
                items.append(("worker.open", self._simple(self.booth.open_polls, "opened")))
            case PollsState.OPEN:
                items.append(("worker.code", go(ScreenId.WORKER_CODE)))
                items.append(("worker.pause", self._simple(self.booth.pause, "paused")))
                items.append(("worker.close", self._worker(self._close)))
            case PollsState.PAUSED:
                items.append(("worker.resume", self._simple(self.booth.resume, "resumed")))
                items.append(("worker.close", self._worker(self._close)))
            case PollsState.CLOSED:
                items.append(("worker.export_again", self._worker(self._export_again)))
                items.append(("worker.reset", self._two_person("reset")))
        if polls is not PollsState.UNCONFIGURED:
            items.append(("worker.printer", go(ScreenId.WORKER_PRINTER)))
            items.append(("worker.reader", go(ScreenId.WORKER_READER)))
            items.append(("worker.reprint", self._worker(self._reprint)))
        if polls in (PollsState.OPEN, PollsState.PAUSED):
            items.append(("worker.stuck", go(ScreenId.WORKER_STUCK)))
        items.append(("worker.shutdown", go(ScreenId.WORKER_SHUTDOWN)))
        return items

    # Actions ending on a result screen ----------------------------------------------------------

    def _reprint(self: BoothWindow, pin: str) -> WorkerResult:
        from booth.ui.window import WorkerResult

        kind = self.booth.reprint_last_report(pin)
        worded: Worded = lambda t: t(f"report.{kind.value}")  # noqa: E731
        return WorkerResult("worker.reprinted", {"kind": worded})

    def _stuck(self: BoothWindow, pin: str) -> WorkerResult:
        from booth.ui.window import WorkerResult, breakable

        report: OutboxReport = self.booth.report_stuck_sessions(pin)
        booth_id = self.booth.parts.booth_id
        if report.pending:
            path = breakable(self.booth.mirror_outbox.path)
            return WorkerResult(
                "worker.stuck.pending", {"n": report.pending, "booth": booth_id, "path": path}
            )
        if report.stuck is None:
            return WorkerResult("worker.stuck.unreachable", {"booth": booth_id})
        return WorkerResult("worker.stuck.reported", {"n": report.stuck, "booth": booth_id})

    # Two people: the chief officer's PIN, then the chief supervisor's ---------------------------

    def _two_person(self: BoothWindow, action: str) -> Callable[[], None]:
        def act() -> None:
            self._wipe_two()
            self.two_person = action
            self.worker_screen = ScreenId.WORKER_OFFICER
            self.worker_result = None
            self.refresh()

        return act

    def _wipe_two(self: BoothWindow) -> None:
        for typed in (self.first_pin, self.second_pin):
            typed[:] = bytes(len(typed))
            typed.clear()

    def _officer_done(self: BoothWindow) -> None:
        self.worker_screen = ScreenId.WORKER_SUPERVISOR
        self.refresh()

    def _supervisor_done(self: BoothWindow) -> None:
        from booth.ui.window import WorkerResult

        action, officer = self.two_person, self.first_pin.decode()
        supervisor = self.second_pin.decode()
        self._wipe_two()

        def run(_pin: str) -> WorkerResult:
            if action == "reset":
                self.booth.reset_polls(officer, supervisor)
                return WorkerResult("worker.reset_done", {})
            side = Side.STORE if action == "recover-store" else Side.MIRROR
            copied = self.booth.recover(side, officer, supervisor)
            return WorkerResult("worker.recovered", {"n": copied})

        self.two_person = None
        self._worker(run)()

    # The readiness check ------------------------------------------------------------------------

    def _start_readiness(self: BoothWindow) -> None:
        from booth.ui.window import WorkerResult

        try:
            self.readiness = self.booth.readiness_check(self.worker_pin.decode())
        except (BoothError, HardwareError) as exc:
            self.worker_result = WorkerResult("worker.error", {"error": error_value(exc)})
            self.worker_screen = ScreenId.WORKER_RESULT
            self.refresh()
            return
        self.walk_seen = set()
        self.worker_screen = ScreenId.WORKER_READINESS
        self.refresh()

    def _ready_step(
        self: BoothWindow, step: Callable[[ReadinessCheck], object]
    ) -> Callable[[], None]:
        def act() -> None:
            assert self.readiness is not None
            step(self.readiness)
            self.refresh()

        return act

    def _speak_test(self: BoothWindow) -> None:
        """The phrase in both languages, synthesized here (a failure is shown at once) and
        played through the voter's speaker and player, at the voter's default volume and
        rate."""
        self.worker_notice = None
        try:
            speaker = self.access.voice()
            wavs = [
                speaker.synthesize(
                    Utterance(
                        text("readiness.speaker.phrase", lang),
                        lang,
                        VOLUMES[DEFAULT_STEP],
                        RATES[DEFAULT_STEP],
                    )
                )
                for lang in Lang
            ]
            speaker.play(joined(wavs))
        except SpeechFailed as exc:
            self.worker_notice = error_value(exc)
        self.worker_screen = ScreenId.WORKER_SPEAKER
        self.refresh()

    def _heard(self: BoothWindow, heard: bool) -> Callable[[], None]:
        def act() -> None:
            assert self.readiness is not None
            self.readiness.observed(ReadinessItem.SPEAKER, heard)
            self.worker_notice = None
            self.worker_screen = ScreenId.WORKER_READINESS
            self.refresh()

        return act

    def _start_walk(self: BoothWindow) -> None:
        self.walk_seen = set()
        self.worker_screen = ScreenId.WORKER_WALK
        self.refresh()

    def walk_key(self: BoothWindow, key: int) -> None:
        """A key press during the walk: marked seen if it is one of the walk's keys."""
        seen = WALK.get(key)
        if seen is not None and seen not in self.walk_seen:
            self.walk_seen.add(seen)
            self.refresh()

    def _walk_done(self: BoothWindow) -> None:
        assert self.readiness is not None
        keypad = all(("keypad", k) in self.walk_seen for k in KEYPAD_KEYS)
        switches = all(("switch", k) in self.walk_seen for k in SWITCH_KEYS)
        self.readiness.observed(ReadinessItem.KEYPAD, keypad)
        self.readiness.observed(ReadinessItem.SWITCHES, switches)
        self.worker_screen = ScreenId.WORKER_READINESS
        self.refresh()

    def _readiness_report(self: BoothWindow, _pin: str) -> WorkerResult:
        from booth.ui.window import WorkerResult

        assert self.readiness is not None
        self.readiness.print_report()
        key = "worker.readiness.printed" if self.readiness.all_passed else "worker.readiness.failed"
        return WorkerResult(key, {})

    # Kiosk ----------------------------------------------------------------------------------------

    def enter_kiosk(self: BoothWindow) -> None:
        """Full screen, no window decorations, above every other window; the window closes
        only after a poll worker shut the booth down from the menu."""
        self.kiosk = True
        self.setWindowFlags(
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        # Without a window manager (a kiosk session) nothing resizes a full-screen window:
        # it takes the screen's whole geometry itself.
        self.setGeometry(self.screen().geometry())
        self.showFullScreen()
        self.raise_()
        self.activateWindow()  # the focus is drawn on the first control at once

    def closeEvent(self: BoothWindow, event: QCloseEvent) -> None:
        if getattr(self, "kiosk", False) and not self.may_close:
            event.ignore()  # Alt+F4, the window manager's close: only the menu's shut down
            return
        QWidget.closeEvent(self, event)

    # Shut down ----------------------------------------------------------------------------------

    def _shut_down(self: BoothWindow) -> None:
        try:
            self.booth.shut_down(self.worker_pin.decode())
        except (BoothError, HardwareError) as exc:
            from booth.ui.window import WorkerResult

            self.worker_result = WorkerResult("worker.error", {"error": error_value(exc)})
            self.worker_screen = ScreenId.WORKER_RESULT
            self.refresh()
            return
        self.stopped = self.may_close = True
        self.timer.stop()
        self.worker_pin[:] = bytes(len(self.worker_pin))
        self.worker_pin.clear()
        self.worker_screen = ScreenId.WORKER_OFF
        self.refresh()
        self.booth_stopped.emit()

    # The screens --------------------------------------------------------------------------------

    def worker_extra_spec(self: BoothWindow, t: Texts, back: Button, leave: Button) -> Spec | None:
        """The Spec of a worker screen this module owns, or None."""
        match self.worker_screen:
            case ScreenId.WORKER_READER:
                state = reader_state(self.booth.parts.card_slot)
                name = getattr(self.booth.parts.card_slot, "name_prefix", "")
                again = Button(
                    t("worker.reader.again"),
                    t("worker.reader.again"),
                    self._go_worker(ScreenId.WORKER_READER),
                    "reader-again",
                )
                return _spec(
                    ScreenId.WORKER_READER,
                    t("worker.reader.title"),
                    Label(t(f"reader.{state.value}"), "title"),
                    Label(t("worker.reader.name", name=name or "—")),
                    Label(t("worker.reader.body")),
                    Row((again, back)),
                )
            case ScreenId.WORKER_STUCK:
                go = Button(
                    t("worker.stuck.go"),
                    t("worker.stuck.go"),
                    self._worker(self._stuck),
                    "stuck-go",
                )
                return _spec(
                    ScreenId.WORKER_STUCK,
                    t("worker.stuck.title"),
                    Label(t("worker.stuck.body", booth=self.booth.parts.booth_id)),
                    Row((go, back)),
                )
            case ScreenId.WORKER_RECOVER:
                problem = self.booth.storage_problem
                store = Button(
                    t("worker.recover.store"),
                    t("worker.recover.store"),
                    self._two_person("recover-store"),
                    "recover-store",
                )
                mirror = Button(
                    t("worker.recover.mirror"),
                    t("worker.recover.mirror"),
                    self._two_person("recover-mirror"),
                    "recover-mirror",
                )
                return _spec(
                    ScreenId.WORKER_RECOVER,
                    t("worker.recover.title"),
                    Label(describe_error(t, problem) if problem else t("worker.recover.none")),
                    Label(t("worker.recover.body")),
                    Row((store, mirror), columns=1),
                    Row((back,)),
                )
            case ScreenId.WORKER_OFFICER | ScreenId.WORKER_SUPERVISOR:
                officer = self.worker_screen is ScreenId.WORKER_OFFICER
                typed = self.first_pin if officer else self.second_pin
                prefix = "officer" if officer else "supervisor"
                done = self._officer_done if officer else self._supervisor_done
                role = "worker.two.officer" if officer else "worker.two.supervisor"
                return _spec(
                    self.worker_screen,
                    t(f"worker.two.{self.two_person}.title"),
                    Label(t(role), "notice"),
                    Label("● " * len(typed) or " ", "code"),
                    pin_pad(t, prefix, self._digit(typed), self._erase(typed), done),
                    Row((back,)),
                )
            case ScreenId.WORKER_READINESS:
                return self._readiness_spec(t, back)
            case ScreenId.WORKER_SPEAKER:
                blocks: list[Block] = [Label(t("worker.speaker.body"))]
                if self.worker_notice:
                    blocks.append(Label(self.worker_notice(t), "notice"))
                heard = Button(
                    t("worker.speaker.heard"),
                    t("worker.speaker.heard"),
                    self._heard(True),
                    "speaker-heard",
                )
                silent = Button(
                    t("worker.speaker.silent"),
                    t("worker.speaker.silent"),
                    self._heard(False),
                    "speaker-silent",
                )
                again = Button(
                    t("worker.speaker.again"),
                    t("worker.speaker.again"),
                    self._speak_test,
                    "speaker-again",
                )
                blocks.append(Row((heard, silent, again), columns=1))
                return _spec(ScreenId.WORKER_SPEAKER, t("worker.speaker.title"), *blocks)
            case ScreenId.WORKER_WALK:
                lines = []
                for group, keys in (("keypad", KEYPAD_KEYS), ("switch", SWITCH_KEYS)):
                    marks = [
                        t(
                            "walk.seen" if (group, k) in self.walk_seen else "walk.not_seen",
                            name=t(walk_word(k)),
                        )
                        for k in keys
                    ]
                    lines.append(Label(t(f"walk.{group}") + "　" + "　".join(marks)))
                finish = Button(t("walk.done"), t("walk.done"), self._walk_done, "walk-done")
                spec = _spec(
                    ScreenId.WORKER_WALK,
                    t("walk.title"),
                    Label(t("walk.body")),
                    *lines,
                    Row((finish,)),
                )
                return Spec(spec.screen, spec.title, spec.blocks, voter=False, focus_first=False)
            case ScreenId.WORKER_SHUTDOWN:
                off = Button(
                    t("worker.shutdown.go"), t("worker.shutdown.go"), self._shut_down, "shutdown-go"
                )
                return _spec(
                    ScreenId.WORKER_SHUTDOWN,
                    t("worker.shutdown.title"),
                    Label(t("worker.shutdown.body")),
                    Row((off, back)),
                )
            case ScreenId.WORKER_OFF:
                return _spec(
                    ScreenId.WORKER_OFF, t("worker.off.title"), Label(t("worker.off.body"))
                )
        return None

    def _readiness_spec(self: BoothWindow, t: Texts, back: Button) -> Spec:
        check = self.readiness
        results = {} if check is None else check.results
        rows: list[Block] = []
        for item in ReadinessItem:
            result = results.get(item)
            word = t("readiness.not_checked" if result is None else f"readiness.{result.value}")
            rows.append(Label(t("readiness.line", item=t(f"readiness.{item.value}"), result=word)))
        buttons = (
            Button(
                t("readiness.do.printer"),
                t("readiness.do.printer"),
                self._ready_step(lambda c: c.test_print()),
                "ready-printer",
            ),
            Button(
                t("readiness.do.card"),
                t("readiness.do.card"),
                self._ready_step(lambda c: c.card_reader()),
                "ready-card",
            ),
            Button(
                t("readiness.do.speaker"),
                t("readiness.do.speaker"),
                self._speak_test,
                "ready-speaker",
            ),
            Button(t("readiness.do.walk"), t("readiness.do.walk"), self._start_walk, "ready-walk"),
            Button(
                t("readiness.do.report"),
                t("readiness.do.report"),
                self._worker(self._readiness_report),
                "ready-report",
            ),
            back,
        )
        rows.append(Row(buttons, columns=2))
        return _spec(ScreenId.WORKER_READINESS, t("readiness.title"), *rows)


def _spec(screen: ScreenId, title: str, *blocks: Block) -> Spec:
    return Spec(screen, title, tuple(blocks), voter=False)


__all__ = [
    "KEYPAD_KEYS",
    "SWITCH_KEYS",
    "TWO_PERSON",
    "WALK",
    "ReadinessResult",
    "WorkerScreens",
    "describe_error",
]
