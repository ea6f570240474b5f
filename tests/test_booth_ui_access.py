"""The voter's access: tactile keypad, two switches with their calibration, the audio ballot
(espeak-ng), screen blanking, touch targets, and the fault screens read aloud.

Offscreen Qt over a real Booth on the bench (tests/booth_core_helpers: in-process eID cards,
the real printer driver to the virtual printer, an in-memory poll book), as in
tests/test_booth_ui.py. The audio tests inject a `Recorder`: it calls the real espeak-ng
(booth.ui.audio.EspeakSpeaker) for every utterance, writes each WAV to the test's own folder
and keeps the text, so a test checks that a screen was spoken, that the sound is not silent
(its loudest sample), and that the words are the catalog's.
"""

from __future__ import annotations

import math
import os
import wave
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFontInfo, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from ballots.ballot import Choice
from booth.core.ballot import BallotState
from booth.core.session import SessionState
from booth.errors import TransitionRefused
from booth.eventlog import Refusal
from booth.ui.access import CALIBRATION, AccessSettings, Calibration, InputMode
from booth.ui.audio import (
    RATES,
    VOLUMES,
    EspeakSpeaker,
    NullPlayer,
    SpeechFailed,
    Utterance,
    runs,
    samples,
)
from booth.ui.catalog import Lang, text
from booth.ui.screens import ScreenId
from booth.ui.theme import (
    FAMILY,
    KIOSK_DPI,
    KIOSK_PANEL,
    MIN_TARGET_MM,
    Contrast,
    TextSize,
    Theme,
)
from booth.ui.window import BoothWindow, UiSettings
from hardware.printer.escpos import PrinterState
from tests.booth_core_helpers import CARD_PIN, STRANGER, VOTERS, WORKER_PINS, Bench
from tests.test_booth_ui import (
    ANSWERS,
    H,
    W,
    bench,
    check_names_and_keyboard,
    check_nothing_clipped,
    election,
    every_voter_screen,
    focusable,
    insert_and_pin,
    screen,
    shown_text,
    tap,
)

__all__ = ["bench", "election"]  # the fixtures, shared with test_booth_ui

LOUD = 2000  # a 16-bit sample's magnitude: espeak-ng's speech peaks far above, silence is 0
KEYPAD_UP, KEYPAD_DOWN, KEYPAD_SELECT = Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Return
MOVE, SELECT = Qt.Key.Key_Tab, Qt.Key.Key_Space  # the two switches


