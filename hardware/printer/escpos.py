"""ESC/POS, declared once: commands, status bytes as named bit fields, and print jobs.

The driver encodes commands and decodes status with these declarations; the virtual printer
parses the same commands and encodes its status with the same bit fields.

Real-time status (DLE EOT n) answers one byte at once, even mid-job; `GS r 1` is answered in
sequence, only after everything sent before it has been processed. No answer is a fault.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A
PAPER_DOTS = 576  # 80 mm paper at 203 dpi

INIT = bytes([ESC, 0x40])
KANJI_ON = bytes([FS, 0x26])  # FS &: two-byte (Big5 on a Taiwan printer) characters
KANJI_OFF = bytes([FS, 0x2E])
CUT = bytes([GS, 0x56, 0x42, 0x00])  # feed and partial cut
PAPER_STATUS = bytes([GS, 0x72, 0x01])  # GS r 1


def realtime_status(n: int) -> bytes:
    if n not in (1, 2, 3, 4):
        raise ValueError("DLE EOT n takes n = 1 … 4")
    return bytes([DLE, 0x04, n])


def bold(on: bool) -> bytes:
    return bytes([ESC, 0x45, 1 if on else 0])


class Align(enum.IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


def align(a: Align) -> bytes:
    return bytes([ESC, 0x61, int(a)])


def size(width: int, height: int) -> bytes:
    """GS ! n: character width and height multipliers 1 … 8."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character size multipliers are 1 … 8")
    return bytes([GS, 0x21, ((width - 1) << 4) | (height - 1)])


def qr(payload: bytes, module: int = 6, ec_level: str = "M") -> bytes:
    """GS ( k: QR model 2, module size, error correction, store, print."""
    if not 1 <= module <= 16:
        raise ValueError("QR module size is 1 … 16 dots")
    levels = {"L": 48, "M": 49, "Q": 50, "H": 51}
    store = len(payload) + 3
    return b"".join(
        [
            bytes([GS, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0x00]),  # model 2
            bytes([GS, 0x28, 0x6B, 3, 0, 0x31, 0x43, module]),
            bytes([GS, 0x28, 0x6B, 3, 0, 0x31, 0x45, levels[ec_level]]),
            bytes([GS, 0x28, 0x6B, store & 0xFF, store >> 8, 0x31, 0x50, 0x30]) + payload,
            bytes([GS, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30]),
        ]
    )


def raster(width_bytes: int, rows: int, bits: bytes) -> bytes:
    """GS v 0: a 1-bit image, `width_bytes` bytes a row, MSB first, 1 = black."""
    if len(bits) != width_bytes * rows:
        raise ValueError("raster data does not match its size")
    return (
        bytes([GS, 0x76, 0x30, 0, width_bytes & 0xFF, width_bytes >> 8, rows & 0xFF, rows >> 8])
        + bits
    )


# Status bytes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusByte:
    """One real-time status byte: fixed bits that must hold, and named flags."""

    n: int
    fixed_ones: int
    fixed_zeros: int
    flags: dict[str, int] = field(default_factory=dict)

    def encode(self, active: set[str]) -> int:
        value = self.fixed_ones
        for name in active:
            if name in self.flags:
                value |= self.flags[name]
        return value

    def decode(self, value: int) -> set[str]:
        """The flags set in `value`; ValueError if a fixed bit is wrong (not a status byte).

        A flag whose mask has two bits (two sensors, as paper end on DLE EOT 4) counts as set
        when either bit is: a printer reporting one sensor is reporting the condition.
        """
        if (
            not 0 <= value <= 255
            or value & self.fixed_ones != self.fixed_ones
            or value & self.fixed_zeros
        ):
            raise ValueError(f"byte {value:02X} is not a valid answer to DLE EOT {self.n}")
        return {name for name, mask in self.flags.items() if value & mask}


REALTIME = {
    1: StatusByte(1, 0x12, 0x81, {"offline": 0x08}),
    2: StatusByte(
        2,
        0x12,
        0x81,
        {"cover_open": 0x04, "feed_button": 0x08, "paper_end_stop": 0x20, "error": 0x40},
    ),
    3: StatusByte(
        3, 0x12, 0x81, {"cutter_error": 0x08, "unrecoverable": 0x20, "auto_recoverable": 0x40}
    ),
    4: StatusByte(4, 0x12, 0x81, {"paper_near_end": 0x0C, "paper_end": 0x60}),
}
PAPER_SENSOR = StatusByte(0, 0x00, 0x90, {"paper_near_end": 0x03, "paper_end": 0x0C})  # GS r 1


class PrinterState(enum.Enum):
    READY = "ready"
    PAPER_NEAR_END = "paper near end"  # still prints: warn the poll worker
    PAPER_OUT = "paper out"
    COVER_OPEN = "cover open"
    OFFLINE = "offline"
    CUTTER_ERROR = "cutter error"
    UNRECOVERABLE = "unrecoverable error"
    NO_ANSWER = "no answer"


def classify(flags: dict[int, set[str]]) -> PrinterState:
    """One state from the four real-time status bytes, the most serious first."""
    f1, f2, f3, f4 = (flags.get(n, set()) for n in (1, 2, 3, 4))
    if "unrecoverable" in f3:
        return PrinterState.UNRECOVERABLE
    if "cutter_error" in f3:
        return PrinterState.CUTTER_ERROR
    if "cover_open" in f2:
        return PrinterState.COVER_OPEN
    if "paper_end" in f4 or "paper_end_stop" in f2:
        return PrinterState.PAPER_OUT
    if "offline" in f1:
        return PrinterState.OFFLINE
    if "paper_near_end" in f4:
        return PrinterState.PAPER_NEAR_END
    return PrinterState.READY


FAULTS = {
    PrinterState.PAPER_OUT,
    PrinterState.COVER_OPEN,
    PrinterState.OFFLINE,
    PrinterState.CUTTER_ERROR,
    PrinterState.UNRECOVERABLE,
    PrinterState.NO_ANSWER,
}
