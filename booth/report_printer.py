"""The booth core's reports on paper and as PDF: `PollsReport` → `booth.reports.BoothReport`.

The core says what happened at a polls transition (`booth.core.polls.PollsReport`); this
fills in what the printed report also shows (titles, station name, case numbers, software
hash, print time), prints it on the thermal printer (confirmed by the printer, like every
job), saves the same report as PDF, and logs that it was printed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, assert_never

from ballots.definition import Definition
from booth.core.polls import PollsReport
from booth.core.polls import ReportKind as CoreKind
from booth.core.session import Printer
from booth.eventlog import EventCode
from booth.reports import (
    BoothCounts,
    BoothReport,
    QuestionCount,
    ReportKind,
    report_job,
    save_pdf,
    software_hash,
)


def report_kind(kind: CoreKind) -> ReportKind:
    match kind:
        case CoreKind.ZERO:
            return ReportKind.ZERO
        case CoreKind.PAUSE | CoreKind.RESET:  # a reset returns the booth to paused
            return ReportKind.PAUSE
        case CoreKind.RESUME:
            return ReportKind.RESUME
        case CoreKind.CLOSING:
            return ReportKind.CLOSE
        case CoreKind.CONFIGURED:
            raise ValueError("configuring prints no report")
        case _:
            assert_never(kind)


class Logger(Protocol):
    def append(self, code: EventCode, **details: object) -> bytes: ...


class ThermalAndPdfReports:
    """`ReportPrinter` for a real booth: thermal paper, then the PDF in `pdf_folder`."""

    def __init__(
        self,
        printer: Printer,
        pdf_folder: Path,
        official: bool,
        log: Logger | None = None,
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.printer = printer
        self.pdf_folder = pdf_folder
        self.official = official
        self.log = log
        self.now = now or (lambda: datetime.datetime.now(datetime.UTC))
        self.software = software_hash()
        self.printed: list[BoothReport] = []
        self._last: tuple[CoreKind, BoothReport] | None = None

    def booth_report(self, report: PollsReport, definition: Definition) -> BoothReport:
        station = definition.station(report.station_id)
        questions = tuple(
            QuestionCount(
                definition.question(q.question_id).case_number,
                definition.question(q.question_id).short_title_zh,
                q.taken,
                q.declined,
            )
            for q in report.questions
        )
        if report.opening_nonce is None:
            raise ValueError("a report before the opening has no chain start")
        return BoothReport(
            report_kind(report.kind),
            self.official,
            definition.title_zh,
            definition.title_en,
            report.manifest_hash,
            station.station_id,
            station.name,
            report.booth_id,
            self.software,
            report.opening_nonce,
            report.close_code,
            BoothCounts(
                report.checked_in,
                report.cast,
                report.challenged,
                report.voided,
                report.checked_in_not_cast,
                report.cardless,
                questions,
            ),
            report.log_head,
            report.transition_time,
            self.now(),
        )

    def print_report(self, report: PollsReport, definition: Definition) -> None:
        booth_report = self.booth_report(report, definition)
        self.printer.print_job(report_job(booth_report, self.printer.profile))
        save_pdf(booth_report, self.pdf_folder)
        self.printed.append(booth_report)
        self._last = (report.kind, booth_report)
        if self.log is not None:
            self.log.append(EventCode.REPORT_PRINTED, kind=booth_report.kind)

    def reprint_last(self) -> CoreKind | None:
        """The last report printed since start-up, again, marked 補印 REPRINT (its own PDF)."""
        if self._last is None:
            return None
        kind, first = self._last
        again = first.reprinted(self.now())
        self.printer.print_job(report_job(again, self.printer.profile))
        save_pdf(again, self.pdf_folder)
        self.printed.append(again)
        if self.log is not None:
            self.log.append(EventCode.REPORT_REPRINTED, kind=again.kind)
        return kind
