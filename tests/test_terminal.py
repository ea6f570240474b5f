"""Output from untrusted names cannot drive the terminal (issue 10, item 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from refvote.terminal import make_safe

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("plain 文字 text\n\tok\r", "plain 文字 text\n\tok\r"),
        ("\x1b[2Jcleared", "\\x1b[2Jcleared"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("ABCD \u202eEFGH", "ABCD \\u202eEFGH"),
        ("\x9bC1 CSI", "\\x9bC1 CSI"),
        ("\x00\x7f", "\\x00\\x7f"),
    ],
)
def test_controls_are_shown_escaped(raw: str, shown: str) -> None:
    assert make_safe(raw) == shown


def test_an_escape_sequence_in_a_file_name_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    hostile = tmp_path / "booth\x1b[2J\u202e.json"
    hostile.write_bytes(b"not json")
    run = subprocess.run(
        [sys.executable, "-m", "refvote.cli", "verify", str(hostile), "--authority", "AAAA"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode != 0
    assert "\x1b" not in run.stdout + run.stderr and "\u202e" not in run.stdout + run.stderr
    assert "\\x1b[2J" in run.stdout + run.stderr
