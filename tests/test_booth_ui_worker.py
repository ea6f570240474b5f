"""The poll worker's screens (issue 15), driven through taps over a real Booth on a bench:
card-reader status, reprint, stuck check-ins (release rule 1), the two-person reset and
recovery, the readiness check, shut down, kiosk mode, and the core's errors shown in the
screen's language from the catalog.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from ballots.ballot import Choice
from ballots.pins import Role
from booth.auth import AuthLocked, PinMalformed, PollWorkerAuth, SameWorkerTwice, WrongPin
from booth.core.ballot import BallotState
from booth.core.polls import PollsState
from booth.errors import (
    AuthenticationFailed,
    ClosingRefused,
    ConfigurationRefused,
    CopiesDisagree,
    ExportFailed,
    NoSession,
    NothingToReprint,
    OpeningRefused,
    RecoveryRefused,
    SessionRefused,
    TransitionRefused,
)
from booth.eventlog import EventCode, OpenRefusal, ReadinessItem, ReadinessResult, read_log
from booth.readiness import Identity, ReaderState, ReadinessCheck, reader_state
from booth.store import MIRROR_NAME
from booth.ui.access import KEYPAD, SWITCHES
from booth.ui.audio import (
    RATES,
    VOLUMES,
    EspeakSpeaker,
    NullPlayer,
    SpeechFailed,
    Utterance,
    samples,
)
from booth.ui.catalog import Lang, text
from booth.ui.screens import ScreenId, Texts
from booth.ui.theme import TextSize, Theme
from booth.ui.window import BoothWindow
from booth.ui.worker_screens import KEYPAD_KEYS, SWITCH_KEYS, WALK, describe_error
from hardware.errors import NoReader, PrintFailed
from hardware.printer.job import PrinterProfile
from tests.booth_core_helpers import CARD_PIN, VOTERS, WORKER_PINS, Bench, Election
from tests.test_booth_ui import (
    H,
    W,
    bench,
    check_names_and_keyboard,
    check_nothing_clipped,
    election,
    screen,
    shown_text,
    tap,
    window,
    worker_login,
)

__all__ = ["bench", "election"]  # the fixtures, shared with test_booth_ui
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OFFICER, SUPERVISOR = WORKER_PINS


class RecordingPlayer:
    """The headphones' player for the tests: keeps each WAV it is given, plays nothing."""

    def __init__(self) -> None:
        self.wavs: list[bytes] = []

    def play(self, wav: bytes) -> None:
        self.wavs.append(wav)

    def stop(self) -> None:
        pass


class RecordingSpeaker(EspeakSpeaker):
    """The booth's speaker (espeak-ng for real) on a recording player."""

    def __init__(self) -> None:
        super().__init__(RecordingPlayer())

    @property
    def played(self) -> list[bytes]:
        assert isinstance(self.player, RecordingPlayer)
        return self.player.wavs


# The keys a voter uses, written out here (booth/ui/access.py's docstring and docs/booth.md),
# not taken from the code under test: the readiness walk must check these.
VOTER_KEYPAD = (
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Return,  # select
    Qt.Key.Key_VolumeDown,
    Qt.Key.Key_VolumeUp,
    Qt.Key.Key_Asterisk,  # rate +
    Qt.Key.Key_Slash,  # rate -
)
VOTER_SWITCHES = (Qt.Key.Key_Tab, Qt.Key.Key_Space)  # move, select


def cast_through_the_core(bench: Bench, voter: str) -> None:
    booth = bench.booth
    assert booth is not None
    bench.slot.insert(bench.election, voter)
    booth.card_inserted()
    booth.enter_pin(CARD_PIN)
    booth.answer("17", Choice.YES)
    booth.review()
    booth.confirm()
    booth.cast()
    bench.slot.pull()


def title(ui: BoothWindow) -> str:
    assert ui.spec is not None
    return ui.spec.title


