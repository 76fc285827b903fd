"""Building blocks sized for gloved hands and readable in sunlight: big targets, dark on light, strong red."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import flet as ft

FONT = "NotoSansSC"  # the bundled CJK face, registered in main.py


TOUCH = 56  # minimum height of anything tapped, in logical pixels
INK = "#111111"  # body text
MUTED = "#3d3d3d"  # secondary text, still high contrast on white
RED = "#b00000"  # breached, errors
RED_BG = "#ffe3e3"
GREEN = "#0b6b1d"
AMBER_BG = "#fff1c2"
BLUE = "#0b4fa3"
SURFACE = "#ffffff"
PAGE_BG = "#eef1f4"
LINE = "#9aa3ad"

Handler = Callable[[Any], Any] | None


def big_button(
    label: str,
    on_click: Handler = None,
    *,
    kind: str = "primary",
    icon: ft.IconData | None = None,
    disabled: bool = False,
    expand: bool | int | None = None,
    width: float | None = None,
    key: str | None = None,
    action: Any = None,
) -> ft.Control:
    """A button at least :data:`TOUCH` high; ``kind`` is primary, danger, quiet or selected."""
    colors = {
        "primary": (BLUE, "#ffffff"),
        "danger": (RED, "#ffffff"),
        "quiet": ("#dfe5ec", INK),
        "selected": ("#0b3d6b", "#ffffff"),
        "ok": (GREEN, "#ffffff"),
    }
    bg, fg = colors.get(kind, colors["primary"])
    if disabled:
        bg, fg = "#c9ced4", "#30363d"
    kwargs: dict[str, Any] = {}
    if action is not None:
        kwargs["action"] = action
    return ft.Button(
        content=ft.Text(label, size=18, weight=ft.FontWeight.W_600, color=fg),
        icon=ft.Icon(icon, color=fg) if icon else None,
        on_click=on_click,
        disabled=disabled,
        height=TOUCH,
        width=width,
        expand=expand,
        key=key,
        style=ft.ButtonStyle(
            bgcolor=bg,
            color=fg,
            padding=ft.Padding.symmetric(horizontal=20, vertical=8),
            shape=ft.RoundedRectangleBorder(radius=10),
        ),
        **kwargs,
    )


_NOTHING: Any = object()


class KeepsTyped:
    """For a control whose value the browser changes (a text field, a checkbox, a switch, a dropdown)
    and the app controls: it never echoes a stale value over what was typed or tapped since.

    A key goes to Python as two messages: the control's new value, applied to the live control at once,
    then a ``change`` event, handled later. Under load the app can re-render between the two, or after
    the event of an earlier key: it then asks for a value the browser has already moved past, Flet sends
    it, and the browser loses what was typed since (``WO-20261-00286`` for ``WO-202611-00286``; a second
    tap on a checkbox undone). The next event reads that stale value back, so it is gone for good.

    The rule, applied when a render replaces the live control (``_migrate_state``): the browser's value
    is kept when the app asks for the same value as last time (nothing new from the app) or for the value
    the control last handed to its handler (the app adopting what was typed, possibly stale; see
    :func:`handing`). Any other value is the app's own (a clear, a draft restored, a corrected number)
    and is sent. The one thing the app cannot do is refuse a key by leaving its state unchanged: it sets
    the value it wants instead. Flet 1.0's hooks used here (``init``, ``_migrate_state``) are covered by
    tests/test_typed_field.py, which fails if they change.
    """

    value: Any
    label: Any

    def init(self) -> None:
        super().init()  # type: ignore[misc]
        object.__setattr__(self, "_asked", self.value)

    def _migrate_state(self, other: Any) -> None:
        asked = self.value
        super()._migrate_state(other)  # type: ignore[misc]
        before = getattr(other, "_asked", _NOTHING)
        handed = getattr(other, "_handed", _NOTHING)
        # the same control again, not another of its kind put in its place
        same = type(other) is type(self) and getattr(other, "label", None) == self.label
        if before is not _NOTHING and same and asked in (before, handed):
            self.value = other.value
        object.__setattr__(self, "_asked", asked)
        object.__setattr__(self, "_handed", handed)


class TypedField(KeepsTyped, ft.TextField):
    """Every text input of both apps (made by :func:`text_field`)."""


class TypedCheckbox(KeepsTyped, ft.Checkbox):
    """A checkbox; give it ``on_change=handing(..)``."""


class TypedSwitch(KeepsTyped, ft.Switch):
    """A switch; give it ``on_change=handing(..)``."""


class TypedDropdown(KeepsTyped, ft.Dropdown):
    """A dropdown; give it ``on_select=handing(..)``."""


def handing(on_change: Handler) -> Handler:
    """The handler of a :class:`KeepsTyped` control, noting first on the live control the value it hands
    over; handlers read ``e.control.value`` (the newest the browser sent)."""
    if on_change is None:
        return None
    handler = on_change

    def note(e: Any) -> None:
        object.__setattr__(e.control, "_handed", e.control.value)

    if inspect.iscoroutinefunction(handler):

        async def handed_async(e: Any) -> Any:
            note(e)
            return await handler(e)

        return handed_async

    def handed(e: Any) -> Any:
        note(e)
        return handler(e)

    return handed


def text_field(
    label: str,
    value: str,
    on_change: Handler = None,
    *,
    password: bool = False,
    multiline: bool = False,
    hint: str | None = None,
    on_blur: Handler = None,
    on_submit: Handler = None,
    number: bool = False,
    width: float | None = None,
    expand: bool | int | None = None,
    error: str | None = None,
) -> ft.TextField:
    """Every text input of both apps; ``on_change`` should read ``e.control.value`` (the newest typed)."""
    return TypedField(
        label=label,
        value=value,
        on_change=handing(on_change),
        on_blur=on_blur,
        on_submit=on_submit,
        password=password,
        can_reveal_password=password,
        multiline=multiline,
        min_lines=2 if multiline else None,
        max_lines=5 if multiline else 1,
        hint_text=hint,
        keyboard_type=ft.KeyboardType.NUMBER if number else ft.KeyboardType.TEXT,
        text_size=18,
        label_style=ft.TextStyle(size=16, color=MUTED, font_family=FONT),
        hint_style=ft.TextStyle(size=16, color=MUTED, font_family=FONT),
        text_style=ft.TextStyle(size=18, color=INK, font_family=FONT),
        color=INK,
        border_color=LINE,
        focused_border_color=BLUE,
        bgcolor=SURFACE,
        width=width,
        expand=expand,
        error=error,
        content_padding=ft.Padding.symmetric(horizontal=14, vertical=16),
    )


def pinned_screen(header: ft.Control, body: list[ft.Control], *, spacing: int = 14) -> ft.Control:
    """A screen whose ``header`` (its "back" button, what it is about) stays on top while ``body``
    scrolls under it: an engineer who typed at the foot of a long job leaves it without scrolling back
    up first, and still sees which job it is."""
    return ft.Container(
        padding=16,
        expand=True,
        content=ft.Column(
            [
                header,
                ft.Column(
                    body,
                    spacing=spacing,
                    scroll=ft.ScrollMode.AUTO,
                    expand=True,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,  # sections use the page's width
                ),
            ],
            spacing=spacing,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        ),
    )


def section(title: str, controls: list[ft.Control], *, key: str | None = None) -> ft.Control:
    return ft.Container(
        key=key,
        bgcolor=SURFACE,
        border_radius=12,
        border=ft.Border.all(1, LINE),
        padding=16,
        content=ft.Column(
            [ft.Text(title, size=20, weight=ft.FontWeight.BOLD, color=INK), *controls],
            spacing=10,
            tight=True,
        ),
    )


def label_value(label: str, value: str, *, color: str = INK, bold: bool = False) -> ft.Control:
    return ft.Row(
        [
            ft.Text(label, size=16, color=MUTED, width=130),
            ft.Text(
                value or "—", size=17, color=color, weight=ft.FontWeight.W_600 if bold else None, expand=True
            ),
        ],
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def badge(text: str, *, bg: str = AMBER_BG, fg: str = INK, border: str | None = None) -> ft.Control:
    return ft.Container(
        content=ft.Text(text, size=15, weight=ft.FontWeight.W_600, color=fg),
        bgcolor=bg,
        border_radius=8,
        border=ft.Border.all(1, border) if border else None,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
    )


def tagged(identifier: str, control: ft.Control) -> ft.Control:
    """A stable handle for tests and accessibility tools: ``[flt-semantics-identifier=...]``."""
    return ft.Semantics(identifier=identifier, content=control)


def bind(fn: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    """An event handler that ignores the event and calls ``fn(*args)`` (a loop-safe closure)."""
    return lambda _e: fn(*args)


def keyed(component: Callable[..., Any]) -> Callable[..., Any]:
    """A component called with a ``key=`` (which the component decorator takes, not the function)."""
    return component


GREEN_BG = "#dff3e4"
GREEN = "#0b6b1d"


def title_bar(
    title: str, actions: list[ft.Control], *, size: int = 22, middle: ft.Control | None = None
) -> ft.Control:
    """The blue bar across the top of both apps: a title and the actions on the right (and, on a wide
    screen, ``middle`` between them: the field app's sync status, so one bar does for two)."""
    heading = ft.Text(title, size=size, weight=ft.FontWeight.BOLD, color="#ffffff", expand=middle is None)
    return ft.Container(
        bgcolor=BLUE,
        padding=ft.Padding.symmetric(horizontal=16, vertical=6),
        content=ft.Row(
            [
                heading,
                *([ft.Container(content=middle, expand=True, border_radius=8)] if middle is not None else []),
                ft.Row(actions, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            spacing=12,
        ),
    )


def notice_banner(
    text: str, *, error: bool, close: ft.Control, size: int = 18, vertical_padding: int = 6
) -> ft.Control:
    """A one-line message under the bar, red for a problem and green otherwise, with its close button."""
    return tagged(
        "notice",
        ft.Container(
            bgcolor=RED_BG if error else GREEN_BG,
            border=ft.Border.all(2, RED if error else GREEN),
            padding=ft.Padding.symmetric(horizontal=14, vertical=vertical_padding),
            content=ft.Row(
                [ft.Text(text, size=size, color=RED if error else INK, expand=True), close],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ),
    )
