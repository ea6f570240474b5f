"""The booth's paper record and receipt, printed on the virtual printer and read back."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image

from ballots.ballot import Choice, PlaintextBallot
from ballots.definition import load_source
from ballots.paper import paper_record, parse_paper_qr, receipt
from booth.paper import paper_record_job, receipt_job
from hardware.printer.driver import ThermalPrinter
from hardware.printer.escpos import PAPER_DOTS
from hardware.printer.job import EDGE, PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter
from tests.record_helpers import DEFINITION


def test_paper_record_and_receipt_round_trip(tmp_path: Path) -> None:
    definition = load_source(DEFINITION)
    plain = PlaintextBallot({"17": Choice.NO})
    ballot_id = bytes(range(100, 116))
    virtual = VirtualPrinter(tmp_path)
    driver = ThermalPrinter(virtual.port, PrinterProfile(status_timeout=0.5, job_timeout=5))
    try:
        record = paper_record(definition, plain, ballot_id, official=False)
        driver.print_job(paper_record_job(record, driver.profile))
        code = bytes(range(32))
        driver.print_job(receipt_job(receipt(definition, code, official=False), driver.profile))
    finally:
        driver.close()
        virtual.close()
    paper, slip = (Image.open(p) for p in virtual.pieces)
    (qr,) = [r.text for r in zxingcpp.read_barcodes(paper)]
    assert parse_paper_qr(qr) == (ballot_id, {"17": Choice.NO, "18": None})
    assert [r.text for r in zxingcpp.read_barcodes(slip)] == [code.hex()]
    for image in (paper, slip):
        margin = image.convert("L").crop((PAPER_DOTS - EDGE, 0, PAPER_DOTS, image.height))
        assert margin.getextrema()[0] == 255  # nothing ran off the paper
