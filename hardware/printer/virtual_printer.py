"""A virtual ESC/POS thermal printer on a pty, for tests and the demo.

It parses what the driver sends, renders each cut piece of paper to a PNG 576 dots wide
(80 mm at 203 dpi) in a folder, answers real-time status (DLE EOT 1–4) at once from the same
bit-field declarations as the driver, and answers GS r 1 only after it has rendered
everything before it. Next to each PNG it writes `piece-NNNN.json`, `{"kind": …}`: the label of
the job that printed it (`Job.label`, told by the rig's printer before each job), standing in
for the poll worker who sorts the paper by its heading. It can be told to run out of paper or
open its cover at a given byte (it then stops printing, as a real printer does, but still
answers real-time status), or to go silent.
"""

from __future__ import annotations

import json
import os
import threading
import tty
from pathlib import Path

from hardware.printer import escpos
from hardware.printer.escpos import DLE, ESC, FS, GS, LF, PAPER_SENSOR, REALTIME, Align
from hardware.printer.job import BASE_SIZE, render_line

MARGIN = 16


class VirtualPrinter:
    def __init__(self, folder: Path, dots: int = escpos.PAPER_DOTS) -> None:
        self.folder = folder
        self.dots = dots
        folder.mkdir(parents=True, exist_ok=True)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        # Faults, settable by tests: at byte N (counted from start), or now.
        self.paper_out_at: int | None = None
        self.cover_open_at: int | None = None
        self.silent_at: int | None = None
        self.paper_near_end = False
        self.cutter_error = False
        self.received = 0
        self.pieces: list[Path] = []
        self.kinds: list[str] = []  # each piece's label, "" when no job label was told
        self.torn: list[Path] = []  # what was torn off when the paper was replaced
        self._label = ""
        self.unknown: list[bytes] = []
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._reset_modes()
        self._rows: list[object] = []
        self._paper_out = False
        self._cover_open = False
        self._silent = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _reset_modes(self) -> None:
        self.bold = False
        self.scale = 1
        self.align = Align.LEFT
        self.kanji = False
        self._line = bytearray()
        self._qr_payload = b""
        self._qr_module = 3

    # Faults ---------------------------------------------------------------------------------

    @property
    def stopped(self) -> bool:
        return self._paper_out or self._cover_open or self.cutter_error

    def set_paper_out(self, out: bool = True) -> None:
        self._paper_out = out

    def replace_paper(self) -> None:
        """A poll worker tears off what was half printed and loads a new roll. The torn end is
        saved as `piece-NNNN-torn-MMM.png` (NNNN: the next piece's number, so it sorts before
        it) with its kind file saying `"torn": true` and the kind of the job it interrupted;
        it is not one of `pieces` (nothing was cut)."""
        with self._lock:
            if self._paper_out or self._rows:
                self._save(self._rows, torn=True)
            self._paper_out = False
            self.paper_out_at = None
            self._rows = []
            self._buffer.clear()
            self._reset_modes()

    def label(self, kind: str) -> None:
        """The kind of the pieces the next job cuts (`Job.label`); the printer never sees it."""
        with self._lock:
            self._label = kind

    def set_cover_open(self, open_: bool = True) -> None:
        self._cover_open = open_

    def set_silent(self, silent: bool = True) -> None:
        self._silent = silent

    def flags(self) -> dict[int, set[str]]:
        f: dict[int, set[str]] = {1: set(), 2: set(), 3: set(), 4: set()}
        if self.stopped:
            f[1].add("offline")
        if self._cover_open:
            f[2].add("cover_open")
        if self._paper_out:
            f[2].add("paper_end_stop")
            f[4].add("paper_end")
        elif self.paper_near_end:
            f[4].add("paper_near_end")
        if self.cutter_error:
            f[3].add("cutter_error")
            f[2].add("error")
        return f

    # The pty --------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                for byte in data:
                    self.received += 1
                    if self.paper_out_at is not None and self.received >= self.paper_out_at:
                        self._paper_out = True
                    if self.cover_open_at is not None and self.received >= self.cover_open_at:
                        self._cover_open = True
                    if self.silent_at is not None and self.received >= self.silent_at:
                        self._silent = True
                    self._buffer.append(byte)
                    self._process()

    def _answer(self, value: int) -> None:
        if not self._silent:
            os.write(self._master, bytes([value]))

    def close(self) -> None:
        self._stop.set()
        for fd in (self._slave, self._master):
            try:
                os.close(fd)
            except OSError:
                pass
        self._thread.join(timeout=5)

    # The parser -----------------------------------------------------------------------------

    def _process(self) -> None:
        """Consume complete commands from the buffer; keep an incomplete one for later."""
        while self._buffer:
            used = self._command(bytes(self._buffer))
            if used == 0:
                return
            del self._buffer[:used]

    def _command(self, b: bytes) -> int:
        first = b[0]
        # Real-time status is answered even when the printer has stopped.
        if first == DLE:
            if len(b) < 3:
                return 0
            if b[1] == 0x04 and b[2] in REALTIME:
                self._answer(REALTIME[b[2]].encode(self.flags()[b[2]]))
            return 3
        if self.stopped:
            return 1  # a stopped printer prints nothing: the data is lost, as on paper
        if first == ESC:
            if len(b) < 2:
                return 0
            if b[1] == 0x40:
                self._reset_modes()
                return 2
            if len(b) < 3:
                return 0
            if b[1] == 0x45:
                self.bold = bool(b[2] & 1)
            elif b[1] == 0x61:
                self.align = Align(b[2] % 3 if b[2] < 3 else b[2] - 48)
            else:
                self.unknown.append(b[:3])
            return 3
        if first == FS:
            if len(b) < 2:
                return 0
            self.kanji = b[1] == 0x26
            return 2
        if first == GS:
            return self._gs(b)
        if first == LF:
            self._print_line()
            return 1
        if self.kanji and first >= 0x81:
            if len(b) < 2:
                return 0
            self._line += b[:2]
            return 2
        if first >= 0x20:
            self._line.append(first)
        return 1

    def _gs(self, b: bytes) -> int:
        if len(b) < 2:
            return 0
        kind = b[1]
        if kind == 0x21:
            if len(b) < 3:
                return 0
            self.scale = max(1, min(8, (b[2] >> 4) + 1))
            return 3
        if kind == 0x72:
            if len(b) < 3:
                return 0
            self._answer(PAPER_SENSOR.encode(self.flags()[4]))  # after all that came before
            return 3
        if kind == 0x56:
            if len(b) < 3:
                return 0
            if b[2] in (0x41, 0x42):
                if len(b) < 4:
                    return 0
                self._cut()
                return 4
            self._cut()
            return 3
        if kind == 0x76:
            if len(b) < 8:
                return 0
            width, rows = b[4] | (b[5] << 8), b[6] | (b[7] << 8)
            if len(b) < 8 + width * rows:
                return 0
            self._raster(width, rows, b[8 : 8 + width * rows])
            return 8 + width * rows
        if kind == 0x28:
            if len(b) < 5:
                return 0
            length = b[3] | (b[4] << 8)
            if len(b) < 5 + length:
                return 0
            self._qr_function(b[5 : 5 + length])
            return 5 + length
        self.unknown.append(b[:2])
        return 2

    # Rendering ------------------------------------------------------------------------------

    def _print_line(self) -> None:
        raw, self._line = bytes(self._line), bytearray()
        text = raw.decode("big5" if self.kanji else "ascii", errors="replace")
        self._rows.append(render_line(text, self.dots, self.scale, self.bold, self.align))

    def _raster(self, width_bytes: int, rows: int, bits: bytes) -> None:
        from PIL import Image

        image = (
            Image.frombytes("1", (width_bytes * 8, rows), bits)
            .convert("L")
            .point(lambda p: 255 - p)
        )
        line = Image.new("L", (self.dots, rows), 255)
        line.paste(image.crop((0, 0, min(self.dots, width_bytes * 8), rows)), (0, 0))
        self._rows.append(line)

    def _qr_function(self, params: bytes) -> None:
        if len(params) < 2 or params[0] != 0x31:
            self.unknown.append(params[:2])
            return
        fn = params[1]
        if fn == 0x43 and len(params) >= 3:
            self._qr_module = params[2]
        elif fn == 0x50:
            self._qr_payload = params[3:]
        elif fn == 0x51:
            self._print_qr()

    def _print_qr(self) -> None:
        import segno
        from PIL import Image

        code = segno.make(
            self._qr_payload.decode("ascii", errors="replace"), error="m", micro=False
        )
        matrix = code.matrix
        m = self._qr_module
        size = (len(matrix) + 8) * m
        image = Image.new("L", (size, size), 255)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    image.paste(0, ((x + 4) * m, (y + 4) * m, (x + 5) * m, (y + 5) * m))
        line = Image.new("L", (self.dots, size), 255)
        x = {Align.LEFT: 0, Align.CENTER: (self.dots - size) // 2, Align.RIGHT: self.dots - size}[
            self.align
        ]
        line.paste(image, (max(0, x), 0))
        self._rows.append(line)

    def _cut(self) -> None:
        if self._line:
            self._print_line()
        self._save(self._rows, torn=False)
        self._rows = []

    def _save(self, rows: list[object], torn: bool) -> None:
        """A piece as PNG and, next to it, its kind file."""
        from PIL import Image

        rows = rows or [Image.new("L", (self.dots, BASE_SIZE), 255)]
        height = sum(r.height for r in rows) + 2 * MARGIN  # type: ignore[attr-defined]
        piece = Image.new("L", (self.dots, height), 255)
        y = MARGIN
        for r in rows:
            piece.paste(r, (0, y))  # type: ignore[arg-type]
            y += r.height  # type: ignore[attr-defined]
        name = f"piece-{len(self.pieces) + 1:04d}"
        if torn:
            name += f"-torn-{len(self.torn) + 1:03d}"
        path = self.folder / f"{name}.png"
        piece.save(path)
        side = path.with_suffix(".json")
        temp = side.with_suffix(".json.tmp")
        kind: dict[str, object] = {"kind": self._label, "png": path.name}
        if torn:
            kind["torn"] = True
        temp.write_text(json.dumps(kind) + "\n")
        os.replace(temp, side)
        if torn:
            self.torn.append(path)
        else:
            self.pieces.append(path)
            self.kinds.append(self._label)
