"""The ESC/POS thermal printer over a serial port (pyserial).

A job is confirmed complete only when, after the cut, the sequential status request GS r 1
is answered (the printer has processed everything before it) and DLE EOT 1–4 show no fault.
Anything else is a failed job, raised as PrintFailed with the printer's state, for the
caller to handle (a paper record that did not print completely is never counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import serial

from hardware.errors import PrintFailed
from hardware.printer import escpos
from hardware.printer.escpos import FAULTS, PAPER_SENSOR, REALTIME, PrinterState, classify
from hardware.printer.job import Job, PrinterProfile


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    flags: dict[int, frozenset[str]]


class ThermalPrinter:
    def __init__(self, port: str, profile: PrinterProfile | None = None) -> None:
        profile = profile or PrinterProfile()
        self.profile = profile
        self.serial = serial.Serial(
            port,
            baudrate=profile.baud,
            timeout=profile.status_timeout,
            write_timeout=profile.job_timeout,
            rtscts=profile.flow_control == "rtscts",
            xonxoff=profile.flow_control == "xonxoff",
        )

    def close(self) -> None:
        self.serial.close()

    def _ask(self, query: bytes, timeout: float) -> int | None:
        self.serial.reset_input_buffer()  # a late answer to an earlier query must not be taken
        self.serial.timeout = timeout
        try:
            self.serial.write(query)
            self.serial.flush()
            answer = self.serial.read(1)
        except serial.SerialException as exc:
            raise PrintFailed(PrinterState.NO_ANSWER.value, f"serial port: {exc}") from None
        return answer[0] if answer else None

    def status(self) -> PrinterStatus:
        """DLE EOT 1–4, decoded into one state (NO_ANSWER if any byte is missing or garbled)."""
        flags: dict[int, frozenset[str]] = {}
        for n in (1, 2, 3, 4):
            value = self._ask(escpos.realtime_status(n), self.profile.status_timeout)
            if value is None:
                return PrinterStatus(PrinterState.NO_ANSWER, flags)
            try:
                flags[n] = frozenset(REALTIME[n].decode(value))
            except ValueError:
                return PrinterStatus(PrinterState.NO_ANSWER, flags)
        return PrinterStatus(classify({n: set(f) for n, f in flags.items()}), flags)

    def print_job(self, job: Job) -> PrinterStatus:
        """Send a job and confirm it; PrintFailed if it cannot be confirmed complete."""
        before = self.status()
        if before.state in FAULTS:
            raise PrintFailed(before.state.value, "before printing")
        try:
            self.serial.write(job.to_bytes())
        except serial.SerialTimeoutException:
            raise PrintFailed(
                PrinterState.NO_ANSWER.value, "the printer stopped taking data"
            ) from None
        confirmation = self._ask(escpos.PAPER_STATUS, self.profile.job_timeout)
        after = self.status()
        if after.state in FAULTS:
            raise PrintFailed(after.state.value, "during the job")
        if confirmation is None:
            raise PrintFailed(PrinterState.NO_ANSWER.value, "the printer did not confirm the job")
        try:
            sensor = PAPER_SENSOR.decode(confirmation)
        except ValueError:
            raise PrintFailed(PrinterState.NO_ANSWER.value, "garbled answer to GS r 1") from None
        if "paper_end" in sensor:
            raise PrintFailed(PrinterState.PAPER_OUT.value, "paper sensor after the job")
        return after
