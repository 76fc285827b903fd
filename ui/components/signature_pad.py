"""The customer's signature, drawn with a finger: strokes collected from pan gestures, shown on a canvas."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft
import flet.canvas as cv
from flet.components.hooks.use_ref import MutableRef

from ui.components.common import INK, LINE, MUTED, RED, SURFACE, tagged
from ui.logic.signature import Stroke

PAD_WIDTH = 560
PAD_HEIGHT = 220


def stroke_shapes(strokes: list[Stroke], width: float = 3.0) -> list[cv.Shape]:
    paint = ft.Paint(
        color=INK,
        stroke_width=width,
        style=ft.PaintingStyle.STROKE,
        stroke_cap=ft.StrokeCap.ROUND,
        stroke_join=ft.StrokeJoin.ROUND,
    )
    shapes: list[cv.Shape] = []
    for stroke in strokes:
        if not stroke:
            continue
        (x0, y0), rest = stroke[0], stroke[1:] or stroke[:1]
        elements: list[cv.Path.PathElement] = [cv.Path.MoveTo(x0, y0)]
        elements += [cv.Path.LineTo(x, y) for x, y in rest]
        shapes.append(cv.Path(elements=elements, paint=paint))
    return shapes


@ft.component
def SignaturePad(strokes: list[Stroke], on_strokes: Callable[[list[Stroke]], None]) -> ft.Control:
    """Controlled by ``strokes``; reports the whole new list after each finished stroke."""
    drawing, set_drawing = ft.use_state(list[tuple[float, float]]())
    points: MutableRef[list[tuple[float, float]]] = ft.use_ref(list[tuple[float, float]]())

    def start(e: ft.DragStartEvent[ft.GestureDetector]) -> None:
        points.current = [(round(e.local_position.x, 1), round(e.local_position.y, 1))]
        set_drawing(list(points.current))

    def move(e: ft.DragUpdateEvent[ft.GestureDetector]) -> None:
        current = points.current or []
        current.append((round(e.local_position.x, 1), round(e.local_position.y, 1)))
        points.current = current
        set_drawing(list(current))

    def end(_e: ft.DragEndEvent[ft.GestureDetector]) -> None:
        if points.current:
            on_strokes([*strokes, list(points.current)])
        points.current = []
        set_drawing([])

    shown = [*strokes, *([drawing] if drawing else [])]
    return tagged(
        "signature-pad",
        ft.GestureDetector(
            on_pan_start=start,
            on_pan_update=move,
            on_pan_end=end,
            drag_interval=16,
            content=ft.Container(
                width=PAD_WIDTH,
                height=PAD_HEIGHT,
                bgcolor=SURFACE,
                border=ft.Border.all(2, LINE),
                border_radius=8,
                content=cv.Canvas(shapes=stroke_shapes(shown), width=PAD_WIDTH, height=PAD_HEIGHT),
            ),
        ),
    )


def signature_view(strokes: list[Stroke], width: float = 360, height: float = 150) -> ft.Control:
    """A stored signature, drawn back (read-only)."""
    from ui.logic.signature import fit

    return tagged(
        "signature-shown",
        ft.Container(
            width=width,
            height=height,
            bgcolor=SURFACE,
            border=ft.Border.all(1, LINE),
            border_radius=8,
            content=cv.Canvas(
                shapes=stroke_shapes(fit(strokes, width, height), 2.5), width=width, height=height
            ),
        ),
    )


def ink_note(tag: str, strokes: list[Stroke], t: Callable[..., str]) -> ft.Control:
    """Under a pad: how much of a signature is drawn, or that none is yet (red), so the engineer and the
    customer see the strokes were taken before they confirm."""
    return tagged(
        tag,
        ft.Text(
            t("app.accept.ink", n=sum(len(s) for s in strokes)) if strokes else t("app.accept.no_ink"),
            size=15,
            color=MUTED if strokes else RED,
        ),
    )
