"""The poll-worker handbook quotes the booth's screens: every label it puts in 「…」 is the
booth catalog's wording (or the station console's), so a renamed button or message shows up here
instead of in a poll worker's hands. Both halves have the same numbered sections."""

from __future__ import annotations

import re
from pathlib import Path

from booth.ui.catalog import CATALOG
from refvote.messages import CATALOG as MESSAGES

HANDBOOK = Path(__file__).resolve().parent.parent / "docs" / "pollworker-handbook.md"


def _screen_words() -> list[str]:
    words = [v for entry in CATALOG.values() for v in entry.values()]
    words += [v for entry in MESSAGES.values() for v in entry.values()]
    # A worded value may hold fields ({n}, {state}): the text around them must match.
    return words


def _known(quote: str, words: list[str]) -> bool:
    # Line breaks of the Markdown source, "…" and the handbook's placeholders (S, B, HH:MM)
    # stand for the screen's values: the text between them must be in one catalog entry.
    parts = [
        p for p in re.split(r"\n\s*|HH:MM|…|(?<![A-Za-z])[SB](?![A-Za-z.])", quote) if p.strip()
    ]
    return any(all(p in w for p in parts) for w in words)


def test_every_quoted_label_is_on_the_screen() -> None:
    text = HANDBOOK.read_text(encoding="utf-8")
    quotes = re.findall(r"「([^」]+)」", text)
    assert len(quotes) > 40  # the handbook quotes the buttons it names
    words = _screen_words()
    unknown = sorted({q for q in quotes if not _known(q, words)})
    assert unknown == []


def test_the_known_check_refuses_a_renamed_label() -> None:
    assert not _known("印表機已修好", _screen_words())  # not the booth's words (印表機已處理好)


def test_both_languages_have_the_same_sections() -> None:
    text = HANDBOOK.read_text(encoding="utf-8")
    zh, en = text.split("\n## English\n")
    zh = zh.split("\n## 中文（臺灣）\n")[1]

    def numbers(half: str) -> list[str]:
        return re.findall(r"^### (\d+)\.", half, re.M) + re.findall(r"^\*\*(\d+\.\d+) ", half, re.M)

    assert numbers(zh) == numbers(en) and len(numbers(zh)) >= 10
