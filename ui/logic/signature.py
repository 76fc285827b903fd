"""A signature drawn with a finger, kept as SVG path data: ``M x y L x y ...`` one sub-path per stroke.

Coordinates are in the signature pad's own pixels, rounded to one decimal; the text is what
``JobActions.sign`` stores and the office console can draw with a plain ``<path d=...>``.
"""

from __future__ import annotations

import re

from shared.acceptance import MAX_SIGNATURE_CHARS

Point = tuple[float, float]
Stroke = list[Point]

_TOKEN = re.compile(r"([ML])\s*(-?\d+(?:\.\d+)?)[\s,]+(-?\d+(?:\.\d+)?)")


def _num(value: float) -> str:
    text = f"{round(value, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


def strokes_to_path(strokes: list[Stroke]) -> str:
    """SVG path data for the strokes; a single-point stroke (a dot) becomes a zero-length line."""
    parts: list[str] = []
    for stroke in strokes:
        if not stroke:
            continue
        x, y = stroke[0]
        parts.append(f"M {_num(x)} {_num(y)}")
        rest = stroke[1:] or stroke[:1]
        parts.extend(f"L {_num(px)} {_num(py)}" for px, py in rest)
    path = " ".join(parts)
    if len(path) > MAX_SIGNATURE_CHARS:
        raise ValueError("signature is too long")
    return path


def path_to_strokes(path: str) -> list[Stroke]:
    """The strokes back from path data (to show a stored signature)."""
    strokes: list[Stroke] = []
    for command, x, y in _TOKEN.findall(path or ""):
        point = (float(x), float(y))
        if command == "M" or not strokes:
            strokes.append([point])
        else:
            strokes[-1].append(point)
    return strokes


def point_count(strokes: list[Stroke]) -> int:
    return sum(len(s) for s in strokes)


def is_signed(strokes: list[Stroke], min_points: int = 5) -> bool:
    """Enough ink to count as a signature (a stray tap is not one)."""
    return point_count(strokes) >= min_points


def bounds(strokes: list[Stroke]) -> tuple[float, float, float, float] | None:
    points = [p for s in strokes for p in s]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def fit(strokes: list[Stroke], width: float, height: float, margin: float = 8.0) -> list[Stroke]:
    """The strokes scaled and moved to fit a ``width`` x ``height`` box (to show a signature small)."""
    box = bounds(strokes)
    if box is None:
        return []
    x0, y0, x1, y1 = box
    scale = min((width - 2 * margin) / max(x1 - x0, 1.0), (height - 2 * margin) / max(y1 - y0, 1.0), 1.0)
    return [[(margin + (x - x0) * scale, margin + (y - y0) * scale) for x, y in s] for s in strokes]
