"""The booth's poll reports: thermal paper against reviewed goldens, the PDF read back as text."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from booth.reports import (
    SOURCE_PACKAGES,
    BoothCounts,
    BoothReport,
    QuestionCount,
    ReportError,
    ReportKind,
    report_job,
    report_pdf,
    save_pdf,
    software_hash,
    source_root,
)
from hardware.printer.driver import ThermalPrinter
from hardware.printer.escpos import PAPER_DOTS, PrinterState
from hardware.printer.job import EDGE, PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter

GOLDEN = Path(__file__).parent / "golden"
MANIFEST = bytes(range(32))
SOFTWARE = bytes(range(200, 232))
NONCE = bytes.fromhex("5c1e" * 16)
CLOSE = bytes.fromhex("c105" * 16)
HEAD = bytes.fromhex("1096" * 16)
OPENED = datetime(2026, 12, 3, 0, 0, 5, tzinfo=UTC)  # 08:00:05 in Taiwan
CLOSED = datetime(2026, 12, 3, 8, 0, 2, tzinfo=UTC)  # 16:00:02 in Taiwan

ZERO = BoothCounts(0, 0, 0, 0, 0, 0, (QuestionCount("第17案", "核四啟封", 0, 0),))
DAY = BoothCounts(
    checked_in=1234,
    cast=1203,
    challenged=17,
    voided=3,
    not_cast=31,
    card_less=6,
    questions=(
        QuestionCount("第17案", "核四啟封", 1190, 13),
        QuestionCount("第18案", "萊劑豬肉進口", 1188, 15),
    ),
)


def report(kind: ReportKind, counts: BoothCounts = DAY, **change: object) -> BoothReport:
    fields: dict[str, object] = {
        "kind": kind,
        "official": False,
        "referendum_title_zh": "全國性公民投票（測試）",
        "referendum_title_en": "National referendum (test)",
        "manifest_hash": MANIFEST,
        "station_id": "S1",
        "station_name": "測試國小",
        "booth_id": "S1-A",
        "software_hash": SOFTWARE,
        "opening_nonce": NONCE,
        "close_code": CLOSE if kind is ReportKind.CLOSE else None,
        "counts": counts,
        "log_head": HEAD,
        "transition_time": CLOSED if kind is ReportKind.CLOSE else OPENED,
        "print_time": (CLOSED if kind is ReportKind.CLOSE else OPENED) + timedelta(seconds=58),
    }
    fields.update(change)
    return BoothReport(**fields)  # type: ignore[arg-type]


SAMPLES = {
    "booth-zero-report": report(ReportKind.ZERO, ZERO, official=True),
    "booth-pause-report": report(ReportKind.PAUSE),
    "booth-resume-report": report(ReportKind.RESUME),
    "booth-closing-report": report(ReportKind.CLOSE),
    "booth-closing-report-reprint": report(ReportKind.CLOSE).reprinted(
        datetime(2026, 12, 3, 9, 30, 0, tzinfo=UTC)
    ),
}


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[tuple[VirtualPrinter, ThermalPrinter]]:
    virtual = VirtualPrinter(tmp_path / "paper")
    driver = ThermalPrinter(virtual.port, PrinterProfile(status_timeout=0.5, job_timeout=10.0))
    yield virtual, driver
    driver.close()
    virtual.close()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_images(printer, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    status = driver.print_job(report_job(SAMPLES[name], driver.profile))
    assert status.state is PrinterState.READY and virtual.unknown == []
    (piece,) = virtual.pieces
    actual = Image.open(piece).convert("L")
    margin = actual.crop((PAPER_DOTS - EDGE, 0, PAPER_DOTS, actual.height))
    assert margin.getextrema()[0] == 255  # nothing ran off the paper
    golden_path = GOLDEN / f"{name}.png"
    if os.environ.get("REFVOTE_UPDATE_GOLDEN") == "1":
        actual.save(golden_path)
    golden = Image.open(golden_path).convert("L")
    assert actual.size == golden.size, f"{name}: size {actual.size} ≠ golden {golden.size}"
    diff = ImageChops.difference(actual, golden)
    if diff.getbbox() is not None:
        actual.save(tmp_path / f"{name}-actual.png")
        pytest.fail(f"{name} differs from the reviewed golden image in {diff.getbbox()}")


def test_a_big5_printer_gets_the_same_report_as_text(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    profile = dataclasses.replace(driver.profile, text="big5")
    job = report_job(SAMPLES["booth-closing-report"], profile)
    assert "關機結算報表".encode("big5") in job.to_bytes()
    assert driver.print_job(job).state is PrinterState.READY and virtual.unknown == []


def test_a_reprint_is_marked_and_only_the_print_time_changes() -> None:
    first = SAMPLES["booth-closing-report"]
    again = SAMPLES["booth-closing-report-reprint"]
    assert again.reprint and not first.reprint
    assert dataclasses.replace(again, print_time=first.print_time, reprint=False) == first
    profile = PrinterProfile(text="big5")
    assert "補印".encode("big5") in report_job(again, profile).to_bytes()
    assert "補印".encode("big5") not in report_job(first, profile).to_bytes()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return out.stdout


def group_for_reading(data: bytes) -> str:
    """Independent: RFC 4648 base32 of the first 10 bytes, in four groups."""
    import base64

    text = base64.b32encode(data[:10]).decode()
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def test_the_pdf_holds_the_report_and_no_tally(tmp_path: Path) -> None:
    sample = SAMPLES["booth-closing-report-reprint"]
    data = report_pdf(sample)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    words = " ".join(text.split())
    for expected in [
        "關機結算報表",
        "Closing report",
        "TEST 測試",
        "補印 REPRINT",
        "S1 測試國小",
        "S1-A",
        group_for_reading(MANIFEST),
        group_for_reading(SOFTWARE),
        "5c1e 5c1e 5c1e 5c1e 5c1e 5c1e 5c1e 5c1e",
        "c105 c105 c105 c105 c105 c105 c105 c105",
        "1096 1096 1096 1096 1096 1096 1096 1096",
        "2026-12-03 16:00:02 (UTC+8)",  # the transition, in Taiwan time
        "2026-12-03 17:30:00 (UTC+8)",  # the reprint's print time
        "主任管理員",
        "主任監察員",
    ]:
        assert expected in words, expected
    for label, number in [
        ("Checked in", "1,234"),
        ("Cast", "1,203"),
        ("Challenged", "17"),
        ("Voided", "3"),
        ("Checked in, not cast", "31"),
        ("Card-less sessions", "6"),
    ]:
        assert re.search(re.escape(label) + r"\s+" + re.escape(number) + r"\b", words), label
    assert re.search(r"第17案 核四啟封 1,190 13\b", words)
    assert re.search(r"第18案 萊劑豬肉進口 1,188 15\b", words)
    # Never a plaintext tally: no yes/no/blank labels at all.
    for forbidden in ("同意", "Yes", "空白", "Blank", "無效"):
        assert forbidden not in words.replace("不同意", "同意"), forbidden
    assert not re.search(r"\bNo\b(?! vote totals)", words)


def test_the_pdf_embeds_its_cjk_font(tmp_path: Path) -> None:
    path = tmp_path / "zero.pdf"
    path.write_bytes(report_pdf(SAMPLES["booth-zero-report"]))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    uming = [line for line in fonts.stdout.splitlines() if "UMing" in line]
    assert uming and uming[0].split()[-4] == "yes"  # emb
    words = " ".join(pdf_text(path.read_bytes(), tmp_path).split())
    assert "開機歸零報表" in words and "OFFICIAL 正式" in words
    assert "Close code" not in words  # the close code is on the closing report only


def test_nothing_in_a_report_can_hold_a_tally() -> None:
    assert {f.name for f in dataclasses.fields(BoothCounts)} == {
        "checked_in",
        "cast",
        "challenged",
        "voided",
        "not_cast",
        "card_less",
        "questions",
    }
    assert {f.name for f in dataclasses.fields(QuestionCount)} == {
        "case_number",
        "short_title_zh",
        "taken",
        "declined",
    }


def test_save_pdf_writes_durably_and_a_reprint_keeps_the_first(tmp_path: Path) -> None:
    first = save_pdf(SAMPLES["booth-closing-report"], tmp_path)
    again = save_pdf(SAMPLES["booth-closing-report-reprint"], tmp_path)
    assert first.name == "report-S1-A-close-20261203T080100Z.pdf"  # 08:00:02 + 58 s
    assert again.name == "report-S1-A-close-20261203T093000Z-reprint.pdf"
    assert first.read_bytes().startswith(b"%PDF-") and again.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, again.name])


@pytest.mark.parametrize(
    "kind, counts, change, message",
    [
        (ReportKind.ZERO, DAY, {}, "zero report"),
        (ReportKind.PAUSE, DAY, {"close_code": CLOSE}, "close code"),
        (ReportKind.CLOSE, DAY, {"close_code": None}, "close code"),
        (ReportKind.CLOSE, DAY, {"close_code": CLOSE[:16]}, "close_code"),
        (ReportKind.PAUSE, DAY, {"manifest_hash": b"short"}, "manifest_hash"),
        (ReportKind.PAUSE, DAY, {"log_head": "1096" * 16}, "log_head"),
        (ReportKind.PAUSE, DAY, {"transition_time": datetime(2026, 12, 3)}, "time zone"),
        (
            ReportKind.PAUSE,
            dataclasses.replace(DAY, not_cast=30),
            {},
            "cast 1203 \\+ not cast 30",
        ),
        (ReportKind.PAUSE, dataclasses.replace(DAY, card_less=2000), {}, "card-less"),
        (
            ReportKind.PAUSE,
            dataclasses.replace(DAY, questions=(QuestionCount("第17案", "t", 1190, 12),)),
            {},
            "第17案",
        ),
        (ReportKind.PAUSE, dataclasses.replace(DAY, voided=-1), {}, "non-negative"),
        (ReportKind.PAUSE, dataclasses.replace(DAY, voided=True), {}, "non-negative"),
    ],
)
def test_inconsistent_reports_are_refused(
    kind: ReportKind, counts: BoothCounts, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ReportError, match=message):
        report(kind, counts, **change)


# The software hash --------------------------------------------------------------------------------


def independent_software_hash(root: Path, packages: tuple[str, ...]) -> bytes:
    def enc(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    def fp(purpose: str, *items: bytes) -> bytes:
        data = enc(f"refvote/v2/{purpose}".encode()) + b"".join(enc(i) for i in items)
        return hashlib.sha512(data).digest()[:32]

    names = sorted(
        str(p.relative_to(root)).replace(os.sep, "/").encode()
        for package in packages
        for p in (root / package).rglob("*.py")
        if "__pycache__" not in p.parts
    )
    items = []
    for name in names:
        items += [name, fp("file", (root / name.decode()).read_bytes())]
    return fp("software", *items)


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for name, text in {
        "ballots/__init__.py": "",
        "ballots/a.py": "A = 1\n",
        "booth/z.py": "Z = 1\n",
        "booth/core/__init__.py": "# core\n",
        "booth/ui/é.py": "E = 1\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_software_hash_is_recomputed_independently(tmp_path: Path) -> None:
    root = tree(tmp_path)
    packages = ("ballots", "booth")
    value = software_hash(root, packages)
    assert value == independent_software_hash(root, packages)
    assert software_hash(source_root()) == independent_software_hash(source_root(), SOURCE_PACKAGES)


def test_the_software_hash_changes_with_any_source_and_ignores_caches(tmp_path: Path) -> None:
    root = tree(tmp_path)
    packages = ("ballots", "booth")
    before = software_hash(root, packages)
    (root / "booth" / "__pycache__").mkdir()
    (root / "booth" / "__pycache__" / "z.cpython-311.py").write_text("cached")
    (root / "booth" / "notes.txt").write_text("not a source")
    assert software_hash(root, packages) == before
    (root / "booth" / "z.py").write_text("Z = 2\n")
    changed = software_hash(root, packages)
    assert changed != before
    (root / "booth" / "y.py").write_text("")
    assert software_hash(root, packages) not in (before, changed)
    (root / "booth" / "y.py").unlink()
    (root / "booth" / "z.py").rename(root / "booth" / "w.py")
    assert software_hash(root, packages) not in (before, changed)
    with pytest.raises(ReportError, match="missing"):
        software_hash(root, ("ballots", "tally"))
