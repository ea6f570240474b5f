"""Every booth screen rendered offscreen to PNG: zh-TW and en, standard contrast, plus the
largest text size and the two 20:1 contrast modes for the voter's main screens.

Written to a temporary folder on every run (each image checked to be a full, non-blank
window); with REFVOTE_SCREENSHOTS=<folder> (`make screenshots` sets docs/screenshots) the same
images go there for docs/booth.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from booth.ui.catalog import Lang
from booth.ui.screens import ScreenId
from booth.ui.theme import Contrast, TextSize, Theme
from booth.ui.window import BoothWindow
from tests.booth_core_helpers import CARD_PIN, STRANGER, VOTERS, WORKER_PINS, Bench
from tests.test_booth_ui import H, W, bench, election, print_and_check, screen, tap, window

__all__ = ["bench", "election"]  # the fixtures, shared with test_booth_ui

VARIANTS = {
    "": Theme(),
    "-largest": Theme(TextSize.LARGEST),
    "-black-on-white": Theme(TextSize.NORMAL, Contrast.BLACK_ON_WHITE),
    "-white-on-black": Theme(TextSize.NORMAL, Contrast.WHITE_ON_BLACK),
}
MAIN = {ScreenId.QUESTION, ScreenId.REVIEW, ScreenId.CHECK_RECORD, ScreenId.CAST}
# Every screen: normal, largest text, high contrast (the main screens: both 20:1 modes).
EVERY = {k: VARIANTS[k] for k in ("", "-largest", "-white-on-black")}


def shooter(ui: BoothWindow, folder: Path) -> Callable[[str], None]:
    def shoot(name: str) -> None:
        keep = (ui.lang, ui.theme)
        for lang in Lang:
            variants = VARIANTS if screen(ui) in MAIN else EVERY
            if "REFVOTE_SCREENSHOTS" not in os.environ:
                variants = {"": Theme()}  # a test run: each screen once; make screenshots: all
            for suffix, theme in variants.items():
                ui.lang, ui.theme = lang, theme
                ui.refresh()
                path = folder / f"booth-{name}-{lang.value}{suffix}.png"
                assert ui.grab().save(str(path))
                with Image.open(path) as image:  # a palette PNG: a tenth of the size
                    small = image.convert("RGB").quantize(32)
                small.save(path, optimize=True)
        ui.lang, ui.theme = keep
        ui.refresh()

    return shoot


def test_screenshots(qtbot, bench: Bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = Path(os.environ.get("REFVOTE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    ui = window(qtbot, bench, opened=False)
    shoot = shooter(ui, folder)
    shoot("closed")
    tap(qtbot, ui, "worker")
    for d in WORKER_PINS[0][:3]:
        tap(qtbot, ui, f"worker-digit-{d}")
    shoot("worker-pin")
    for d in WORKER_PINS[0][3:]:
        tap(qtbot, ui, f"worker-digit-{d}")
    tap(qtbot, ui, "worker-ok")
    shoot("worker-menu-unconfigured")
    tap(qtbot, ui, "worker-configure")
    shoot("worker-configure")
    from tests.test_booth_ui import submit

    submit(qtbot, ui, "fingerprint", bench.election.fingerprint)
    shoot("worker-configured")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    shoot("worker-opened")
    tap(qtbot, ui, "worker-back")
    shoot("worker-menu-open")
    tap(qtbot, ui, "worker-printer")
    shoot("worker-printer")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-code")
    shoot("worker-code")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-leave")
    shoot("welcome")
    # A refusal, a wrong PIN.
    bench.slot.insert(bench.election, STRANGER)
    ui.card_inserted()
    for d in "99":
        tap(qtbot, ui, f"pin-digit-{d}")
    shoot("pin")
    tap(qtbot, ui, "pin-digit-9")
    tap(qtbot, ui, "pin-digit-9")
    tap(qtbot, ui, "pin-ok")
    shoot("pin-wrong")
    for d in CARD_PIN:
        tap(qtbot, ui, f"pin-digit-{d}")
    tap(qtbot, ui, "pin-ok")
    assert screen(ui) is ScreenId.REFUSED
    shoot("refused-not-on-roll")
    tap(qtbot, ui, "done")
    # The main flow.
    bench.slot.insert(bench.election, VOTERS[0])
    ui.card_inserted()
    for d in CARD_PIN:
        tap(qtbot, ui, f"pin-digit-{d}")
    tap(qtbot, ui, "pin-ok")
    shoot("question-1")
    for key, n in (("yes", 2), ("no", 3), ("blank", 4)):
        tap(qtbot, ui, f"choice-{key}")
        shoot(f"question-{n}")
    tap(qtbot, ui, "choice-decline")
    shoot("review")
    ui.printing = True
    shoot("printing")
    ui.printing = False
    bench.clock.t += 61
    ui.tick()
    shoot("timeout")
    tap(qtbot, ui, "still-here")
    print_and_check(qtbot, ui)
    shoot("check-record")
    tap(qtbot, ui, "challenge")
    shoot("challenged")
    tap(qtbot, ui, "vote-again")
    for key in ("yes", "no", "blank", "decline"):
        tap(qtbot, ui, f"choice-{key}")
    print_and_check(qtbot, ui)
    tap(qtbot, ui, "cast")
    shoot("cast")
    tap(qtbot, ui, "done")
    # A fault: the card pulled mid-ballot.
    bench.slot.insert(bench.election, VOTERS[1])
    ui.card_inserted()
    for d in CARD_PIN:
        tap(qtbot, ui, f"pin-digit-{d}")
    tap(qtbot, ui, "pin-ok")
    bench.slot.pull()
    ui.card_removed()
    shoot("fault-card-pulled")
    ui.card_removed()
    # A fault: paper out in the middle of the paper record.
    bench.slot.insert(bench.election, VOTERS[2])
    ui.card_inserted()
    for d in CARD_PIN:
        tap(qtbot, ui, f"pin-digit-{d}")
    tap(qtbot, ui, "pin-ok")
    for key in ("yes", "no", "blank", "decline"):
        tap(qtbot, ui, f"choice-{key}")
    assert bench.virtual is not None
    bench.virtual.paper_out_at = bench.virtual.received + 400
    tap(qtbot, ui, "print")
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.FAULT, timeout=30000)
    shoot("fault-printer-paper-out")
    bench.virtual.replace_paper()
    tap(qtbot, ui, "done")
    # Close.
    tap(qtbot, ui, "worker")
    for d in WORKER_PINS[0]:
        tap(qtbot, ui, f"worker-digit-{d}")
    tap(qtbot, ui, "worker-ok")
    tap(qtbot, ui, "worker-close")
    shoot("worker-closed")
    images = sorted(p for p in folder.glob("booth-*.png") if "contact-sheet" not in p.name)
    assert len(images) >= 50
    for path in images:
        with Image.open(path) as image:
            assert image.size == (W, H), path
            low, high = image.convert("L").getextrema()
            assert high - low > 100, path  # not blank
