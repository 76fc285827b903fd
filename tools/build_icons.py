"""Draw Levee's app icons (shared/assets/icons/*.png and shared/assets/favicon.png) with Pillow: a levee holding back the water.

    .venv/bin/python tools/build_icons.py

The PNGs are committed; this script is how they were made and how to change them. Deterministic: the
same Pillow gives the same bytes. "maskable" icons keep the drawing inside the central 80 % safe zone,
as launchers crop them to a circle or a squircle.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "shared" / "assets" / "icons"
BLUE = (11, 79, 163)  # the manifest's theme colour
WATER = (124, 196, 250)
LEVEE = (238, 241, 244)  # the manifest's background colour
GRASS = (76, 160, 92)
SIZE = 1024  # drawn large, then reduced (smooth edges without anti-aliasing support in ImageDraw)


def _wave(draw: ImageDraw.ImageDraw, y: float, x0: float, x1: float, scale: float, width: int) -> None:
    points = []
    steps = 48
    for i in range(steps + 1):
        x = x0 + (x1 - x0) * i / steps
        points.append((x, y + math.sin(i / steps * math.pi * 3) * 18 * scale))
    draw.line(points, fill=WATER, width=width, joint="curve")


def draw(padding: float, rounded: bool) -> Image.Image:
    """The icon at SIZE px; ``padding`` is the share of each side left to the background."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    if rounded:
        d.rounded_rectangle((0, 0, SIZE - 1, SIZE - 1), radius=SIZE * 0.18, fill=BLUE)
    else:
        d.rectangle((0, 0, SIZE, SIZE), fill=BLUE)
    inner = SIZE * (1 - 2 * padding)
    scale = inner / SIZE

    def at(x: float, y: float) -> tuple[float, float]:
        return (SIZE * padding + x * inner, SIZE * padding + y * inner)

    # the water it holds back, on the left, high
    for i, y in enumerate((0.50, 0.62, 0.74)):
        _wave(d, at(0, y)[1], at(0.04, 0)[0], at(0.52 + i * 0.06, 0)[0], scale, int(34 * scale))
    # the levee: a trapezoid across the lower half, grass on its crest
    d.polygon([at(0.30, 0.86), at(0.50, 0.42), at(0.70, 0.42), at(0.98, 0.86)], fill=LEVEE)
    d.polygon([at(0.47, 0.48), at(0.50, 0.42), at(0.70, 0.42), at(0.72, 0.48)], fill=GRASS)
    # the ground
    d.rectangle((*at(0.02, 0.86), *at(0.98, 0.90)), fill=LEVEE)
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    plain, maskable = draw(0.06, rounded=True), draw(0.16, rounded=False)
    outputs = {
        "icon-192.png": (plain, 192),
        "icon-512.png": (plain, 512),
        "icon-maskable-192.png": (maskable, 192),
        "icon-maskable-512.png": (maskable, 512),
        "apple-touch-icon-192.png": (maskable, 192),  # iOS rounds it itself and wants no transparency
        "favicon.png": (plain, 64),
    }
    for name, (image, px) in outputs.items():
        # the tab's icon sits beside the manifest, where Flet's web server (levee app, console) finds it
        path = OUT.parent / name if name == "favicon.png" else OUT / name
        small = image.resize((px, px), Image.Resampling.LANCZOS)
        small.save(path, optimize=True)
        print(f"{path} {px}x{px}")


if __name__ == "__main__":
    main()
