"""`python -m tests.contact_sheet FOLDER`: one PNG of every booth screen (normal variant, zh-TW
then en), each labelled with its file name, scaled down (`make screenshots` runs it). The
Xvfb screenshot of the real window is reduced to a palette PNG on the way.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
THUMB = (320, 180)
COLUMNS = 6
LABEL = 22
NAME = "booth-contact-sheet.png"


def normal_screens(folder: Path) -> list[Path]:
    """booth-<screen>-<lang>.png, without a variant suffix: zh-TW first, then en."""
    shots = [p for p in sorted(folder.glob("booth-*.png")) if p.name != NAME]
    return [p for lang in ("-zh-TW", "-en") for p in shots if p.stem.endswith(lang)]


def contact_sheet(folder: Path) -> Path:
    shots = normal_screens(folder)
    if not shots:
        raise SystemExit(f"no booth-*.png in {folder}")
    rows = -(-len(shots) // COLUMNS)
    cell_w, cell_h = THUMB[0] + 8, THUMB[1] + LABEL + 8
    sheet = Image.new("RGB", (COLUMNS * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(FONT), 14) if FONT.is_file() else ImageFont.load_default()
    for n, path in enumerate(shots):
        x, y = (n % COLUMNS) * cell_w + 4, (n // COLUMNS) * cell_h + 4
        with Image.open(path) as image:
            thumb = image.convert("RGB")
            thumb.thumbnail(THUMB, Image.Resampling.LANCZOS)
        sheet.paste(thumb, (x, y))
        draw.rectangle((x - 1, y - 1, x + thumb.width, y + thumb.height), outline="#888888")
        draw.text((x, y + THUMB[1] + 3), path.stem.removeprefix("booth-"), fill="black", font=font)
    out = folder / NAME
    sheet.quantize(64).save(out, optimize=True)
    return out


def shrink(path: Path) -> None:
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(64)
    small.save(path, optimize=True)


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("docs/screenshots")
    for path in folder.glob("booth-xvfb-*.png"):
        shrink(path)
    print(contact_sheet(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
