"""What the booth says through the headphones: one small interface, `Speaker.say(text, lang)`.

The poll workers' readiness check calls it to try the headphones; the voter's audio ballot
(booth/ui/audio.py) may give the window its own implementation: anything with `say` fits.
`EspeakSpeaker` speaks with Debian's espeak-ng (Mandarin `cmn`, English `en`); `NoSpeaker`
is a booth with no audio device configured: the readiness check then reports the speaker
item as failed, as the worker hears nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Protocol

from booth.ui.catalog import Lang

VOICES = {Lang.ZH: "cmn", Lang.EN: "en"}


class SpeakerError(Exception):
    """The speech could not be produced (no espeak-ng, or it failed)."""


class Speaker(Protocol):
    def say(self, text: str, lang: Lang) -> None: ...


class NoSpeaker:
    """No audio device configured."""

    def say(self, text: str, lang: Lang) -> None:
        raise SpeakerError("no speaker is configured on this booth")


class EspeakSpeaker:
    """espeak-ng to the default audio output (the headphone jack of the kiosk)."""

    def __init__(self, binary: str | None = None, timeout: float = 30.0) -> None:
        self.binary = binary or shutil.which("espeak-ng") or "/usr/bin/espeak-ng"
        self.timeout = timeout

    def say(self, text: str, lang: Lang) -> None:
        try:
            done = subprocess.run(  # noqa: S603 - a fixed program, text as one argument
                [self.binary, "-v", VOICES[lang], "--", text],
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeakerError(f"espeak-ng could not speak: {exc}") from None
        if done.returncode != 0:
            raise SpeakerError(f"espeak-ng failed: {done.stderr.decode(errors='replace')}")
