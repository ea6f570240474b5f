"""The audio ballot's voice: espeak-ng (Debian) speaking the screens' own catalog text.

A `Speaker` turns an `Utterance` (text already taken from the catalog or the election
package, the voter's language, volume and rate) into sound. `EspeakSpeaker` synthesizes with
espeak-ng into WAV bytes held in memory, never in a file: what is read aloud includes the
voter's answers (the review, the paper-record check), and no plaintext choice is written to
disk. Synthesis and playing run off the screen's thread; a newer utterance drops an older one.
The WAV is handed to a `Player`: `AplayPlayer` pipes it to ALSA's aplay on the
headphones (the kiosk image installs alsa-utils); without aplay, `NullPlayer` plays nothing
and the readiness check's headphone test is what catches it.

This is the booth's one speaker: the voter's audio ballot (booth/ui/access.py) calls `speak`;
the poll workers' headphone test (booth/ui/worker_screens.py) calls `synthesize` on the
caller's thread (a failure is shown to the worker at once, worded from the catalog) and
`play` (the same player the voter will hear).

Text in one language is spoken with that language's voice; a run of Chinese characters in
English text (an official question, 同意 on an English button) is spoken with the Mandarin
voice, so an English voter hears the official wording as it is written.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from booth.ui.catalog import Lang

ESPEAK = "espeak-ng"
VOICES = {Lang.ZH: "cmn", Lang.EN: "en"}
# espeak-ng's amplitude (-a, 0-200, default 100) and rate (-s, words a minute, default 175):
# five steps each, the middle one the default; the voter moves along them with the keypad.
# Amplitude above ~120 clips (measured: 140 and 190 both peak at the 16-bit limit), so the
# loudest step stays below it; the headphone amplifier's level is the poll workers' setting.
VOLUMES = (25, 45, 70, 95, 120)
RATES = (110, 140, 175, 220, 280)
DEFAULT_STEP = 2
MAX_TEXT = 20_000  # characters: a screen's text is far shorter; more is a bug, refused
SYNTH_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 2.0


class SpeechFailed(RuntimeError):
    """espeak-ng could not be run or gave no sound: the audio ballot cannot speak. Ask a poll
    worker to check the booth's speech software (the readiness check tests it)."""


class Superseded(Exception):
    """A newer utterance came before this one was synthesized (not an error: it is dropped)."""


@dataclass(frozen=True)
class Utterance:
    text: str
    lang: Lang
    volume: int  # espeak-ng amplitude
    rate: int  # words a minute


class Player(Protocol):
    def play(self, wav: bytes) -> None: ...

    def stop(self) -> None: ...


class Speaker(Protocol):
    """`speak` returns at once (the sound follows); a newer `speak`, `play` or `stop` ends
    the older utterance, playing or still being synthesized. `synthesize` returns the WAV or
    raises SpeechFailed; `play` plays a WAV already made."""

    def speak(self, utterance: Utterance) -> None: ...

    def synthesize(self, utterance: Utterance) -> bytes: ...

    def play(self, wav: bytes) -> None: ...

    def stop(self) -> None: ...


class NullPlayer:
    """No sound device (tests, a build machine): plays nothing."""

    def play(self, wav: bytes) -> None:
        del wav

    def stop(self) -> None:
        pass


