"""Text sizes and contrast modes: everything scales from one base font.

The four sizes follow VVSG 2.0 7.1-G (3.5–4.2 mm up to 6.4–9.0 mm capital height); the four
contrast modes are measured (WCAG relative luminance), two of them at 20:1 or better. A
voter's choices here live in the window only and reset when the session ends.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

FAMILY = "Noto Sans CJK TC"
BASE_PX = 26  # the smallest size; every other measure is a multiple of it
# The kiosk's screen, as assumed for sizes in millimetres: a 23.8-inch (diagonal) 1920×1080
# touch panel, 92.6 pixels per inch. KIOSK_DPI must not be below the real panel's density (a
# denser panel draws each pixel smaller): 96 covers panels from 23 inches (95.8 DPI) up at
# 1920×1080, with Qt at scale factor 1. A smaller or denser panel is a deployment setting:
# raise KIOSK_DPI to hypot(width, height) / diagonal and every target grows to 15 mm again.
KIOSK_PANEL = (23.8, 1920, 1080)  # inches, pixels across, pixels down
KIOSK_DPI = 96.0  # logical pixels per inch used for every size in mm
MIN_TARGET_MM = 15.0


class TextSize(enum.Enum):
    NORMAL = 1.0
    LARGE = 1.3
    LARGER = 1.65
    LARGEST = 2.1


class Contrast(enum.Enum):
    STANDARD = ("#1b1b1b", "#f4f4ef", "#0b4f9c", "#ffffff", "#c05800")
    BLACK_ON_WHITE = ("#000000", "#ffffff", "#ffffff", "#000000", "#000000")
    WHITE_ON_BLACK = ("#ffffff", "#000000", "#000000", "#ffffff", "#ffffff")
    YELLOW_ON_BLACK = ("#ffff00", "#000000", "#000000", "#ffff00", "#ffffff")

    @property
    def fg(self) -> str:
        return self.value[0]

    @property
    def bg(self) -> str:
        return self.value[1]

    @property
    def button_bg(self) -> str:
        return self.value[2]

    @property
    def button_fg(self) -> str:
        return self.value[3]

    @property
    def focus(self) -> str:
        return self.value[4]


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mm_to_px(mm: float, dpi: float = KIOSK_DPI) -> int:
    return round(mm / 25.4 * dpi + 0.5)


@dataclass(frozen=True)
class Theme:
    size: TextSize = TextSize.NORMAL
    contrast: Contrast = Contrast.STANDARD

    @property
    def font_px(self) -> int:
        return round(BASE_PX * self.size.value)

    @property
    def question_px(self) -> int:
        """The question's text a step larger, up to the largest size (already large)."""
        return max(self.font_px, min(round(self.font_px * 1.15), round(BASE_PX * 1.9)))

    @property
    def frame_px(self) -> int:
        """A button's border: the same width focused or not (focus changes style and colour)."""
        return max(4, self.font_px // 9)

    @property
    def pad_px(self) -> int:
        return max(4, self.font_px // 8)

    @property
    def line_px(self) -> int:
        """One line of Noto Sans CJK TC: its ascent plus descent is about 1.45 em."""
        return round(self.font_px * 1.45) + 2

    @property
    def chrome_px(self) -> int:
        """From a button's edge to its text box, on each side."""
        return self.pad_px + self.frame_px

    @property
    def target_px(self) -> int:
        return max(mm_to_px(MIN_TARGET_MM), self.line_px + 2 * self.chrome_px)

    def stylesheet(self) -> str:
        c, px, frame, pad = self.contrast, self.font_px, self.frame_px, self.pad_px
        inner = self.target_px - 2 * self.chrome_px  # QSS min-height is the content box
        return f"""
        QWidget {{ background: {c.bg}; color: {c.fg}; font-family: "{FAMILY}";
                   font-size: {px}px; }}
        QLabel[role="title"] {{ font-size: {round(px * 1.35)}px; font-weight: bold; }}
        QLabel[role="question"] {{ font-size: {self.question_px}px; }}
        QLabel[role="notice"] {{ font-weight: bold; }}
        QLabel[role="code"] {{ font-size: {round(px * 1.6)}px; font-weight: bold; }}
        QPushButton {{ background: {c.button_bg}; color: {c.button_fg};
                       border: {frame}px solid {c.fg}; border-radius: {px // 3}px;
                       padding: {pad}px {2 * pad}px; min-height: {inner}px;
                       min-width: {inner}px; }}
        QPushButton[chosen="true"] {{ border: {frame}px double {c.fg}; font-weight: bold; }}
        QPushButton:focus {{ border: {frame}px dashed {c.focus};
                             background: {c.fg}; color: {c.bg}; }}
        QPushButton:disabled {{ border-style: dotted; }}
        QLineEdit {{ border: {frame}px solid {c.fg}; padding: {pad}px;
                     min-height: {inner}px; }}
        QLineEdit:focus {{ border: {frame}px dashed {c.focus}; }}
        """
