"""Finding the CJK font by name (fontconfig), so Chinese never renders as boxes."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from hardware.errors import HardwareError

CJK_FAMILY = "Noto Sans CJK TC"


class FontMissing(HardwareError):
    pass


@functools.cache
def find_font(family: str = CJK_FAMILY) -> tuple[Path, int]:
    """(file, face index) of `family`; FontMissing if fontconfig resolves it to another family."""
    from PIL import ImageFont

    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontMissing("fontconfig (fc-match) is not installed")
    out = subprocess.run(  # noqa: S603 - fc-match from PATH with a fixed format and our family name
        [fc_match, "-f", "%{file}\n%{family}", family],
        capture_output=True,
        text=True,
        check=False,
    )
    path_text, _, families = out.stdout.partition("\n")
    if family not in families.split(","):
        raise FontMissing(
            f"font {family!r} is not installed (fontconfig offers {families!r}): "
            "install Debian's fonts-noto-cjk"
        )
    path = Path(path_text)
    for index in range(16):
        try:
            face = ImageFont.truetype(str(path), 12, index=index)
        except OSError:
            break
        if face.getname()[0] == family:
            return path, index
    raise FontMissing(f"{path} has no face named {family!r}")


def cjk_font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    path, index = find_font()
    return ImageFont.truetype(str(path), size, index=index)
