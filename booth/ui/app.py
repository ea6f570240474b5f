"""The booth's Qt application: one kiosk window over one Booth, fed by the card reader's events.

`run_window` is what `refvote booth` (and `refvote booth --demo`) ends in: it makes the
QApplication, the window (full screen and frameless in kiosk mode: `BoothWindow.enter_kiosk`),
forwards pcscd's slot events (`hardware.idcard.reader.CardEvents`, its own thread) to the
window on the GUI thread, and returns when a poll worker shut the booth down. With
`quit_after_ready` it returns as soon as the window is shown and the card in the reader was
seen by the booth (the PIN screen is up): the headless check of the demo.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from booth.booth import Booth
from booth.ui.audio import Speaker
from booth.ui.screens import ScreenId, Spec
from booth.ui.window import BoothWindow, UiSettings

READY_TIMEOUT_MS = 120_000  # quit_after_ready: give up (exit 1) if not ready by then
OFF_SCREEN_MS = 3_000  # the "you may switch off" screen stays this long before the app ends


class _CardSignal(QObject):
    """Carries a slot event from the reader's thread to the GUI thread (a queued signal)."""

    changed = Signal(bool)


@dataclass(frozen=True)
class AppOptions:
    kiosk: bool = True
    quit_after_ready: bool = False
    size: tuple[int, int] = (1920, 1080)  # the window's size when not in kiosk mode
    screenshot: Path | None = None  # quit_after_ready: the whole screen saved here (Xvfb)


def run_window(
    booth: Booth,
    settings: UiSettings,
    reader: object | None,
    options: AppOptions,
    on_ready: Callable[[], None] | None = None,
    after_session: Callable[[BoothWindow], None] | None = None,
    speaker: Speaker | None = None,
) -> int:
    """Show the booth and run until shut down (0), or until ready (`quit_after_ready`: 0 if
    the window showed and the card was seen, 1 if not within READY_TIMEOUT_MS).

    `reader` is a `hardware.idcard.reader.PcscReader` (None: no card events, as in tests).
    `after_session` is called, deferred, on the welcome screen after a session ended (the
    demo uses it to put the next voter's virtual card in). `speaker` is the booth's one speaker
    (None: espeak-ng on the default player, made when first needed)."""
    from hardware.idcard.reader import CardEvents

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    ui = BoothWindow(booth, settings, speaker)
    result = {"code": 0}
    card = _CardSignal()
    card.changed.connect(lambda present: ui.card_inserted() if present else ui.card_removed())
    events = None
    if reader is not None:
        events = CardEvents(reader, card.changed.emit)  # type: ignore[arg-type]
        if events.error is not None:
            raise events.error

    def end(code: int) -> None:
        # exit(), not quit(): Qt 6's quit() asks every window to close first, and the kiosk
        # window refuses a close outside a shut down.
        result["code"] = code
        ui.may_close = True
        app.exit(code)

    ui.booth_stopped.connect(lambda: QTimer.singleShot(OFF_SCREEN_MS, lambda: end(0)))

    def rendered(spec: Spec) -> None:
        if options.quit_after_ready and spec.screen is ScreenId.PIN and ui.isVisible():
            if on_ready is not None:
                on_ready()
            QTimer.singleShot(0, ready)
        if after_session is not None and spec.screen is ScreenId.WELCOME:
            if booth.session is not None and booth.session is ui.dismissed:
                QTimer.singleShot(0, lambda: after_session(ui))

    def ready() -> None:
        if options.screenshot is not None:
            app.processEvents()  # the PIN screen painted before the screen is grabbed
            if not ui.screen().grabWindow(0).save(str(options.screenshot)):
                end(1)
                return
        end(0)

    ui.rendered.connect(rendered)
    if options.kiosk:
        ui.enter_kiosk()
    else:
        ui.resize(*options.size)
        ui.show()
    if events is not None and events.present:
        ui.card_inserted()  # a card already waiting when the booth starts
    if options.quit_after_ready:
        QTimer.singleShot(READY_TIMEOUT_MS, lambda: end(1))
    try:
        app.exec()
    finally:
        if events is not None:
            events.stop()
        ui.may_close = True
        ui.close()
    return result["code"]