class Recorder:
    """A Speaker for the tests: the real espeak-ng (synchronously, so each screen's speech is
    known when its render returns), each WAV kept in a file, nothing played."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.inner = EspeakSpeaker(NullPlayer())
        self.said: list[tuple[ScreenId | None, Utterance, Path]] = []
        self.played: list[bytes] = []  # WAVs played as they are (the headphone test)
        self.ui: BoothWindow | None = None

    def speak(self, utterance: Utterance) -> None:
        wav = self.inner.synthesize(utterance)
        path = self.folder / f"utterance-{len(self.said):04d}.wav"
        path.write_bytes(wav)
        on = self.ui.spec.screen if self.ui is not None and self.ui.spec is not None else None
        self.said.append((on, utterance, path))

    def synthesize(self, utterance: Utterance) -> bytes:
        return self.inner.synthesize(utterance)

    def play(self, wav: bytes) -> None:
        self.played.append(wav)

    def stop(self) -> None:
        pass

    def on(self, screen_id: ScreenId) -> list[Utterance]:
        return [u for s, u, _ in self.said if s is screen_id]


def peak(path: Path) -> int:
    return max(abs(s) for s in samples(path.read_bytes()))


def seconds(wav: bytes) -> float:
    return len(samples(wav)) / 22050


def window(qtbot, bench: Bench, recorder: Recorder | None = None) -> BoothWindow:  # type: ignore[no-untyped-def]
    ui = BoothWindow(
        bench.opened(),
        UiSettings(bench.election.folder, bench.usb, tick_ms=24 * 3600 * 1000),
        speaker=recorder,
    )
    if recorder is not None:
        recorder.ui = ui
    qtbot.addWidget(ui)
    ui.resize(W, H)
    ui.show()
    qtbot.waitExposed(ui)
    return ui


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    (tmp_path / "speech").mkdir()
    return Recorder(tmp_path / "speech")


def key(qtbot, ui: BoothWindow, k: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    target = ui.focusWidget() or ui
    qtbot.keyClick(target, k)


def reach(qtbot, ui: BoothWindow, name: str, move: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    for _ in range(60):
        focused = ui.focusWidget()
        if focused is not None and focused.objectName() == name:
            return
        key(qtbot, ui, move)
    raise AssertionError(f"{name} not reached with {move} on {screen(ui)}")


def press(qtbot, ui: BoothWindow, name: str, move: Qt.Key, select: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    """Move until the named control has the focus, then select: no touch at all."""
    reach(qtbot, ui, name, move)
    with qtbot.waitSignal(ui.rendered, timeout=30000):
        key(qtbot, ui, select)


# The voice ------------------------------------------------------------------------------------


def test_espeak_wav_is_speech_at_the_chosen_volume_and_rate() -> None:
    speaker = EspeakSpeaker(NullPlayer())
    words = text("check.title", Lang.ZH)
    quiet = speaker.synthesize(Utterance(words, Lang.ZH, VOLUMES[0], RATES[2]))
    loud = speaker.synthesize(Utterance(words, Lang.ZH, VOLUMES[-1], RATES[2]))
    slow = speaker.synthesize(Utterance(words, Lang.ZH, VOLUMES[2], RATES[0]))
    fast = speaker.synthesize(Utterance(words, Lang.ZH, VOLUMES[2], RATES[-1]))
    for wav in (quiet, loud, slow, fast):
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
        n = int.from_bytes(wav[40:44], "little")  # the data chunk's true length (fixed up)
        assert n == len(wav) - 44 and n > 0
    peak_q = max(abs(s) for s in samples(quiet))
    peak_l = max(abs(s) for s in samples(loud))
    assert peak_q > LOUD // 4 and peak_l > LOUD
    assert peak_l > 2 * peak_q  # the volume keys change what the voter hears
    peaks = [
        max(abs(x) for x in samples(speaker.synthesize(Utterance(words, Lang.ZH, v, RATES[2]))))
        for v in VOLUMES
    ]
    assert peaks == sorted(set(peaks))  # each step louder than the one below
    assert peaks[-1] < 32767  # and the loudest not clipped
    assert seconds(slow) > 1.5 * seconds(fast)  # and the rate keys how fast


def test_english_speaks_chinese_runs_with_the_mandarin_voice() -> None:
    parts = runs(text("choice.yes", Lang.EN) + ". " + text("answer.no", Lang.EN), Lang.EN)
    assert [v for v, _ in parts] == ["cmn", "en", "cmn", "en"]
    assert parts[0][1].strip() == "同意" and "Yes" in parts[1][1]
    assert runs("第17案 核四", Lang.ZH) == [("cmn", "第17案 核四")]
    assert runs("● ○ ", Lang.EN) == []  # nothing to say
    with pytest.raises(SpeechFailed):
        EspeakSpeaker(NullPlayer()).synthesize(Utterance("●", Lang.EN, 100, 175))
    with pytest.raises(SpeechFailed):
        EspeakSpeaker(NullPlayer(), program="no-such-espeak")


# The two acceptance flows: keypad alone and two switches alone, audio on ---------------------


def audio_flow(qtbot, ui: BoothWindow, bench: Bench, move: Qt.Key, select: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    bench.slot.insert(bench.election, VOTERS[0])
    ui.card_inserted()
    assert screen(ui) is ScreenId.PIN
    for d in CARD_PIN:
        press(qtbot, ui, f"pin-digit-{d}", move, select)
    assert CARD_PIN not in shown_text(ui)
    press(qtbot, ui, "pin-ok", move, select)
    for key_name, _ in ANSWERS.values():  # yes, no, blank, declined
        press(qtbot, ui, f"choice-{key_name}", move, select)
    assert screen(ui) is ScreenId.REVIEW
    reach(qtbot, ui, "print", move)
    key(qtbot, ui, select)
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.CHECK_RECORD, timeout=30000)
    key(qtbot, ui, select)  # a select before any move: the focus is on no control
    assert screen(ui) is ScreenId.CHECK_RECORD and not bench.booth.store.entries()  # type: ignore[union-attr]
    press(qtbot, ui, "cast", move, select)
    assert screen(ui) is ScreenId.CAST


def check_spoken(recorder: Recorder, ui: BoothWindow, bench: Bench, lang: Lang) -> None:
    """Each screen of the flow spoke, out loud, the catalog's words for it."""
    flow = [
        ScreenId.PIN,
        ScreenId.QUESTION,
        ScreenId.REVIEW,
        ScreenId.PRINTING,
        ScreenId.CHECK_RECORD,
        ScreenId.CAST,
    ]
    for s in flow:
        assert recorder.on(s), f"{s} was not spoken"
    for _s, u, path in recorder.said:
        assert u.lang is lang
        assert peak(path) > LOUD, (u.text, peak(path))  # not silent
        with wave.open(str(path)) as w:
            assert w.getnframes() > 0 and w.getframerate() == 22050
    titles = {
        ScreenId.PIN: "pin.title",
        ScreenId.REVIEW: "review.title",
        ScreenId.PRINTING: "printing.title",
        ScreenId.CHECK_RECORD: "check.title",
        ScreenId.CAST: "cast.title",
    }
    for s, k in titles.items():
        assert any(u.text.startswith(text(k, lang)) for u in recorder.on(s)), s
    d = bench.booth.package.definition  # type: ignore[union-attr]
    question_text = " ".join(u.text for u in recorder.on(ScreenId.QUESTION))
    for q in d.questions:
        assert (q.text_zh if lang is Lang.ZH else q.text_en) in question_text
    for choice in ("yes", "no", "blank", "decline"):
        assert text(f"choice.{choice}.name", lang) in question_text
    check = " ".join(u.text for u in recorder.on(ScreenId.CHECK_RECORD))
    assert text("check.body", lang) in check
    for i, (key_name, _) in enumerate(ANSWERS.values()):
        q = d.questions[i]
        line = text(
            "review.line",
            lang,
            case=q.case_number,
            short=q.short_title_zh if lang is Lang.ZH else q.short_title_en,
            answer=text(f"answer.{key_name}", lang),
        )
        assert line in check
    view = bench.booth.view()  # type: ignore[union-attr]
    spelled = " ".join(c for c in view.short_code if c.isalnum())  # type: ignore[union-attr]
    assert any(spelled in u.text for u in recorder.on(ScreenId.CAST))
    assert text("cast.body", lang) in " ".join(u.text for u in recorder.on(ScreenId.CAST))
    assert [e.fate for e in bench.booth.store.entries()] == [BallotState.CAST]  # type: ignore[union-attr]
    assert bench.poll_book is not None and len(bench.poll_book.completed) == 1


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_full_flow_keypad_alone_with_audio(
    qtbot, bench: Bench, recorder: Recorder, lang: Lang
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    if lang is Lang.EN:
        press(qtbot, ui, "bar-language", KEYPAD_DOWN, KEYPAD_SELECT)
    assert not recorder.said  # the audio ballot is off until the voter asks
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, Qt.Key.Key_VolumeUp)  # a volume key turns it on
    assert ui.access.settings.audio and ui.access.settings.input is InputMode.KEYPAD
    [(on, first, _)] = recorder.said
    assert on is ScreenId.WELCOME and first.text.startswith(text("welcome.title", lang))
    assert text("speech.hint.keypad", lang) in first.text
    audio_flow(qtbot, ui, bench, KEYPAD_DOWN, KEYPAD_SELECT)
    check_spoken(recorder, ui, bench, lang)
    press(qtbot, ui, "done", KEYPAD_DOWN, KEYPAD_SELECT)
    assert ui.access.settings == AccessSettings() and ui.lang is Lang.ZH


