"""How the booth prints: the paper record, the receipt and the slips as ESC/POS print jobs.

The content comes from `ballots.paper` (what is printed, and the rule that nothing printed
links a vote to the record); this is the layout (how). Every line printed here is a field of
those dataclasses: the layout adds no value of its own.
"""

from __future__ import annotations

import enum

from ballots.paper import CHALLENGED_HEADING, VOID_HEADING, Bilingual, PaperRecord, Receipt, Slip
from hardware.printer.escpos import Align
from hardware.printer.job import Job, PrinterProfile


class PieceKind(enum.Enum):
    """What a cut piece of paper is, as a poll worker sorting the paper tells them apart by
    their heading (`Job.label`): only paper records of cast ballots go into the ballot box."""

    PAPER_RECORD = "paper-record"
    RECEIPT = "receipt"
    CHALLENGED_SLIP = "challenged-slip"
    VOID_SLIP = "void-slip"
    REPORT = "report"


SLIP_KINDS = {CHALLENGED_HEADING: PieceKind.CHALLENGED_SLIP, VOID_HEADING: PieceKind.VOID_SLIP}


def _top(job: Job, banner: str, title_zh: str, title_en: str) -> None:
    job.text(banner, bold=True, scale=2, align=Align.CENTER)
    job.text(title_zh, align=Align.CENTER)
    job.text(title_en, align=Align.CENTER)
    job.feed(1)


def _notes(job: Job, notes: tuple[Bilingual, ...]) -> None:
    for note in notes:
        job.feed(1)
        job.text(note.zh, align=Align.CENTER)
        job.text(note.en, align=Align.CENTER)


def paper_record_job(record: PaperRecord, profile: PrinterProfile) -> Job:
    job = Job(profile).labelled(PieceKind.PAPER_RECORD.value)
    _top(job, record.banner, record.title_zh, record.title_en)
    job.text(f"{record.heading.zh} {record.heading.en}", align=Align.CENTER)
    for line in record.lines:
        job.feed(1)
        job.text(f"{line.case_number} {line.short_title_zh}")
        job.text(line.short_title_en)
        job.text(line.answer_zh, bold=True, scale=2, align=Align.CENTER)
        job.text(line.answer_en, align=Align.CENTER)
    job.feed(1)
    job.text(record.deposit.zh, align=Align.CENTER)
    job.text(record.deposit.en, align=Align.CENTER)
    job.qr(record.qr_payload, module=3)
    return job.feed(2).cut()


def receipt_job(receipt: Receipt, profile: PrinterProfile) -> Job:
    job = Job(profile).labelled(PieceKind.RECEIPT.value)
    _top(job, receipt.banner, receipt.title_zh, receipt.title_en)
    job.text(f"{receipt.heading.zh} {receipt.heading.en}", align=Align.CENTER)
    job.text(receipt.short_code, bold=True, scale=2, align=Align.CENTER)
    job.qr(receipt.qr_payload, module=3)
    _notes(job, receipt.notes)
    return job.feed(2).cut()


def slip_job(slip: Slip, profile: PrinterProfile) -> Job:
    """The challenged slip or the void slip (`ballots.paper.challenged_slip`, `void_slip`)."""
    job = Job(profile).labelled(SLIP_KINDS[slip.heading].value)
    _top(job, slip.banner, slip.title_zh, slip.title_en)
    job.text(slip.heading.zh, bold=True, scale=2, align=Align.CENTER)
    job.text(slip.heading.en, align=Align.CENTER)
    _notes(job, slip.notes)
    return job.feed(2).cut()