def type_pin(qtbot, ui: BoothWindow, prefix: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    for d in pin:
        tap(qtbot, ui, f"{prefix}-digit-{d}")
    tap(qtbot, ui, f"{prefix}-ok")


# The menu and its new items ------------------------------------------------------------------


def test_menu_offers_what_the_polls_state_allows(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, opened=False)
    worker_login(qtbot, ui)
    names = {b.objectName() for b in ui.findChildren(type(ui.find_button("worker-leave")))}
    assert {"worker-configure", "worker-shutdown"} <= names
    assert "worker-reprint" not in names and "worker-open" not in names
    tap(qtbot, ui, "worker-leave")
    bench.booth.configure(bench.election.folder, bench.election.fingerprint, OFFICER)  # type: ignore[union-attr]
    worker_login(qtbot, ui)
    for name in ("worker-readiness", "worker-open", "worker-reader", "worker-reprint"):
        ui.find_button(name)
    with pytest.raises(LookupError):
        ui.find_button("worker-stuck")  # polls not open: nothing can be stuck yet


def test_card_reader_status(qtbot, bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-reader")
    assert screen(ui) is ScreenId.WORKER_READER
    assert text("reader.empty", Lang.ZH) in shown_text(ui)
    bench.slot.insert(bench.election, VOTERS[0])
    tap(qtbot, ui, "reader-again")
    assert text("reader.card", Lang.ZH) in shown_text(ui)
    bench.slot.pull()

    def gone() -> None:
        raise NoReader("no card reader named 'X'")

    monkeypatch.setattr(bench.slot, "connect", gone)
    tap(qtbot, ui, "reader-again")
    assert text("reader.no-reader", Lang.ZH) in shown_text(ui)
    assert reader_state(bench.slot) is ReaderState.NO_READER


def test_reprint_the_last_report(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    bench.configured()
    ui = window(qtbot, bench, opened=False)
    ui.booth = bench.booth  # type: ignore[assignment]
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-reprint")  # nothing printed since start-up
    assert title(ui) == text("worker.error.title", Lang.ZH)
    assert text("worker.err.nothing_to_reprint", Lang.ZH) in shown_text(ui)
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reprint")
    assert title(ui) == text("worker.reprinted.title", Lang.ZH)
    assert text("report.zero", Lang.ZH) in shown_text(ui)
    assert [r.kind.value for r in bench.reports.reprinted] == ["zero"]


def test_reprint_on_the_real_report_printer_is_marked_and_logged(tmp_path: Path) -> None:
    """ThermalAndPdfReports.reprint_last: the same report, REPRINT, its own PDF, logged."""
    from ballots.definition import load_source
    from booth.core.polls import PollsReport, ReportKind
    from booth.report_printer import ThermalAndPdfReports
    from tests.booth_core_helpers import DEFINITION

    definition = load_source(DEFINITION)

    class Paper:
        profile = PrinterProfile()
        jobs: ClassVar[list[bytes]] = []

        def print_job(self, job: object) -> None:
            self.jobs.append(job.to_bytes())  # type: ignore[attr-defined]

    logged: list[tuple[EventCode, dict[str, object]]] = []

    class Log:
        def append(self, code: EventCode, **details: object) -> bytes:
            logged.append((code, details))
            return bytes(32)

    import datetime

    now = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC)
    reports = ThermalAndPdfReports(Paper(), tmp_path, False, Log(), now=lambda: now)
    assert reports.reprint_last() is None
    report = PollsReport(
        ReportKind.ZERO, "S1-A", "S1", bytes(32), bytes(32), None, 0, 0, 0, 0, 0, 0,
        tuple(), now, bytes(32),
    )  # fmt: skip
    reports.print_report(report, definition)
    assert reports.reprint_last() is ReportKind.ZERO
    assert [r.reprint for r in reports.printed] == [False, True]
    assert [c for c, _ in logged] == [EventCode.REPORT_PRINTED, EventCode.REPORT_REPRINTED]
    assert len(list(tmp_path.glob("*-reprint.pdf"))) == 1 and len(list(tmp_path.glob("*.pdf"))) == 2


def test_stuck_check_ins_told_to_the_poll_book(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    pb = bench.poll_book
    assert pb is not None
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-stuck")
    assert "refvote station release --booth S1-A" in shown_text(ui)
    tap(qtbot, ui, "stuck-go")
    assert title(ui) == text("worker.stuck.reported.title", Lang.ZH)
    assert pb.reports[-1] == frozenset()  # the booth owes nothing
    # A cast the poll book never acknowledged: the link is down; the mirror's outbox is named.
    tap(qtbot, ui, "worker-leave")
    bench.slot.insert(bench.election, VOTERS[0])
    booth = bench.booth
    assert booth is not None
    booth.card_inserted()
    booth.enter_pin(CARD_PIN)
    booth.answer("17", Choice.YES)
    booth.review()
    booth.confirm()
    pb.reachable = False
    booth.cast()
    assert booth.store.outbox()
    bench.slot.pull()
    ui.card_removed()
    ui.lang = Lang.EN
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-stuck")
    tap(qtbot, ui, "stuck-go")
    assert title(ui) == text("worker.stuck.pending.title", Lang.EN)
    assert "booth-outbox.txt" in shown_text(ui).replace("\u200b", "")
    # The link comes back: the cast is completed first, then the poll book is told.
    pb.reachable = True
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-stuck")
    tap(qtbot, ui, "stuck-go")
    assert title(ui) == text("worker.stuck.reported.title", Lang.EN)
    assert not booth.store.outbox() and len(pb.completed) == 1


# Two people ----------------------------------------------------------------------------------


def test_two_person_reset_after_closing(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-close")
    tap(qtbot, ui, "worker-back")
    assert bench.booth.polls is PollsState.CLOSED  # type: ignore[union-attr]
    tap(qtbot, ui, "worker-reset")
    assert screen(ui) is ScreenId.WORKER_OFFICER
    type_pin(qtbot, ui, "officer", OFFICER)
    assert screen(ui) is ScreenId.WORKER_SUPERVISOR
    assert "● " * len(OFFICER) not in shown_text(ui)  # the second pad starts empty
    type_pin(qtbot, ui, "supervisor", OFFICER)  # one person twice: refused by the core
    assert title(ui) == text("worker.error.title", Lang.ZH)
    assert bench.booth.polls is PollsState.CLOSED  # type: ignore[union-attr]
    assert not ui.first_pin and not ui.second_pin  # wiped once sent
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reset")
    type_pin(qtbot, ui, "officer", OFFICER)
    type_pin(qtbot, ui, "supervisor", SUPERVISOR)
    assert title(ui) == text("worker.reset_done.title", Lang.ZH)
    assert bench.booth.polls is PollsState.PAUSED  # type: ignore[union-attr]
    assert EventCode.POLLS_RESET in bench.log.codes()


def test_recovery_of_a_lost_mirror_through_the_screens(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    bench.opened()
    cast_through_the_core(bench, VOTERS[0])
    (bench.mirror_folder / MIRROR_NAME).unlink()  # a new, empty medium
    ui = window(qtbot, bench, opened=False)  # the booth restarts on the new medium
    booth = ui.booth
    assert isinstance(booth.storage_problem, CopiesDisagree)
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-recover")
    assert text("worker.err.storage", Lang.ZH) in shown_text(ui)
    tap(qtbot, ui, "recover-mirror")  # the wrong copy: refused, nothing lost
    type_pin(qtbot, ui, "officer", OFFICER)
    type_pin(qtbot, ui, "supervisor", SUPERVISOR)
    assert text("worker.err.recovery_refused", Lang.ZH) in shown_text(ui)
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-recover")
    tap(qtbot, ui, "recover-store")
    type_pin(qtbot, ui, "officer", OFFICER)
    type_pin(qtbot, ui, "supervisor", SUPERVISOR)
    assert title(ui) == text("worker.recovered.title", Lang.ZH)
    assert booth.storage_problem is None
    assert [e.fate for e in booth.store.entries()] == [BallotState.CAST]
    tap(qtbot, ui, "worker-back")
    with pytest.raises(LookupError):
        ui.find_button("worker-recover")  # no problem left: no recovery offered


# Readiness -----------------------------------------------------------------------------------


def press(qtbot, ui: BoothWindow, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    target = ui.focusWidget() or ui
    qtbot.keyClick(target, key)


def test_readiness_check_logged_and_printed(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    bench.configured()
    speaker = RecordingSpeaker()
    ui = window(qtbot, bench, opened=False, speaker=speaker)
    ui.booth = bench.booth  # type: ignore[assignment]
    virtual = bench.virtual
    assert virtual is not None
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-readiness")
    assert screen(ui) is ScreenId.WORKER_READINESS
    assert shown_text(ui).count(text("readiness.not_checked", Lang.ZH)) == 5
    pieces = len(virtual.pieces)
    tap(qtbot, ui, "ready-printer")
    qtbot.waitUntil(lambda: len(virtual.pieces) == pieces + 1, timeout=10000)
    tap(qtbot, ui, "ready-card")  # no test card in the reader yet
    failed = text("readiness.failed", Lang.ZH)
    line = text(
        "readiness.line", Lang.ZH, item=text("readiness.card-reader", Lang.ZH), result=failed
    )
    assert line in shown_text(ui)
    bench.slot.insert(bench.election, VOTERS[0])  # the test card
    tap(qtbot, ui, "ready-card")
    bench.slot.pull()
    tap(qtbot, ui, "ready-speaker")
    assert screen(ui) is ScreenId.WORKER_SPEAKER
    # The phrase in both languages, through the voter's speaker and player, as one sound.
    assert text("worker.err.speaker", Lang.ZH) not in shown_text(ui)
    assert len(speaker.played) == 1
    fresh = EspeakSpeaker(NullPlayer())
    alone = [
        fresh.synthesize(
            Utterance(text("readiness.speaker.phrase", lang), lang, VOLUMES[2], RATES[2])
        )
        for lang in (Lang.ZH, Lang.EN)
    ]
    played = samples(speaker.played[0])
    assert len(played) == sum(len(samples(w)) for w in alone)  # both phrases, nothing else
    assert max(abs(x) for x in played) > 2000  # not silence
    tap(qtbot, ui, "speaker-heard")
    # The walk: the voter's keypad keys but rate -, and Return for a switch (it is the
    # keypad's select: the switch select is Space).
    tap(qtbot, ui, "ready-walk")
    assert screen(ui) is ScreenId.WORKER_WALK
    for key in (*VOTER_KEYPAD[:-1], Qt.Key.Key_Tab, Qt.Key.Key_Return):
        press(qtbot, ui, key)
    assert screen(ui) is ScreenId.WORKER_WALK  # no key acted on anything
    assert "○" + text("walk.keypad.rate-down", Lang.ZH) in shown_text(ui)
    assert "○" + text("switch.select", Lang.ZH) in shown_text(ui)
    assert "✓" + text("switch.move", Lang.ZH) in shown_text(ui)
    tap(qtbot, ui, "walk-done")
    check = ui.readiness
    assert check is not None
    assert check.results[ReadinessItem.KEYPAD] is ReadinessResult.FAILED
    assert check.results[ReadinessItem.SWITCHES] is ReadinessResult.FAILED
    tap(qtbot, ui, "ready-walk")
    for key in (*VOTER_KEYPAD, *VOTER_SWITCHES):
        press(qtbot, ui, key)
    tap(qtbot, ui, "walk-done")
    assert check.all_passed
    pieces = len(virtual.pieces)
    tap(qtbot, ui, "ready-report")
    assert title(ui) == text("worker.readiness.printed.title", Lang.ZH)
    assert len(virtual.pieces) == pieces + 1
    # The log: each try, in order, then the report; item and result only.
    entries = [(c, d) for c, d in bench.log.events if c.value.startswith("readiness")]
    assert [(d.get("item"), d.get("result")) for _, d in entries] == [
        (ReadinessItem.PRINTER, ReadinessResult.PASSED),
        (ReadinessItem.CARD_READER, ReadinessResult.FAILED),
        (ReadinessItem.CARD_READER, ReadinessResult.PASSED),
        (ReadinessItem.SPEAKER, ReadinessResult.PASSED),
        (ReadinessItem.KEYPAD, ReadinessResult.FAILED),
        (ReadinessItem.SWITCHES, ReadinessResult.FAILED),
        (ReadinessItem.KEYPAD, ReadinessResult.PASSED),
        (ReadinessItem.SWITCHES, ReadinessResult.PASSED),
        (None, None),
    ]
    assert entries[-1][0] is EventCode.READINESS_REPORT_PRINTED
    bench.log.close()
    logged = read_log(bench.root / "internal" / "events.log").entries
    assert sum(e.code is EventCode.READINESS_CHECKED for e in logged) == 8


def test_walk_checks_the_voters_keys() -> None:
    """The walk's keys are the voter screens' keys, no more, no fewer: nine keypad
    functions and two switches, each reached by every code the voter screens read."""
    assert set(WALK) == set(KEYPAD) | set(SWITCHES)
    assert len(KEYPAD_KEYS) == len(VOTER_KEYPAD) and len(SWITCH_KEYS) == 2
    assert {WALK[k][1] for k in VOTER_KEYPAD} == set(KEYPAD_KEYS)
    assert [WALK[k] for k in VOTER_SWITCHES] == [("switch", k) for k in SWITCH_KEYS]


class BrokenSpeaker(RecordingSpeaker):
    """espeak-ng gone after the booth started (removed, or its voice data damaged)."""

    def __init__(self) -> None:
        super().__init__()  # espeak-ng worked when the booth started
        self.broken = True

    def synthesize(self, u: Utterance, wanted: Callable[[], bool] = lambda: True) -> bytes:
        if getattr(self, "broken", False):
            raise SpeechFailed("espeak-ng failed (exit 1)")
        return super().synthesize(u, wanted)


def test_readiness_with_a_broken_speaker_and_after_opening(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    bench.configured()
    speaker = BrokenSpeaker()
    ui = window(qtbot, bench, opened=False, speaker=speaker)
    ui.booth = bench.booth  # type: ignore[assignment]
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-readiness")
    tap(qtbot, ui, "ready-speaker")
    assert text("worker.err.speaker", Lang.ZH) in shown_text(ui)  # the failure, in words
    assert speaker.played == []
    tap(qtbot, ui, "speaker-silent")
    assert ui.readiness is not None
    assert ui.readiness.results[ReadinessItem.SPEAKER] is ReadinessResult.FAILED
    tap(qtbot, ui, "ready-report")
    assert title(ui) == text("worker.readiness.failed.title", Lang.ZH)
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    tap(qtbot, ui, "worker-back")
    with pytest.raises(LookupError):
        ui.find_button("worker-readiness")
    with pytest.raises(ConfigurationRefused):  # the core refuses it once polls are open
        bench.booth.readiness_check(OFFICER)  # type: ignore[union-attr]


def test_readiness_report_prints_every_result_with_its_date() -> None:
    import datetime

    class Paper:
        profile = PrinterProfile(text="big5")
        jobs: ClassVar[list[bytes]] = []

        def print_job(self, job: object) -> None:
            self.jobs.append(job.to_bytes())  # type: ignore[attr-defined]

    class Log:
        def append(self, code: EventCode, **details: object) -> bytes:
            return bytes(32)

    class NoSlot:
        def connect(self) -> object:
            raise NoReader("none")

    when = datetime.datetime(2026, 12, 3, 0, 30, tzinfo=datetime.UTC)
    check = ReadinessCheck(
        Identity("S1-A", "S1", "測試國小", "全國性公民投票", False), Paper(), NoSlot(), Log(),
        lambda: when,
    )  # fmt: skip
    assert check.card_reader() is ReadinessResult.FAILED
    check.observed(ReadinessItem.SPEAKER, True)
    with pytest.raises(ValueError):
        check.observed(ReadinessItem.PRINTER, True)  # the booth tries the printer itself
    check.print_report()
    data = Paper.jobs[-1]
    for needle in ("整備檢查報表", "未通過 FAILED", "通過 PASSED", "未檢查 NOT CHECKED",
                   "2026-12-03 08:30:00 (UTC+8)", "S1-A"):  # fmt: skip
        assert needle.encode("big5") in data, needle
    assert data.count("未檢查 NOT CHECKED".encode("big5")) == 3  # printer, keypad, switches


# Shut down and kiosk -------------------------------------------------------------------------


def test_shut_down_from_the_menu_and_kiosk(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    ui.enter_kiosk()
    flags = ui.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert ui.windowState() & Qt.WindowState.WindowFullScreen
    qtbot.waitExposed(ui)
    # No way out but the menu: a window manager's close (Alt+F4) and close() are ignored.
    event = QCloseEvent()
    QApplication.sendEvent(ui, event)
    assert not event.isAccepted()
    assert not ui.close() and ui.isVisible()
    qtbot.keyClick(ui.focusWidget() or ui, Qt.Key.Key_Escape)
    qtbot.keyClick(ui.focusWidget() or ui, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    assert ui.isVisible() and screen(ui) is ScreenId.WELCOME
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-shutdown")
    assert screen(ui) is ScreenId.WORKER_SHUTDOWN
    with qtbot.waitSignal(ui.booth_stopped, timeout=10000):
        ui.find_button("shutdown-go").click()
    assert screen(ui) is ScreenId.WORKER_OFF
    assert text("worker.off.body", Lang.ZH) in shown_text(ui)
    assert bench.log.codes()[-1] is EventCode.BOOTH_STOPPED
    assert not ui.timer.isActive()
    ui.tick()  # the clock after the shut down touches nothing
    assert ui.close()
    bench.booth = None  # closed already


def test_shut_down_refused_mid_session(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    booth = bench.opened()
    bench.slot.insert(bench.election, VOTERS[0])
    booth.card_inserted()
    with pytest.raises(ClosingRefused):
        booth.shut_down(OFFICER)
    assert EventCode.BOOTH_STOPPED not in bench.log.codes()


# The core's errors in the screen's language --------------------------------------------------


def refused_opening(reason: OpenRefusal) -> OpeningRefused:
    exc = OpeningRefused("english message from the core")
    exc.reason = reason
    return exc


ERRORS = [
    (WrongPin((Role.CHIEF_OFFICER,), 3), "worker.err.pin_wrong", {"n": 3}),
    (PinMalformed("x"), "worker.err.pin_malformed", {}),
    (SameWorkerTwice("x"), "worker.err.same_twice", {}),
    (ConfigurationRefused("x"), "worker.err.package", {}),
    (ClosingRefused("x"), "worker.err.closing", {}),
    (NothingToReprint("x"), "worker.err.nothing_to_reprint", {}),
    (RecoveryRefused("x"), "worker.err.recovery_refused", {}),
    (CopiesDisagree("x", ("a",)), "worker.err.storage", {}),
    (ExportFailed("x"), "worker.err.export", {}),
    (NoReader("x"), "worker.err.no_reader", {}),
    *[(refused_opening(r), f"worker.err.open.{r.value}", {}) for r in OpenRefusal],
    (SessionRefused("english message", NoSession.PRINTER), "worker.err.printer_not_ready", {}),
    *[
        (SessionRefused("english message", r), f"session.refused.{r.value}", {})
        for r in NoSession
        if r is not NoSession.PRINTER
    ],
]


@pytest.mark.parametrize("lang", list(Lang))
def test_core_errors_shown_from_the_catalog(lang: Lang) -> None:
    t = Texts(lang)
    for exc, key, values in ERRORS:
        shown = describe_error(t, exc)
        assert shown == text(key, lang, **values), key
        assert ("english message" not in shown and str(exc) not in shown) or str(exc) == "x"
    polls = TransitionRefused("polls", "closed", "open")
    assert describe_error(t, polls) == text(
        "worker.err.transition", lang, state=text("polls.closed", lang)
    )
    failed = PrintFailed("paper out", "report")
    assert describe_error(t, failed) == text(
        "worker.err.print_failed", lang, state=text("printer.paper out", lang)
    )
    import datetime

    until = datetime.datetime(2026, 12, 3, 1, 5, tzinfo=datetime.UTC)
    assert describe_error(t, AuthLocked(until)) == text("worker.err.locked", lang, until="09:05")


def test_open_refused_shown_in_chinese(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    """A real refusal from the core (the printer out of paper) reaches the zh-TW screen in
    zh-TW: its reason picks the catalog entry, the core's English never shows."""
    bench.configured()
    ui = window(qtbot, bench, opened=False)
    ui.booth = bench.booth  # type: ignore[assignment]
    virtual = bench.virtual
    assert virtual is not None
    virtual.paper_out_at = virtual.received
    worker_login(qtbot, ui)
    tap(qtbot, ui, "worker-open")
    assert text("worker.err.open.printer-not-ready", Lang.ZH) in shown_text(ui)
    assert "printer is not ready" not in shown_text(ui)
    assert bench.booth.polls is PollsState.CONFIGURED  # type: ignore[union-attr]
    ui.lang = Lang.EN  # the same result, drawn again in English: worded when drawn
    ui.refresh()
    assert text("worker.err.open.printer-not-ready", Lang.EN) in shown_text(ui)
    assert text("worker.err.open.printer-not-ready", Lang.ZH) not in shown_text(ui)


def test_wrong_pins_with_the_real_authenticator(qtbot, election: Election, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """booth.auth.PollWorkerAuth over the package's records: tries left, then the two-person
    reset refused for one PIN twice, each in the screen's language."""
    b = Bench(election, tmp_path / "booth", authenticator=PollWorkerAuth)
    try:
        pins = election.station_pins["S1"]
        b.start().configure(election.folder, election.fingerprint, pins.officer)
        ui = window(qtbot, b, opened=False)
        ui.booth = b.booth  # type: ignore[assignment]
        ui.lang = Lang.EN
        tap(qtbot, ui, "worker")
        type_pin(qtbot, ui, "worker", "999999")
        assert screen(ui) is ScreenId.WORKER_PIN
        assert "tries lock poll-worker actions" in shown_text(ui)
        assert "wrong poll-worker PIN (" not in shown_text(ui)  # not the core's own words
        type_pin(qtbot, ui, "worker", pins.officer)
        assert screen(ui) is ScreenId.WORKER_MENU
    finally:
        b.stop()


def check_inside_the_window(ui: BoothWindow) -> None:
    """Every visible label and button lies wholly inside the window (a layout squeezed
    by too much content cuts its last row off at the window's edge)."""
    for widget in (*ui.findChildren(QLabel), *ui.findChildren(QPushButton)):
        if widget.isVisible():
            corner = widget.mapTo(ui, widget.rect().bottomRight())
            assert corner.y() < ui.height() and corner.x() < ui.width(), widget.objectName()
            assert widget.height() >= widget.minimumSizeHint().height(), (
                widget.objectName() or widget.text()  # type: ignore[attr-defined]
            )


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_new_worker_screens_named_reachable_unclipped(qtbot, bench: Bench, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    bench.configured()
    ui = window(qtbot, bench, opened=False)
    ui.booth = bench.booth  # type: ignore[assignment]

    def check() -> None:
        ui.lang, ui.theme = lang, Theme(TextSize.LARGEST)
        ui.refresh()
        ui.resize(W, H)  # the screen's size: a layout that needs more cannot be made to fit
        assert (ui.width(), ui.height()) == (W, H), ui.spec and ui.spec.screen
        check_names_and_keyboard(ui)
        check_nothing_clipped(ui)
        check_inside_the_window(ui)

    worker_login(qtbot, ui)
    check()
    for name, back in (
        ("worker-readiness", None),
        ("ready-printer", None),
        ("ready-card", None),
        ("ready-speaker", "speaker-silent"),
        ("ready-walk", "walk-done"),
    ):
        tap(qtbot, ui, name)
        check()
        if back:
            tap(qtbot, ui, back)
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-open")
    tap(qtbot, ui, "worker-back")
    for name in ("worker-reader", "worker-stuck", "worker-shutdown"):
        tap(qtbot, ui, name)
        check()
        tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-stuck")
    tap(qtbot, ui, "stuck-go")
    check()
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reprint")
    check()
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-close")
    tap(qtbot, ui, "worker-back")
    tap(qtbot, ui, "worker-reset")
    check()
    type_pin(qtbot, ui, "officer", OFFICER)
    check()


def test_core_checks_behind_the_new_screens(bench: Bench) -> None:
    """check_worker: no PIN record before a package is loaded (configure checks it), a wrong
    PIN refused and counted after; stuck sessions and shut down never mid-session."""
    booth = bench.start()
    assert booth.check_worker("000000") is None  # unconfigured: nothing to check against
    assert bench.workers.refused == 0
    booth.configure(bench.election.folder, bench.election.fingerprint, OFFICER)
    with pytest.raises(AuthenticationFailed):
        booth.check_worker("000000")
    assert bench.workers.refused == 1
    assert booth.check_worker(OFFICER) is not None
    booth.open_polls(OFFICER)
    bench.slot.insert(bench.election, VOTERS[0])
    booth.card_inserted()
    assert bench.poll_book is not None
    told = len(bench.poll_book.reports)  # start-up, idle, told it already
    with pytest.raises(ClosingRefused):
        booth.report_stuck_sessions(OFFICER)
    assert len(bench.poll_book.reports) == told  # never mid-session
