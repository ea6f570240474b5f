"""The poll workers' readiness check: after the package is loaded, before the polls open.

Five items, each tried by a poll worker at the booth (docs/booth.md, Readiness check): a test
print; the card reader with a test card; a phrase through the headphones; every key of the
tactile keypad; both keys of the two-switch device. The booth tries the first two itself; the
last three are what the poll worker heard and what the keys sent, recorded as the worker says.
Each result goes into the booth's event log (item and result only: no voter exists yet), and
the readiness report prints every item's result with the date and time, for the poll workers'
signatures. An item tried again replaces its earlier result on the report; the log keeps both.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from booth.core.session import CardSlot
from booth.eventlog import EventCode, ReadinessItem, ReadinessResult
from booth.reports import SIGNATURE_LINE, SIGNERS, local_time, software_hash
from crypto.hashing import group_for_reading
from hardware.errors import HardwareError, NoCard, NoReader, PrintFailed
from hardware.printer.escpos import Align
from hardware.printer.job import Job, PrinterProfile

TITLE = ("整備檢查報表", "Readiness report")
TEST_PRINT = ("測試列印", "Test print")
ITEM_LABELS = {
    ReadinessItem.PRINTER: "印表機測試列印 Printer test print",
    ReadinessItem.CARD_READER: "讀卡機與測試卡 Card reader, test card",
    ReadinessItem.SPEAKER: "耳機語音 Speech through the headphones",
    ReadinessItem.KEYPAD: "觸覺按鍵（每一鍵）Tactile keypad, every key",
    ReadinessItem.SWITCHES: "雙開關裝置（移動、選擇）Two switches (move, select)",
}
RESULT_LABELS = {
    ReadinessResult.PASSED: "通過 PASSED",
    ReadinessResult.FAILED: "未通過 FAILED",
    None: "未檢查 NOT CHECKED",
}


class ReaderState(enum.Enum):
    NO_READER = "no-reader"  # not found, or pcscd does not answer
    EMPTY = "empty"  # the reader answers, no card in it
    CARD = "card"  # a card answered (a connection was opened and closed)
    CARD_TROUBLE = "card-trouble"  # a card is there and would not answer


def reader_state(slot: CardSlot) -> ReaderState:
    """The card reader's state, for the poll worker (never during a voter session: the
    probe opens and closes a connection to whatever card is in the slot)."""
    try:
        channel = slot.connect()
    except NoReader:
        return ReaderState.NO_READER
    except NoCard:
        return ReaderState.EMPTY
    except HardwareError:
        return ReaderState.CARD_TROUBLE
    channel.close()
    return ReaderState.CARD


class _Printer(Protocol):
    profile: PrinterProfile

    def print_job(self, job: Job) -> object: ...


class _Log(Protocol):
    def append(self, code: EventCode, **details: object) -> bytes: ...


@dataclass(frozen=True)
class Identity:
    """What the readiness report names: the booth, its station and the referendum."""

    booth_id: str
    station_id: str
    station_name: str
    referendum_title_zh: str
    official: bool


class ReadinessCheck:
    """One readiness check (the booth core hands it out: `Booth.readiness_check(pin)`)."""

    def __init__(
        self,
        identity: Identity,
        printer: _Printer,
        card_slot: CardSlot,
        log: _Log,
        now: Callable[[], datetime.datetime],
    ) -> None:
        self.identity = identity
        self.printer = printer
        self.card_slot = card_slot
        self.log = log
        self.now = now
        self.results: dict[ReadinessItem, ReadinessResult] = {}

    def _record(self, item: ReadinessItem, passed: bool) -> ReadinessResult:
        result = ReadinessResult.PASSED if passed else ReadinessResult.FAILED
        self.results[item] = result
        self.log.append(EventCode.READINESS_CHECKED, item=item, result=result)
        return result

    def test_print(self) -> ReadinessResult:
        """A short test piece (text and a QR code); passed if the printer confirmed it."""
        job = Job(self.printer.profile)
        job.text(TEST_PRINT[0] + " " + TEST_PRINT[1], bold=True, scale=2, align=Align.CENTER)
        job.text(f"投票機 Booth {self.identity.booth_id}", align=Align.CENTER)
        job.text(local_time(self.now()), align=Align.CENTER)
        job.qr(f"REFVOTE TEST PRINT {self.identity.booth_id}")
        job.feed(2).cut()
        try:
            self.printer.print_job(job)
        except PrintFailed:
            return self._record(ReadinessItem.PRINTER, False)
        return self._record(ReadinessItem.PRINTER, True)

    def card_reader(self) -> ReadinessResult:
        """The test card in the reader: passed if the reader opened a connection to it."""
        try:
            channel = self.card_slot.connect()
        except HardwareError:
            return self._record(ReadinessItem.CARD_READER, False)
        channel.close()
        return self._record(ReadinessItem.CARD_READER, True)

    def observed(self, item: ReadinessItem, passed: bool) -> ReadinessResult:
        """What the poll worker observed: the phrase heard, every key's press seen."""
        if item in (ReadinessItem.PRINTER, ReadinessItem.CARD_READER):
            raise ValueError(f"{item.value} is tried by the booth itself")
        return self._record(item, passed)

    @property
    def all_passed(self) -> bool:
        return all(self.results.get(i) is ReadinessResult.PASSED for i in ReadinessItem)

    def report_job(self) -> Job:
        ident = self.identity
        job = Job(self.printer.profile)
        job.text(
            "OFFICIAL 正式" if ident.official else "TEST 測試",
            bold=True,
            scale=2,
            align=Align.CENTER,
        )
        job.text(TITLE[0], bold=True, scale=2, align=Align.CENTER)
        job.text(TITLE[1], align=Align.CENTER)
        job.text(ident.referendum_title_zh, align=Align.CENTER)
        job.feed()
        job.text(f"投開票所 Station: {ident.station_id} {ident.station_name}")
        job.text(f"投票機 Booth: {ident.booth_id}")
        job.text("軟體指紋 Software hash")
        job.text(group_for_reading(software_hash()), bold=True, align=Align.CENTER)
        job.feed()
        for item in ReadinessItem:
            job.text(ITEM_LABELS[item])
            job.text("  " + RESULT_LABELS[self.results.get(item)])
        job.feed()
        job.text("列印時間 Print time")
        job.text(local_time(self.now()), align=Align.CENTER)
        for signer in SIGNERS:
            job.feed(2)
            job.text(signer)
            job.feed()
            job.text(SIGNATURE_LINE, align=Align.CENTER)
        return job.feed(2).cut()

    def print_report(self) -> None:
        """Print the readiness report (raises PrintFailed if the printer did not confirm)."""
        self.printer.print_job(self.report_job())
        self.log.append(EventCode.READINESS_REPORT_PRINTED)