def calibrate(qtbot, ui: BoothWindow) -> None:  # type: ignore[no-untyped-def]
    """From the first screen, with the switches alone: the settings, then calibration."""
    press(qtbot, ui, "bar-access", MOVE, SELECT)
    assert screen(ui) is ScreenId.ACCESS
    press(qtbot, ui, "access-switches", MOVE, SELECT)
    assert screen(ui) is ScreenId.CALIBRATE
    assert ui.access.calibration is Calibration.WAIT_MOVE
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, SELECT)  # the wrong switch first: said, nothing pressed
    assert screen(ui) is ScreenId.CALIBRATE and ui.access.calibration is Calibration.WAIT_MOVE
    lang = ui.lang
    wrong = text(
        "calibrate.wrong", lang, got=text("switch.select", lang), want=text("switch.move", lang)
    )
    assert wrong in shown_text(ui)
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, MOVE)
    assert ui.access.calibration is Calibration.WAIT_SELECT
    assert text("calibrate.move.ok", lang) in shown_text(ui)
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, SELECT)
    assert ui.access.calibration is Calibration.CONFIRMED
    assert text("calibrate.select.ok", lang) in shown_text(ui)
    assert ui.focusWidget() is ui.find_button("switches-on")
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, SELECT)
    assert ui.access.settings.input is InputMode.SWITCHES


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_full_flow_two_switches_alone_with_audio(
    qtbot, bench: Bench, recorder: Recorder, lang: Lang
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    if lang is Lang.EN:
        press(qtbot, ui, "bar-language", MOVE, SELECT)
    calibrate(qtbot, ui)
    assert screen(ui) is ScreenId.WELCOME
    press(qtbot, ui, "bar-access", MOVE, SELECT)
    press(qtbot, ui, "access-audio", MOVE, SELECT)
    assert ui.access.settings.audio
    spoken = recorder.said[-1][1].text
    assert spoken.startswith(text("access.title", lang))
    assert text("speech.hint.switches", lang) in spoken
    press(qtbot, ui, "access-back", MOVE, SELECT)
    assert screen(ui) is ScreenId.WELCOME and recorder.on(ScreenId.WELCOME)
    audio_flow(qtbot, ui, bench, MOVE, SELECT)
    check_spoken(recorder, ui, bench, lang)
    press(qtbot, ui, "done", MOVE, SELECT)
    assert ui.access.settings == AccessSettings()


def test_a_voter_who_lands_on_a_poll_worker_screen_hears_how_to_leave(
    qtbot, bench: Bench, recorder: Recorder
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    audio_on(qtbot, ui)
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, KEYPAD_SELECT)  # the first control of the welcome screen
    assert screen(ui) is ScreenId.WORKER_PIN
    said = recorder.said[-1][1].text
    assert said.startswith(text("speech.worker", Lang.ZH, leave=text("worker.leave", Lang.ZH)))
    assert CARD_PIN not in said
    press(qtbot, ui, "worker-leave", KEYPAD_DOWN, KEYPAD_SELECT)
    assert screen(ui) is ScreenId.WELCOME and ui.access.settings.audio
    assert recorder.said[-1][1].text.startswith(text("welcome.title", Lang.ZH))


def test_pin_by_keypad_keeps_the_focus_on_the_digit_and_says_only_the_count(
    qtbot, bench: Bench, recorder: Recorder
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    bench.slot.insert(bench.election, VOTERS[0])
    ui.card_inserted()
    audio_on(qtbot, ui)
    press(qtbot, ui, "pin-digit-5", KEYPAD_DOWN, KEYPAD_SELECT)
    assert ui.focusWidget() is ui.find_button("pin-digit-5")  # not back on "1"
    said = recorder.said[-1][1].text
    sep = text("speech.pause", Lang.ZH)
    assert said == sep.join(
        (text("pin.entered", Lang.ZH, n=1), text("pin.digit.name", Lang.ZH, d="5"))
    )
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, KEYPAD_SELECT)  # the same digit again, no move
    assert ui.pin == bytearray(b"55")
    assert recorder.said[-1][1].text.startswith(text("pin.entered", Lang.ZH, n=2))
    # the next screen (a new title) starts on its first control again
    ui.pin.clear()
    for d in CARD_PIN:
        press(qtbot, ui, f"pin-digit-{d}", KEYPAD_DOWN, KEYPAD_SELECT)
    press(qtbot, ui, "pin-ok", KEYPAD_DOWN, KEYPAD_SELECT)
    assert screen(ui) is ScreenId.QUESTION
    assert ui.focusWidget() is ui.find_button("choice-yes")


def test_speech_failure_turns_the_audio_off_and_says_so(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        def speak(self, utterance: Utterance) -> None:
            raise SpeechFailed("espeak-ng failed (exit 1)")

        def stop(self) -> None:
            pass

    ui = window(qtbot, bench, Broken())  # type: ignore[arg-type]
    tap(qtbot, ui, "bar-access")
    tap(qtbot, ui, "access-audio")
    assert not ui.access.settings.audio and ui.access.unavailable
    ui.refresh()
    assert text("access.unavailable", Lang.ZH) in shown_text(ui)
    assert ui.find_button("access-audio").text() == text("access.audio.off", Lang.ZH)


def test_aplay_player_gets_the_wav_on_stdin(tmp_path: Path) -> None:
    from booth.ui.audio import AplayPlayer

    stub = tmp_path / "aplay"
    got = tmp_path / "got.wav"
    stub.write_text(f'#!/bin/sh\n[ "$1 $2" = "-q -" ] && cat > {got}\n')
    stub.chmod(0o755)
    wav = EspeakSpeaker(NullPlayer()).synthesize(Utterance("Volume 3", Lang.EN, 100, 175))
    player = AplayPlayer(str(stub))
    player.play(wav)
    proc = player._proc
    assert proc is not None and proc.wait(timeout=10) == 0
    player.stop()
    assert got.read_bytes() == wav


def test_aplay_player_does_not_block_and_stops_a_long_utterance(tmp_path: Path) -> None:
    """aplay reads as it plays: a WAV longer than a pipe's buffer must not hold the screen,
    and a new utterance (stop) ends the old one at once."""
    import time

    from booth.ui.audio import AplayPlayer

    stub = tmp_path / "aplay"
    stub.write_text("#!/bin/sh\nexec sleep 30\n")  # a device that never takes the sound
    stub.chmod(0o755)
    player = AplayPlayer(str(stub))
    start = time.monotonic()
    player.play(bytes(1 << 20))  # 1 MiB, 16 times a pipe's buffer
    proc = player._proc
    assert time.monotonic() - start < 2.0
    player.stop()
    assert proc is not None and proc.poll() is not None and player._proc is None


def test_calibration_table_refuses_a_skipped_switch() -> None:
    with pytest.raises(TransitionRefused):
        CALIBRATION.check(Calibration.WAIT_MOVE, Calibration.CONFIRMED)
    with pytest.raises(TransitionRefused):
        CALIBRATION.check(Calibration.CONFIRMED, Calibration.WAIT_SELECT)
    assert CALIBRATION.check(Calibration.WAIT_SELECT, Calibration.CONFIRMED)


# Volume, rate, held keys, blanking, reset --------------------------------------------------


def test_volume_and_rate_keys_within_their_range(qtbot, bench: Bench, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    insert_and_pin(qtbot, ui, bench)
    key(qtbot, ui, Qt.Key.Key_Plus)  # off: turns the audio on at the middle volume
    assert ui.access.settings.audio and recorder.said[-1][1].volume == VOLUMES[2]
    middle = recorder.said[-1][2]
    for _ in range(5):
        key(qtbot, ui, Qt.Key.Key_Plus)
    u, loud = recorder.said[-1][1], recorder.said[-1][2]
    assert u.volume == VOLUMES[-1] and u.text == text("speech.volume", Lang.ZH, n=5)
    assert peak(loud) > peak(middle)
    for _ in range(9):
        key(qtbot, ui, Qt.Key.Key_Minus)
    assert recorder.said[-1][1].volume == VOLUMES[0]
    key(qtbot, ui, Qt.Key.Key_Asterisk)
    assert recorder.said[-1][1].rate == RATES[3]
    assert recorder.said[-1][1].text == text("speech.rate", Lang.ZH, n=4)
    for _ in range(6):
        key(qtbot, ui, Qt.Key.Key_Slash)
    assert recorder.said[-1][1].rate == RATES[0]
    assert screen(ui) is ScreenId.QUESTION and bench.booth.view().answers == {}  # type: ignore[union-attr]


def test_a_held_key_presses_once(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    first = ui.focusWidget()
    assert first is ui.find_button("choice-yes")
    for k in (KEYPAD_DOWN, KEYPAD_SELECT, SELECT):
        repeat = QKeyEvent(QEvent.Type.KeyPress, k, Qt.KeyboardModifier.NoModifier, "", True)
        QApplication.sendEvent(first, repeat)
    assert ui.focusWidget() is first and bench.booth.view().answers == {}  # type: ignore[union-attr]


def test_blank_screen_in_audio_mode(
    qtbot, bench: Bench, recorder: Recorder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    insert_and_pin(qtbot, ui, bench)
    tap(qtbot, ui, "bar-access")
    with pytest.raises(LookupError):
        ui.find_button("access-blank")  # no blanking without the audio ballot
    tap(qtbot, ui, "access-audio")
    tap(qtbot, ui, "access-blank")
    assert ui.access.settings.blank
    tap(qtbot, ui, "access-back")
    assert screen(ui) is ScreenId.QUESTION
    shot = tmp_path / "blank.png"
    assert ui.grab().save(str(shot))
    with Image.open(shot) as image:
        assert image.convert("L").getextrema() == (0, 0)  # nothing on screen
    button = ui.find_button("choice-no")
    centre = button.mapTo(ui, button.rect().center())
    assert ui.childAt(centre) is ui.access.blanker  # a touch lands on the blank, not a choice
    press(qtbot, ui, "choice-no", KEYPAD_DOWN, KEYPAD_SELECT)  # the keypad still votes
    assert bench.booth.view().answers == {"17": Choice.NO}  # type: ignore[union-attr]
    assert ui.grab().toImage().pixelColor(W // 2, H // 2).name() == "#000000"
    q = recorder.on(ScreenId.QUESTION)[-1]
    second = bench.booth.package.definition.questions[1]  # type: ignore[union-attr]
    assert second.text_zh in q.text  # still read aloud


def test_every_voter_setting_resets_when_the_session_ends(
    qtbot, bench: Bench, recorder: Recorder
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    tap(qtbot, ui, "bar-language")
    tap(qtbot, ui, "bar-size")
    tap(qtbot, ui, "bar-contrast")
    insert_and_pin(qtbot, ui, bench)
    tap(qtbot, ui, "bar-access")
    for name in ("access-audio", "access-volume-up", "access-rate-down", "access-blank"):
        tap(qtbot, ui, name)
    calibrate(qtbot, ui)  # back on the question: switches confirmed
    s = ui.access.settings
    assert (s.audio, s.volume, s.rate, s.blank, s.input) == (True, 3, 1, True, InputMode.SWITCHES)
    assert ui.lang is Lang.EN and ui.theme != Theme()
    bench.slot.pull()
    ui.card_removed()
    assert screen(ui) is ScreenId.FAULT
    spoken = recorder.said[-1][1]
    assert text("fault.card_pulled", Lang.EN) in spoken.text  # the fault is read aloud too
    press(qtbot, ui, "done", MOVE, SELECT)
    assert screen(ui) is ScreenId.WELCOME
    assert ui.access.settings == AccessSettings() and ui.access.screen is None
    assert ui.lang is Lang.ZH and ui.theme == Theme()
    assert not ui.access.blanker.isVisible()
    n = len(recorder.said)
    key(qtbot, ui, KEYPAD_DOWN)
    assert len(recorder.said) == n  # silent again


def test_access_screen_closes_when_the_session_moves_on(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    tap(qtbot, ui, "bar-access")
    assert screen(ui) is ScreenId.ACCESS
    bench.clock.t += 61
    ui.tick()
    assert screen(ui) is ScreenId.TIMEOUT and ui.access.screen is None


def test_access_screen_gives_way_to_a_refusal_before_any_session(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    tap(qtbot, ui, "bar-access")
    assert screen(ui) is ScreenId.ACCESS
    bench.booth.pause(WORKER_PINS[0])  # type: ignore[union-attr]
    bench.slot.insert(bench.election, VOTERS[0])
    ui.card_inserted()  # the core refuses: polls are paused
    assert screen(ui) is ScreenId.FAULT and ui.access.screen is None
    reason = text("session.refused.polls", Lang.ZH)  # the catalog's words, not the core's
    assert ui.fault is not None and reason in shown_text(ui)
    assert "paused" not in shown_text(ui)


# Fault screens, read aloud ----------------------------------------------------------------


def audio_on(qtbot, ui: BoothWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(ui.rendered):
        key(qtbot, ui, Qt.Key.Key_VolumeUp)
    assert ui.access.settings.audio


def last_text(recorder: Recorder, screen_id: ScreenId) -> str:
    spoken = recorder.on(screen_id)
    assert spoken, screen_id
    return spoken[-1].text


def test_fault_card_pulled_spoken(qtbot, bench: Bench, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    audio_on(qtbot, ui)
    insert_and_pin(qtbot, ui, bench)
    bench.slot.pull()
    ui.card_removed()
    assert text("fault.card_pulled", Lang.ZH) in last_text(recorder, ScreenId.FAULT)
    assert text("fault.title", Lang.ZH) in last_text(recorder, ScreenId.FAULT)


def test_fault_wrong_pin_then_blocked_spoken(qtbot, bench: Bench, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    audio_on(qtbot, ui)
    insert_and_pin(qtbot, ui, bench, pin="9999")
    view = bench.booth.view()  # type: ignore[union-attr]
    assert view.tries_left is not None
    assert text("pin.tries", Lang.ZH, n=view.tries_left) in last_text(recorder, ScreenId.PIN)
    for _ in range(view.tries_left):
        for d in "9999":
            tap(qtbot, ui, f"pin-digit-{d}")
        tap(qtbot, ui, "pin-ok")
    view = bench.booth.view()  # type: ignore[union-attr]
    assert view.state is SessionState.REFUSED and view.refusal is Refusal.PIN_BLOCKED
    assert text("refused.pin-blocked", Lang.ZH) in last_text(recorder, ScreenId.REFUSED)


def test_fault_printer_out_of_paper_mid_record_spoken(
    qtbot, bench: Bench, recorder: Recorder
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    audio_on(qtbot, ui)
    insert_and_pin(qtbot, ui, bench)
    for key_name, _ in ANSWERS.values():
        tap(qtbot, ui, f"choice-{key_name}")
    v = bench.virtual
    assert v is not None
    v.paper_out_at = v.received + 400
    button = ui.find_button("print")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.FAULT, timeout=30000)
    view = bench.booth.view()  # type: ignore[union-attr]
    assert view.printer_state is PrinterState.PAPER_OUT  # the core's, not the screen's
    said = last_text(recorder, ScreenId.FAULT)
    assert text("fault.printer_fault", Lang.ZH, state=text("printer.paper out", Lang.ZH)) in said
    assert recorder.on(ScreenId.PRINTING)


@pytest.mark.parametrize(
    ("voter", "reachable", "screen_id", "key_name"),
    [
        (STRANGER, True, ScreenId.REFUSED, "refused.not-on-roll"),
        (VOTERS[0], False, ScreenId.FAULT, "fault.link_down"),
    ],
)
def test_fault_poll_book_refusal_and_unreachable_spoken(  # type: ignore[no-untyped-def]
    qtbot, bench: Bench, recorder: Recorder, voter: str, reachable: bool, screen_id, key_name
) -> None:
    ui = window(qtbot, bench, recorder)
    audio_on(qtbot, ui)
    bench.poll_book.reachable = reachable  # type: ignore[union-attr]
    insert_and_pin(qtbot, ui, bench, voter=voter)
    assert screen(ui) is screen_id
    assert text(key_name, Lang.ZH) in last_text(recorder, screen_id)
    view = bench.booth.view()  # type: ignore[union-attr]
    assert (view.refusal is Refusal.NOT_ON_ROLL) is reachable


def test_fault_timeout_warning_then_end_spoken(qtbot, bench: Bench, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench, recorder)
    audio_on(qtbot, ui)
    insert_and_pin(qtbot, ui, bench)
    bench.clock.t += 61
    ui.tick()
    said = last_text(recorder, ScreenId.TIMEOUT)
    assert text("timeout.body", Lang.ZH) in said
    assert said.endswith(text("timeout.stay.name", Lang.ZH))  # the focus is on "still here"
    bench.clock.t += 31
    ui.tick()
    assert screen(ui) is ScreenId.FAULT
    assert text("fault.timed_out", Lang.ZH) in last_text(recorder, ScreenId.FAULT)


# Every voter screen: named, reachable by keyboard and keypad, the CJK font, unclipped --------


def check_keypad_reaches_all(qtbot, ui: BoothWindow) -> None:  # type: ignore[no-untyped-def]
    widgets = set(focusable(ui))
    seen = set()
    for _ in range(len(widgets) + 1):
        key(qtbot, ui, KEYPAD_DOWN)
        seen.add(ui.focusWidget())
    assert widgets <= seen, sorted(w.objectName() for w in widgets - seen)


def check_font(ui: BoothWindow) -> None:
    for w in [*ui.findChildren(QLabel), *ui.findChildren(QPushButton)]:
        if not w.isVisible() or not w.text():
            continue
        assert QFontInfo(w.font()).family() == FAMILY, w.text()
        metrics = w.fontMetrics()
        for ch in w.text():
            if not ch.isspace() and ch != "\u200b":
                assert metrics.inFontUcs4(ord(ch)), (ch, w.text())  # no box


def check_fits(ui: BoothWindow) -> None:
    """Each label's text, laid out by QFontMetrics with word wrap in the label's own
    rectangle, fits inside it (a second measure beside test_booth_ui's heightForWidth)."""
    for label in ui.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        box = label.contentsRect()
        flags = int(label.alignment().value) | Qt.TextFlag.TextWordWrap.value
        needed = label.fontMetrics().boundingRect(box, flags, label.text())
        assert needed.height() <= box.height(), (label.text(), needed, box)
        assert needed.width() <= box.width(), (label.text(), needed, box)


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_access_screens_named_reachable_unclipped_at_largest(
    qtbot, bench: Bench, lang: Lang
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    seen = set()

    def check() -> None:
        ui.lang, ui.theme = lang, Theme(TextSize.LARGEST)
        ui.refresh()
        seen.add(screen(ui))
        check_names_and_keyboard(ui)
        check_keypad_reaches_all(qtbot, ui)
        check_nothing_clipped(ui)
        check_fits(ui)
        check_font(ui)

    check()  # welcome
    insert_and_pin(qtbot, ui, bench)
    check()  # a question, with the access button in the bar
    tap(qtbot, ui, "bar-access")
    check()
    tap(qtbot, ui, "access-audio")  # the blank button appears (the speaker: espeak-ng)
    check()
    tap(qtbot, ui, "access-audio")
    tap(qtbot, ui, "access-switches")
    check()
    key(qtbot, ui, SELECT)  # the wrong switch: the notice line
    check()
    key(qtbot, ui, MOVE)
    key(qtbot, ui, SELECT)
    check()  # confirmed, with "start using the switches"
    bench.slot.pull()
    ui.card_removed()
    check()  # the card-pulled fault
    assert {ScreenId.WELCOME, ScreenId.QUESTION, ScreenId.ACCESS, ScreenId.CALIBRATE} <= seen


@pytest.mark.parametrize("lang", [Lang.ZH, Lang.EN])
def test_every_voter_screen_by_keypad_alone_in_the_cjk_font_unclipped_at_largest(
    qtbot, bench: Bench, lang: Lang
) -> None:  # type: ignore[no-untyped-def]
    """test_booth_ui walks every voter screen for names, Tab and clipping; this walk adds the
    keypad (every control reached by down alone) and the font of every character, and the
    screens that walk does not reach: refused, timeout, declined, card-pulled."""
    ui = window(qtbot, bench)
    seen = set()

    def check() -> None:
        ui.lang, ui.theme = lang, Theme(TextSize.LARGEST)
        ui.refresh()
        seen.add(screen(ui))
        check_keypad_reaches_all(qtbot, ui)
        check_fits(ui)
        check_font(ui)
        for w in focusable(ui):
            assert w.accessibleName().strip(), w.objectName()

    for _ in every_voter_screen(qtbot, ui, bench):
        check()
    tap(qtbot, ui, "done")
    insert_and_pin(qtbot, ui, bench, voter=STRANGER)
    check()  # refused: not on the roll
    tap(qtbot, ui, "done")
    insert_and_pin(qtbot, ui, bench, voter=VOTERS[2])
    bench.clock.t += 61
    ui.tick()
    check()  # the timeout warning
    bench.slot.pull()
    ui.card_removed()
    check()  # card pulled
    tap(qtbot, ui, "done")
    insert_and_pin(qtbot, ui, bench, voter=VOTERS[3])
    for _ in ANSWERS:
        tap(qtbot, ui, "choice-decline")
    tap(qtbot, ui, "print")
    qtbot.waitUntil(lambda: screen(ui) is ScreenId.DECLINED, timeout=30000)
    check()  # declined: no ballot
    assert {
        ScreenId.WELCOME,
        ScreenId.PIN,
        ScreenId.QUESTION,
        ScreenId.REVIEW,
        ScreenId.CHECK_RECORD,
        ScreenId.CHALLENGED,
        ScreenId.CAST,
        ScreenId.REFUSED,
        ScreenId.TIMEOUT,
        ScreenId.FAULT,
        ScreenId.DECLINED,
    } <= seen


def test_every_label_and_button_in_noto_sans_cjk_tc_on_the_main_screens(
    qtbot, bench: Bench
) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    for lang in Lang:
        ui.lang = lang
        ui.refresh()
        check_font(ui)
    for key_name, _ in ANSWERS.values():
        tap(qtbot, ui, f"choice-{key_name}")
    for lang in Lang:
        ui.lang = lang
        ui.refresh()
        check_font(ui)


# Touch targets -------------------------------------------------------------------------------


def test_kiosk_dpi_covers_the_assumed_panel() -> None:
    inches, across, down = KIOSK_PANEL
    panel_dpi = math.hypot(across, down) / inches
    assert KIOSK_DPI >= panel_dpi  # a target sized at KIOSK_DPI is at least as large there
    # 15 mm at the panel's real density, from the sizes the theme gives
    for size in TextSize:
        px = Theme(size).target_px
        assert px / panel_dpi * 25.4 >= MIN_TARGET_MM, size


@pytest.mark.parametrize("size", list(TextSize))
def test_every_target_at_least_15_mm_at_every_size(qtbot, bench: Bench, size: TextSize) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)

    def check() -> None:
        ui.theme = Theme(size, Contrast.STANDARD)
        ui.refresh()
        for b in ui.findChildren(QPushButton):
            if b.isVisible():
                for px in (b.width(), b.height()):
                    assert px / KIOSK_DPI * 25.4 >= MIN_TARGET_MM, (b.objectName(), px)

    check()
    insert_and_pin(qtbot, ui, bench)
    check()
    tap(qtbot, ui, "bar-access")
    check()
    tap(qtbot, ui, "access-switches")
    check()


def test_a_touch_acts_on_release_inside_its_target(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    button = ui.find_button("choice-blank")
    inside = button.rect().center()
    qtbot.mousePress(button, Qt.MouseButton.LeftButton, pos=inside)
    assert bench.booth.view().answers == {}  # type: ignore[union-attr]  # pressed: nothing yet
    with qtbot.waitSignal(ui.rendered):
        qtbot.mouseRelease(button, Qt.MouseButton.LeftButton, pos=inside + QPoint(5, 5))
    assert bench.booth.view().answers == {"17": Choice.BLANK}  # type: ignore[union-attr]
    # slid out of the target before lifting: nothing
    button = ui.find_button("choice-yes")
    qtbot.mousePress(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton, pos=QPoint(-30, -30))
    assert bench.booth.view().answers == {"17": Choice.BLANK}  # type: ignore[union-attr]


def on_screen(ui: BoothWindow, button: QPushButton) -> None:
    """Touch points travel in screen coordinates and the offscreen platform's screen is
    smaller than the kiosk's window: move the window so the target is on that screen."""
    screen_centre = QApplication.primaryScreen().geometry().center()
    ui.move(ui.pos() + screen_centre - button.mapToGlobal(button.rect().center()))
    on = button.mapToGlobal(button.rect().center())
    assert QApplication.primaryScreen().geometry().contains(on)


def test_a_finger_acts_on_release_inside_and_not_when_slid_out(qtbot, bench: Bench) -> None:  # type: ignore[no-untyped-def]
    """Real touch events (a touch device, Qt's touch-to-mouse path), not mouse clicks."""
    ui = window(qtbot, bench)
    insert_and_pin(qtbot, ui, bench)
    device = QTest.createTouchDevice()
    button = ui.find_button("choice-no")
    on_screen(ui, button)
    inside = button.rect().center()
    QTest.touchEvent(button, device).press(0, inside, button).commit()
    assert button.isDown()
    assert bench.booth.view().answers == {}  # type: ignore[union-attr]  # down: nothing yet
    with qtbot.waitSignal(ui.rendered):
        QTest.touchEvent(button, device).release(0, inside, button).commit()
    assert bench.booth.view().answers == {"17": Choice.NO}  # type: ignore[union-attr]
    button = ui.find_button("choice-yes")
    on_screen(ui, button)
    inside = button.rect().center()
    outside = inside + QPoint(button.width(), 0)  # slid off to the right before lifting
    QTest.touchEvent(button, device).press(0, inside, button).commit()
    assert button.isDown()
    QTest.touchEvent(button, device).move(0, outside, button).commit()
    QTest.touchEvent(button, device).release(0, outside, button).commit()
    assert bench.booth.view().answers == {"17": Choice.NO}  # type: ignore[union-attr]
    assert screen(ui) is ScreenId.QUESTION and ui.spec.extra["question_id"] == "18"  # type: ignore[union-attr]


def test_access_screenshots(qtbot, bench: Bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The access screens as PNGs (REFVOTE_SCREENSHOTS=docs/screenshots for docs/booth.md)."""
    from tests.test_booth_ui_screenshots import shooter

    folder = Path(os.environ.get("REFVOTE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    ui = window(qtbot, bench)
    shoot = shooter(ui, folder)
    insert_and_pin(qtbot, ui, bench)
    tap(qtbot, ui, "bar-access")
    shoot("access")
    tap(qtbot, ui, "access-switches")
    shoot("calibrate")
    key(qtbot, ui, MOVE)
    key(qtbot, ui, SELECT)
    shoot("calibrate-confirmed")
    for lang in Lang:
        path = folder / f"booth-calibrate-confirmed-{lang.value}.png"
        with Image.open(path) as image:
            assert image.size == (W, H) and len(image.convert("L").getcolors(1 << 16) or ()) > 2


def test_the_fit_check_catches_a_clipped_label(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The measure above fails on a label too small for its text (it is not vacuous)."""
    from PySide6.QtWidgets import QWidget

    holder = QWidget()
    qtbot.addWidget(holder)
    label = QLabel(text("check.body", Lang.EN), holder)
    label.setWordWrap(True)
    label.setGeometry(0, 0, 300, 40)
    holder.resize(300, 40)
    holder.show()
    qtbot.waitExposed(holder)
    with pytest.raises(AssertionError):
        check_fits(holder)  # type: ignore[arg-type]
    label.setGeometry(0, 0, 300, label.heightForWidth(300))
    check_fits(holder)  # type: ignore[arg-type]


class Played:
    def __init__(self) -> None:
        self.wavs: list[bytes] = []
        self.stops = 0

    def play(self, wav: bytes) -> None:
        self.wavs.append(wav)

    def stop(self) -> None:
        self.stops += 1


def test_espeak_speaker_plays_the_newest_utterance_only() -> None:
    """speak() returns before the sound is made; an utterance superseded while being
    synthesized is never played (no late speech for a screen already gone)."""
    player = Played()
    speaker = EspeakSpeaker(player)
    long_text = " ".join([text("check.body", Lang.EN)] * 6)
    speaker.speak(Utterance(long_text, Lang.EN, 100, 175))
    speaker.speak(Utterance(text("cast.title", Lang.EN), Lang.EN, 100, 175))
    speaker.drain()
    short = EspeakSpeaker(NullPlayer()).synthesize(
        Utterance(text("cast.title", Lang.EN), Lang.EN, 100, 175)
    )
    assert player.wavs == [short] and speaker.failure is None
    speaker.speak(Utterance(long_text, Lang.EN, 100, 175))
    speaker.stop()  # the voter left: nothing more is heard
    speaker.drain()
    assert player.wavs == [short]
