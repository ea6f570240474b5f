"""A print job: lines of text (Big5 or rasterised CJK), QR codes, feeds and the cut.

A printer profile chooses how text travels: `big5` sends it as Big5 in FS & (Kanji) mode, for
printers with a Traditional Chinese font; `raster` renders each line with Noto Sans CJK TC and
sends it as a GS v 0 image, for printers without one. A line Big5 cannot encode is rasterised.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.fonts import cjk_font
from hardware.printer import escpos
from hardware.printer.escpos import Align

BASE_SIZE = 24  # dots: the font size of a normal line
EDGE = 8  # dots left blank at the paper's edges


@dataclass(frozen=True)
class PrinterProfile:
    name: str = "generic 80 mm ESC/POS"
    baud: int = 115200
    flow_control: str = "none"  # "rtscts", "xonxoff" or "none"
    text: str = "raster"  # "big5" or "raster"
    dots: int = escpos.PAPER_DOTS
    status_timeout: float = 2.0  # seconds for a real-time status answer
    job_timeout: float = 30.0  # seconds for GS r 1 after a job (printing takes time)

    def __post_init__(self) -> None:
        if self.text not in ("big5", "raster") or self.flow_control not in (
            "rtscts",
            "xonxoff",
            "none",
        ):
            raise ValueError(
                "profile: text is big5 or raster; flow_control is rtscts, xonxoff or none"
            )


def wrap(text: str, dots: int, scale: int = 1, bold: bool = False) -> list[str]:
    """Split `text` into lines that fit the paper: at spaces if it can, else between characters."""
    font = cjk_font(BASE_SIZE * scale)
    room = dots - 2 * EDGE
    stroke = 1 if bold else 0

    def fits(candidate: str) -> bool:
        left, _, right, _ = font.getbbox(candidate or " ", stroke_width=stroke)
        return right - left <= room

    lines: list[str] = []
    rest = text
    while rest and not fits(rest):
        cut = len(rest)
        while cut > 1 and not fits(rest[:cut]):
            cut -= 1
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0 and rest[cut : cut + 1] not in ("", " ") and space > cut // 2:
            cut = space
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    lines.append(rest)
    return lines


def render_line(
    text: str, dots: int, scale: int = 1, bold: bool = False, align: Align = Align.LEFT
):  # type: ignore[no-untyped-def]
    """A text line as a white-on-black-free 1-bit image `dots` wide (black = 1 when packed)."""
    from PIL import Image, ImageDraw

    font = cjk_font(BASE_SIZE * scale)
    left, _, right, bottom = font.getbbox(text or " ", stroke_width=1 if bold else 0)
    height = max(int(BASE_SIZE * scale * 1.25), bottom + 4)
    image = Image.new("L", (dots, height), 255)
    draw = ImageDraw.Draw(image)
    width = right - left
    x = {Align.LEFT: EDGE, Align.CENTER: (dots - width) // 2, Align.RIGHT: dots - width - EDGE}[
        align
    ] - left
    draw.text(
        (max(x, -left), 2), text, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0
    )
    return image


def image_to_raster(image) -> bytes:  # type: ignore[no-untyped-def]
    """GS v 0 bytes of a grey image: dark pixels print."""
    width = (image.width + 7) // 8 * 8
    from PIL import Image

    padded = Image.new("L", (width, image.height), 255)
    padded.paste(image, (0, 0))
    bits = padded.point(lambda p: 255 if p < 128 else 0).convert("1", dither=Image.Dither.NONE)
    return escpos.raster(width // 8, image.height, bits.tobytes())


class Job:
    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.label = ""
        self.parts: list[bytes] = [escpos.INIT]

    def labelled(self, label: str) -> Job:
        """What the piece is ("paper-record", "receipt", ...), as the person sorting the paper
        reads it off its heading; never sent to the printer (the virtual printer records it)."""
        self.label = label
        return self

    def text(
        self, line: str, *, bold: bool = False, scale: int = 1, align: Align = Align.LEFT
    ) -> Job:
        """A line of text; wider than the paper, it is wrapped (never cut off)."""
        if "\n" in line or "\r" in line:
            raise ValueError("one line at a time")
        for part in wrap(line, self.profile.dots, scale, bold):
            self._line(part, bold, scale, align)
        return self

    def _line(self, line: str, bold: bool, scale: int, align: Align) -> None:
        if self.profile.text == "big5":
            try:
                encoded = line.encode("big5")
            except UnicodeEncodeError:
                encoded = None
            if encoded is not None:
                self.parts += [
                    escpos.align(align),
                    escpos.bold(bold),
                    escpos.size(scale, scale),
                    escpos.KANJI_ON,
                    encoded,
                    bytes([escpos.LF]),
                    escpos.KANJI_OFF,
                    escpos.bold(False),
                    escpos.size(1, 1),
                ]
                return
        self.parts.append(image_to_raster(render_line(line, self.profile.dots, scale, bold, align)))

    def qr(self, payload: str, module: int = 6, align: Align = Align.CENTER) -> Job:
        self.parts += [
            escpos.align(align),
            escpos.qr(payload.encode("ascii"), module),
            bytes([escpos.LF]),
        ]
        return self

    def feed(self, lines: int = 1) -> Job:
        self.parts.append(bytes([escpos.LF]) * lines)
        return self

    def cut(self) -> Job:
        self.parts += [escpos.align(Align.LEFT), escpos.CUT]
        return self

    def to_bytes(self) -> bytes:
        return b"".join(self.parts)
