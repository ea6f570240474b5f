"""How the booth prints: the paper record and the receipt as ESC/POS print jobs.

The content comes from `ballots.paper` (what is printed); this is the layout (how). The
paper record shows the TEST/OFFICIAL banner, each question's case number and short title
with the answer in large type (zh-TW, then en), the ballot ID and a small QR code; the
receipt shows only the tracking code, large, and the full code in a small QR.
"""

from __future__ import annotations

from ballots.paper import PaperRecord, Receipt
from hardware.printer.escpos import Align
from hardware.printer.job import Job, PrinterProfile


def paper_record_job(record: PaperRecord, profile: PrinterProfile) -> Job:
    job = Job(profile)
    job.text(record.banner, bold=True, scale=2, align=Align.CENTER)
    job.text(record.title_zh, align=Align.CENTER)
    for line in record.lines:
        job.text(f"{line.case_number} {line.short_title_zh}")
        job.text(line.answer_zh, bold=True, scale=2, align=Align.CENTER)
        job.text(line.answer_en, align=Align.CENTER)
    job.text("選票編號 Ballot ID", align=Align.CENTER)
    job.text(record.ballot_id, align=Align.CENTER)
    job.qr(record.qr_payload, module=3)
    return job.feed(2).cut()


def receipt_job(receipt: Receipt, profile: PrinterProfile) -> Job:
    job = Job(profile)
    job.text(receipt.banner, bold=True, align=Align.CENTER)
    job.text(receipt.title_zh, align=Align.CENTER)
    job.text("追蹤碼 Tracking code", align=Align.CENTER)
    job.text(receipt.short_code, bold=True, scale=2, align=Align.CENTER)
    job.qr(receipt.qr_payload, module=3)
    job.text("可至選舉紀錄查詢 Look it up in the election record", align=Align.CENTER)
    return job.feed(2).cut()
