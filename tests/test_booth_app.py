"""`refvote booth`: the real app names what it lacks (zh-TW or en) before a window opens, and
`refvote booth --demo` starts headless (offscreen) with the card waiting and the zero report
printed (pcscd and vpcd's virtual reader, under the machine-wide lock: one test only).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from refvote.cli import main
from refvote.cmd_booth import DEMO_CARD_PIN, NextCard


def test_booth_demo_starts_headless_with_the_card_waiting(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REFVOTE_LANG": "en"}
    done = subprocess.run(
        [sys.executable, "-m", "refvote.cli", "booth", "--demo",  # kiosk: full screen
         "--quit-after-ready", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"its PIN is {DEMO_CARD_PIN}" in done.stdout
    assert "ready (window shown, card seen)" in done.stdout
    assert "Traceback" not in done.stderr
    paper = sorted((out / "booth" / "paper").glob("*.png"))
    assert paper, "the zero report printed on the virtual printer"
    assert sorted((out / "booth" / "reports").glob("report-*-zero-*.pdf"))


def run_booth(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The refusal in zh-TW, then in English (the command line's language: --lang)."""
    assert main(["--lang", "zh-TW", "booth", *args]) == 2
    zh = capsys.readouterr().err
    assert main(["--lang", "en", "booth", *args]) == 2
    en = capsys.readouterr().err
    assert zh != en
    return zh + en


def test_real_booth_names_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = run_booth(capsys)
    assert "缺少參數" in err and "missing --booth-id" in err and "--printer" in err
    folders = {n: tmp_path / n for n in ("package", "data", "mirror", "usb")}
    key, tls = tmp_path / "B.key.json", tmp_path / "B.tls.key.pem"
    args = [
        "--booth-id", "B", "--key", str(key), "--tls-key", str(tls),
        "--package", str(folders["package"]), "--authority", "AAAA BBBB CCCC DDDD",
        "--pollbook", "127.0.0.1:9999", "--reader", "No Such Reader",
        "--printer", str(tmp_path / "ttyUSB9"), "--data", str(folders["data"]),
        "--mirror", str(folders["mirror"]), "--export-medium", str(folders["usb"]),
    ]  # fmt: skip
    err = run_booth(capsys, *args)
    assert "選舉資料夾不存在" in err and "election package folder not found" in err
    for folder in folders.values():
        folder.mkdir()
    err = run_booth(capsys, *args)
    assert "投票機金鑰檔不存在" in err and "the booth's key file not found" in err
    key.write_text("{}")
    tls.write_text("")
    bad = [a if a != "127.0.0.1:9999" else "no-port" for a in args]
    err = run_booth(capsys, *bad)
    assert "位址格式錯誤" in err and "not HOST:PORT" in err
    err = run_booth(capsys, *args)
    assert "找不到印表機裝置" in err and "no printer device at" in err
    (tmp_path / "ttyUSB9").write_text("")
    err = run_booth(capsys, *args)
    assert "不是序列埠裝置" in err and "is not a serial device" in err
    printer = [a if not a.endswith("ttyUSB9") else "/dev/null" for a in args]  # a char device
    err = run_booth(capsys, *printer)
    assert "找不到讀卡機" in err and "no card reader named 'No Such Reader'" in err
    module = [a if a != "No Such Reader" else f"pkcs11:{tmp_path}/no-module.so" for a in printer]
    err = run_booth(capsys, *module)  # the card's PKCS#11 module, through the same factory
    assert "PKCS#11 模組路徑" in err and "PKCS#11 module path" in err
    assert "Traceback" not in err


def test_next_voter_card_after_each_session() -> None:
    class Deck:
        def __init__(self) -> None:
            self.moves: list[str] = []

        def pull(self) -> None:
            self.moves.append("pull")

        def insert(self, identifier: str) -> None:
            self.moves.append(identifier)

    class Booth:
        session: object = None

    class Ui:
        booth = Booth()

    deck, ui = Deck(), Ui()
    nxt = NextCard(deck, ["V0", "V1", "V2"])
    nxt(ui)
    assert deck.moves == []  # no session yet: the first card stays
    ui.booth.session = object()
    nxt(ui)
    nxt(ui)  # the same ended session drawn again: nothing more
    assert deck.moves == ["pull", "V1"]
    ui.booth.session = object()
    nxt(ui)
    assert deck.moves == ["pull", "V1", "pull", "V2"]
