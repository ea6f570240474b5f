"""The booth's paper record, receipt and slips, printed on the virtual printer and read back.

The golden images are the booth's real slips as `booth/paper.py` lays them out, rendered by
the virtual printer. After a deliberate layout change, regenerate them with
REFVOTE_UPDATE_GOLDEN=1 and look at every image before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops

from ballots.ballot import Choice, PlaintextBallot
from ballots.definition import load_source
from ballots.paper import (
    challenged_slip,
    paper_record,
    parse_paper_qr,
    receipt,
    void_slip,
)
from booth.paper import paper_record_job, receipt_job, slip_job
from hardware.printer.driver import ThermalPrinter
from hardware.printer.escpos import PAPER_DOTS
from hardware.printer.job import EDGE, Job, PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter
from tests.record_helpers import DEFINITION

GOLDEN = Path(__file__).parent / "golden"
DEF = load_source(DEFINITION)
CODE = bytes(range(32))


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[tuple[VirtualPrinter, ThermalPrinter]]:
    virtual = VirtualPrinter(tmp_path / "paper")
    driver = ThermalPrinter(virtual.port, PrinterProfile(status_timeout=0.5, job_timeout=5))
    yield virtual, driver
    driver.close()
    virtual.close()


def print_and_read(printer: tuple[VirtualPrinter, ThermalPrinter], job: Job) -> Image.Image:
    virtual, driver = printer
    before = len(virtual.pieces)
    driver.print_job(job)
    assert len(virtual.pieces) == before + 1 and virtual.unknown == []
    image = Image.open(virtual.pieces[-1]).convert("L")
    margin = image.crop((PAPER_DOTS - EDGE, 0, PAPER_DOTS, image.height))
    assert margin.getextrema()[0] == 255  # nothing ran off the paper
    return image


def qr_texts(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_paper_record_and_receipt_round_trip(printer) -> None:  # type: ignore[no-untyped-def]
    plain = PlaintextBallot({"17": Choice.NO})
    profile = printer[1].profile
    paper = print_and_read(printer, paper_record_job(paper_record(DEF, plain, False), profile))
    (qr,) = qr_texts(paper)
    assert qr == "RV2 17=N 18=D"
    assert parse_paper_qr(qr, DEF) == {"17": Choice.NO, "18": None}
    slip = print_and_read(printer, receipt_job(receipt(DEF, CODE, False), profile))
    assert qr_texts(slip) == [CODE.hex()]


def test_slips_print_without_a_qr_code(printer) -> None:  # type: ignore[no-untyped-def]
    profile = printer[1].profile
    for slip in (challenged_slip(DEF, False), void_slip(DEF, True)):
        image = print_and_read(printer, slip_job(slip, profile))
        assert qr_texts(image) == [] and image.height > 300


# Golden images: the booth's real layout ----------------------------------------------------


def _golden_paper(profile: PrinterProfile) -> Job:
    # Every kind of answer: 同意, blank (counted as invalid), and a declined question.
    plain = PlaintextBallot({"17": Choice.BLANK})
    return paper_record_job(paper_record(DEF, plain, official=False), profile)


def _golden_paper_no(profile: PrinterProfile) -> Job:
    plain = PlaintextBallot({"17": Choice.YES, "18": Choice.NO})
    return paper_record_job(paper_record(DEF, plain, official=True), profile)


def _golden_receipt(profile: PrinterProfile) -> Job:
    return receipt_job(receipt(DEF, CODE, official=False), profile)


def _golden_challenged(profile: PrinterProfile) -> Job:
    return slip_job(challenged_slip(DEF, official=False), profile)


def _golden_void(profile: PrinterProfile) -> Job:
    return slip_job(void_slip(DEF, official=False), profile)


GOLDENS: dict[str, Callable[[PrinterProfile], Job]] = {
    "paper-record": _golden_paper,
    "paper-record-official": _golden_paper_no,
    "receipt": _golden_receipt,
    "challenged-slip": _golden_challenged,
    "void-slip": _golden_void,
}


@pytest.mark.parametrize("name", list(GOLDENS))
def test_golden_images(printer, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    actual = print_and_read(printer, GOLDENS[name](printer[1].profile))
    golden_path = GOLDEN / f"{name}.png"
    if os.environ.get("REFVOTE_UPDATE_GOLDEN") == "1":
        actual.save(golden_path)
    golden = Image.open(golden_path).convert("L")
    assert actual.size == golden.size, f"{name}: size {actual.size} ≠ golden {golden.size}"
    diff = ImageChops.difference(actual, golden)
    if diff.getbbox() is not None:
        actual.save(tmp_path / f"{name}-actual.png")
        pytest.fail(
            f"{name} differs from the reviewed golden image in {diff.getbbox()}; "
            f"see {tmp_path / (name + '-actual.png')}"
        )