class AplayPlayer:
    """Pipes the WAV to `aplay -q -` (ALSA, the headphone output); a new utterance stops the
    one still playing. aplay reads its input as it plays, so the WAV is fed from a thread:
    the screen never waits for the speech to end."""

    def __init__(self, program: str) -> None:
        self.program = program
        self._proc: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None

    def play(self, wav: bytes) -> None:
        self.stop()
        proc = subprocess.Popen(  # noqa: S603 - aplay found on PATH, fixed arguments
            [self.program, "-q", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._proc = proc
        self._feeder = threading.Thread(target=_feed, args=(proc, wav), daemon=True)
        self._feeder.start()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._feeder is not None:
            self._feeder.join(timeout=STOP_TIMEOUT_S)
            self._feeder = None


def _feed(proc: subprocess.Popen[bytes], wav: bytes) -> None:
    stdin = proc.stdin
    assert stdin is not None
    try:
        stdin.write(wav)
    except (BrokenPipeError, ValueError, OSError):
        pass  # stopped (a newer utterance) or no device: nothing more to play
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def default_player() -> Player:
    program = shutil.which("aplay")
    return AplayPlayer(program) if program else NullPlayer()


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


def runs(text: str, lang: Lang) -> list[tuple[str, str]]:
    """(voice, text) runs: Chinese characters with the Mandarin voice, the rest with the
    voter's language's voice (in Chinese, all of it Mandarin: it reads Latin letters too)."""
    if lang is Lang.ZH:
        return [(VOICES[Lang.ZH], text)] if text.strip() else []
    out: list[tuple[str, str]] = []
    for ch in text:
        voice = VOICES[Lang.ZH] if _is_cjk(ch) else VOICES[Lang.EN]
        if out and out[-1][0] == voice:
            out[-1] = (voice, out[-1][1] + ch)
        elif ch.isspace() and out:
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((voice, ch))
    return [(v, t) for v, t in out if any(c.isalnum() for c in t)]


def _pcm(wav: bytes) -> tuple[tuple[int, int, int], bytes]:
    """(channels, sample width, frame rate) and the frames. espeak-ng --stdout writes a
    streaming header (length unknown): what is there is read."""
    with wave.open(io.BytesIO(wav)) as r:
        params = (r.getnchannels(), r.getsampwidth(), r.getframerate())
        return params, r.readframes(2**31 - 1)


def _wav(params: tuple[int, int, int], pcm: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(params[0])
        w.setsampwidth(params[1])
        w.setframerate(params[2])
        w.writeframes(pcm)
    return out.getvalue()


def joined(wavs: list[bytes]) -> bytes:
    """WAVs of one format (espeak-ng's) one after the other, as one WAV: played as one, the
    second is not cut off by the first's end."""
    if not wavs:
        raise SpeechFailed("nothing to say")
    params, pcm = _pcm(wavs[0])
    for wav in wavs[1:]:
        p, more = _pcm(wav)
        if p != params:
            raise SpeechFailed(f"WAV formats differ: {p} and {params}")
        pcm += more
    return _wav(params, pcm)


def samples(wav: bytes) -> list[int]:
    """A WAV's 16-bit mono samples (for the loudness checks)."""
    _params, pcm = _pcm(wav)
    return [int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in range(0, len(pcm), 2)]


class EspeakSpeaker:
    """espeak-ng into memory, then the player. `speak` returns the WAV it played."""

    def __init__(self, player: Player | None = None, program: str = ESPEAK) -> None:
        found = shutil.which(program)
        if found is None:
            raise SpeechFailed(f"{program} is not installed: the audio ballot cannot speak")
        self.program = found
        self.player = player if player is not None else default_player()
        self._lock = threading.Lock()
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self.failure: SpeechFailed | None = None
        # One word now, on the caller's thread: a broken espeak-ng is known when the voter
        # turns the audio on, not silently later.
        self.synthesize(Utterance("1", Lang.EN, 100, 175))

    def synthesize(self, u: Utterance, wanted: Callable[[], bool] = lambda: True) -> bytes:
        """The utterance as one WAV (16-bit mono, 22050 Hz). `wanted() False` stops between
        runs: a superseded utterance stops costing the processor."""
        if len(u.text) > MAX_TEXT:
            raise SpeechFailed(f"text of {len(u.text)} characters is longer than {MAX_TEXT}")
        params: tuple[int, int, int] | None = None
        pcm = bytearray()
        for voice, part in runs(u.text, u.lang):
            if not wanted():
                raise Superseded
            try:
                args = ["-v", voice, "-a", str(u.volume), "-s", str(u.rate), "--stdin", "--stdout"]
                # the text goes on stdin, never as an argument: it cannot be read as an option
                done = subprocess.run(  # noqa: S603 - espeak-ng on PATH, fixed arguments
                    [self.program, *args],
                    input=part.encode(),
                    capture_output=True,
                    timeout=SYNTH_TIMEOUT_S,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SpeechFailed(f"{self.program} did not run: {exc}") from None
            if done.returncode != 0:
                raise SpeechFailed(f"{self.program} failed (exit {done.returncode})")
            try:
                p, frames = _pcm(done.stdout)
            except (wave.Error, EOFError) as exc:
                raise SpeechFailed(f"{self.program} gave no WAV: {exc}") from None
            params = params or p
            pcm += frames
        if params is None:
            raise SpeechFailed("nothing to say")
        return _wav(params, bytes(pcm))

    def play(self, wav: bytes) -> None:
        """Play a WAV already synthesized (the readiness check's phrase), ending whatever
        utterance was playing or being synthesized."""
        with self._lock:
            self._generation += 1
            self.player.stop()
            try:
                self.player.play(wav)
            except OSError as exc:
                raise SpeechFailed(f"the headphones' player did not run: {exc}") from None

    def speak(self, u: Utterance) -> None:
        """Synthesize and play off the screen's thread (a long English screen takes espeak-ng
        over half a second); an utterance superseded meanwhile is dropped, never played late."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.player.stop()
            self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(target=self._run, args=(u, generation), daemon=True)
            self._threads.append(thread)
        thread.start()

    def _run(self, u: Utterance, generation: int) -> None:
        try:
            wav = self.synthesize(u, lambda: generation == self._generation)
        except Superseded:
            return
        except SpeechFailed as exc:
            self.failure = exc  # rare once the start-up check passed; the readiness check
            return
        with self._lock:
            if generation == self._generation:
                try:
                    self.player.play(wav)
                except OSError as exc:
                    self.failure = SpeechFailed(f"the headphones' player did not run: {exc}")

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            self.player.stop()

    def drain(self, timeout: float = SYNTH_TIMEOUT_S) -> None:
        """Wait for every utterance started to be played or dropped (tests, shutdown)."""
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout)
