"""Draw Mailroom's two Teams app icons; the outputs are committed next to this file.

    .venv/bin/python appPackage/draw_icons.py    # rewrites appPackage/color.png, outline.png

* ``color.png``   192x192, full colour: a white envelope on the accent colour.
* ``outline.png`` 32x32, the same envelope as a white line drawing on a transparent
  background (Teams tints it; every visible pixel must be pure white).

Shapes are drawn at a larger scale and reduced with a box filter, so edges are smooth. For the
outline only the alpha channel is drawn: every pixel's colour is white, so anti-aliased edges
stay white. Pillow is a development dependency; ``mailroom package`` does not need it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

# Keep equal to DEFAULT_ACCENT_COLOR in bot/packaging/options.py (a test checks).
ACCENT = (0x2F, 0x5B, 0xEA)
WHITE = (255, 255, 255)
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SCALE = 8

Box = tuple[float, float, float, float]


def _envelope(draw: ImageDraw.ImageDraw, box: Box, width: int, fill: int | tuple[int, ...]) -> None:
    """An envelope seen from the front: its border and the flap's V."""
    left, top, right, bottom = box
    draw.rounded_rectangle(box, radius=width * 1.5, outline=fill, width=width)
    middle = (left + right) / 2
    flap_bottom = top + (bottom - top) * 0.58
    inset = width * 0.9
    draw.line(
        [(left + inset, top + inset), (middle, flap_bottom), (right - inset, top + inset)],
        fill=fill,
        width=width,
        joint="curve",
    )


def draw_color() -> Image.Image:
    """192x192: white envelope with a small send arrow, on the accent colour."""
    big = COLOR_SIZE * SCALE
    image = Image.new("RGB", (big, big), ACCENT)
    draw = ImageDraw.Draw(image)
    # Teams crops colour icons to a rounded square; keep the symbol in the middle 120x120.
    unit = big / COLOR_SIZE
    _envelope(draw, (40 * unit, 58 * unit, 152 * unit, 134 * unit), round(9 * unit), WHITE)
    # A send arrow in a disc at the lower right, cut out of the envelope's corner.
    cx, cy, r = 140 * unit, 128 * unit, 26 * unit
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ACCENT)
    r_inner = 20 * unit
    draw.ellipse((cx - r_inner, cy - r_inner, cx + r_inner, cy + r_inner), fill=WHITE)
    arrow = [
        (cx - 10 * unit, cy - 3.5 * unit),
        (cx + 1 * unit, cy - 3.5 * unit),
        (cx + 1 * unit, cy - 10 * unit),
        (cx + 12 * unit, cy),
        (cx + 1 * unit, cy + 10 * unit),
        (cx + 1 * unit, cy + 3.5 * unit),
        (cx - 10 * unit, cy + 3.5 * unit),
    ]
    draw.polygon(arrow, fill=ACCENT)
    return image.resize((COLOR_SIZE, COLOR_SIZE), Image.Resampling.BOX)


def draw_outline() -> Image.Image:
    """32x32: the envelope as white lines; everything else fully transparent."""
    big = OUTLINE_SIZE * SCALE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    unit = big / OUTLINE_SIZE
    _envelope(draw, (3 * unit, 7 * unit, 29 * unit, 25 * unit), round(2 * unit), 255)
    alpha = mask.resize((OUTLINE_SIZE, OUTLINE_SIZE), Image.Resampling.BOX)
    white = Image.new("L", alpha.size, 255)
    return Image.merge("RGBA", (white, white, white, alpha))


def main(out_dir: Path) -> None:
    draw_color().save(out_dir / "color.png", optimize=True)
    draw_outline().save(out_dir / "outline.png", optimize=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
