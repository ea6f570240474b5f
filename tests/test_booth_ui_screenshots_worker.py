"""The poll worker's screens rendered offscreen to PNG (zh-TW and en; normal, largest text,
white on black), beside the voter's (tests/test_booth_ui_screenshots.py): to a temporary
folder on every run, to REFVOTE_SCREENSHOTS (`make screenshots`: docs/screenshots) when set.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from booth.store import MIRROR_NAME
from booth.ui.screens import ScreenId
from tests.booth_core_helpers import VOTERS, WORKER_PINS, Bench
from tests.test_booth_ui import H, W, bench, election, screen, tap, window, worker_login
from tests.test_booth_ui_screenshots import shooter
from tests.test_booth_ui_worker import (
    VOTER_KEYPAD,
    VOTER_SWITCHES,
    RecordingSpeaker,
    cast_through_the_core,
    type_pin,
)

__all__ = ["bench", "election"]
OFFICER, SUPERVISOR = WORKER_PINS


def test_worker_screenshots(qtbot, bench: Bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = Path(os.environ.get("REFVOTE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    bench.configured()
    ui = window(qtbot, bench, opened=False, speaker=RecordingSpeaker())
    shoot = shooter(ui, folder)
    tap(qtbot, ui, "worker")
    type_pin(qtbot, ui, "worker", "000000")
    shoot("worker-pin-refused")
    type_pin(qtbot, ui, "worker", OFFICER)
    shoot("worker-menu-configured")
    tap(qtbot, ui, "worker-readiness")
    tap(qtbot, ui, "ready-printer")
    tap(qtbot, ui, "ready-card")  # no test card: failed
    shoot("worker-readiness")
    tap(qtbot, ui, "ready-speaker")
    shoot("worker-speaker")
    tap(qtbot, ui, "speaker-heard")
    tap(qtbot, ui, "ready-walk")
    for key in (*VOTER_KEYPAD[:5], VOTER_SWITCHES[0]):
        qtbot.keyClick(ui.focusWidget() or ui, key)
    shoot("worker-walk")
    for key in (*VOTER_KEYPAD, *VOTER_SWITCHES):
        qtbot.keyClick(ui.focusWidget() or ui, key)
    tap(qtbot, ui, "walk-done")
    bench.slot.insert(bench.election, VOTERS[9])
    tap(qtbot, ui, "ready-card")
    bench.slot.pull()
    tap(qtbot, ui, "ready-report")
    shoot("worker-readiness-printed")
    tap(qtbot, ui, "worker-back")
    assert bench.virtual is not None
    bench.virtual.paper_out_at = bench.virtual.received
    tap(qtbot, ui, "worker-open")
    shoot("worker-error-printer")
    bench.virtual.replace_paper()
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reader")
    shoot("worker-reader")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reprint")
    shoot("worker-reprinted")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-stuck")
    shoot("worker-stuck")
    tap(qtbot, ui, "stuck-go")
    shoot("worker-stuck-reported")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-close")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reset")
    for d in OFFICER[:4]:
        tap(qtbot, ui, f"officer-digit-{d}")
    shoot("worker-reset-officer")
    for d in OFFICER[4:]:
        tap(qtbot, ui, f"officer-digit-{d}")
    tap(qtbot, ui, "officer-ok")
    type_pin(qtbot, ui, "supervisor", SUPERVISOR)
    shoot("worker-reset-done")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-shutdown")
    shoot("worker-shutdown")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-leave")
    # A lost mirror medium: the recovery screens (a new booth process on the same disk).
    tap(qtbot, ui, "worker")
    type_pin(qtbot, ui, "worker", OFFICER)
    tap(qtbot, ui, "worker-resume")
    ui.leave_worker()
    cast_through_the_core(bench, VOTERS[0])
    (bench.mirror_folder / MIRROR_NAME).unlink()
    ui = window(qtbot, bench, opened=False)
    shoot = shooter(ui, folder)
    worker_login(qtbot, ui)
    shoot("worker-menu-storage-problem")
    tap(qtbot, ui, "worker-recover")
    shoot("worker-recover")
    tap(qtbot, ui, "recover-store")
    type_pin(qtbot, ui, "officer", OFFICER)
    type_pin(qtbot, ui, "supervisor", SUPERVISOR)
    shoot("worker-recovered")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-shutdown")
    ui.find_button("shutdown-go").click()
    assert screen(ui) is ScreenId.WORKER_OFF
    shoot("worker-off")
    bench.booth = None
    normal = [p for p in folder.glob("booth-worker-*.png") if p.stem.endswith(("-zh-TW", "-en"))]
    assert len(normal) >= 2 * 18  # every shot above, in both languages
    for path in folder.glob("booth-worker-*.png"):
        with Image.open(path) as image:
            assert image.size == (W, H), path
            low, high = image.convert("L").getextrema()
            assert high - low > 100, path
