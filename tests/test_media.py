"""Removable media: durable writes read back, pulled and full media, nothing half written."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.errors import MediumCorrupt, MediumFull, MediumMissing
from hardware.media import read_file, write_file


def test_write_and_read_back(tmp_path: Path) -> None:
    digest = write_file(tmp_path, "export.json", b"{}" * 1000)
    assert read_file(tmp_path, "export.json") == b"{}" * 1000
    assert len(digest) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["export.json"]


def test_pulled_medium(tmp_path: Path) -> None:
    with pytest.raises(MediumMissing, match="plugged in"):
        write_file(tmp_path / "usb", "export.json", b"x")
    with pytest.raises(MediumMissing):
        read_file(tmp_path, "nothing.json")


def test_oversized_read_is_refused(tmp_path: Path) -> None:
    write_file(tmp_path, "big.json", b"x" * 100)
    with pytest.raises(MediumCorrupt, match="more than"):
        read_file(tmp_path, "big.json", max_bytes=10)


def test_read_back_mismatch_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hardware.media as media

    monkeypatch.setattr(media, "read_file", lambda folder, name, max_bytes=0: b"flipped")
    with pytest.raises(MediumCorrupt, match="reads back different"):
        media.write_file(tmp_path, "export.json", b"original")


@pytest.fixture
def tiny_medium(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, as a nearly full USB drive (needs root: CI and this machine have it)."""
    mount = tmp_path / "usb"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_full_medium_leaves_nothing_behind(tiny_medium: Path) -> None:
    write_file(tiny_medium, "small.json", b"a" * 1000)
    with pytest.raises(MediumFull, match="is full"):
        write_file(tiny_medium, "export.json", b"b" * 200_000)
    assert sorted(p.name for p in tiny_medium.iterdir()) == ["small.json"]
    assert read_file(tiny_medium, "small.json") == b"a" * 1000
