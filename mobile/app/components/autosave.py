"""A text field that keeps what is typed: saved a moment after typing stops, when the field is left,
and when its screen goes away (a tab switch, the back button), with a line saying whether it is saved.

Issue 11: a checklist note typed and then left for another tab was lost, because it was only written
when a result button was pressed afterwards. Every field of the field app that holds job data is one of
these; ``save`` writes the text to the replica (and so to the outbox) and says whether it went through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import flet as ft

from mobile.app.state import AppState
from ui.components.common import GREEN, MUTED, RED, tagged, text_field

#: seconds after the last key before the text is written (a pause, not every key: each write is a
#: mutation in the outbox)
DEBOUNCE_S = 0.8


T = TypeVar("T")


def use_box(make: Callable[[], T]) -> T:
    """One mutable object per mounted component, made on first render (``ft.use_ref`` typed)."""
    ref: Any = ft.use_ref(make)
    return cast(T, ref.current)


@dataclass
class _Typed:
    text: str
    written: str  # what ``save`` last wrote (or what the device held when the field opened)
    seen: str  # the ``saved`` value of the last render
    generation: int = 0
    mounted: bool = True


@ft.component
def AutosaveField(
    state: AppState,
    ident: str,
    label: str,
    saved: str,
    save: Callable[[str], bool],
    *,
    multiline: bool = False,
    number: bool = False,
    width: float | None = None,
    debounce: bool = True,
    error: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> ft.Control:
    """``saved`` is what the device holds now; ``save(text)`` writes ``text`` and returns True when it
    did. ``debounce=False`` writes only on leaving the field (a reading half typed is not a reading).
    ``on_text`` hears every change (for a button beside the field that saves what is typed)."""
    t = state.t
    text, set_text = ft.use_state(saved)
    _written, set_written = ft.use_state(saved)
    failed, set_failed = ft.use_state(False)
    typed = use_box(lambda: _Typed(saved, saved, saved))
    if saved != typed.seen:  # written some other way (a button that saves the same text)
        typed.seen = saved
        if saved == typed.text:
            typed.written = saved

    def flush() -> None:
        if typed.text == typed.written:
            return
        ok = save(typed.text)
        if ok:
            typed.written = typed.text
        if typed.mounted:  # a screen that went away has no line to update
            set_written(typed.written)
            set_failed(not ok)

    async def later(generation: int) -> None:
        await asyncio.sleep(DEBOUNCE_S)
        if typed.generation == generation and typed.mounted:
            flush()

    def changed(e: Any) -> None:
        typed.text = str(e.control.value or "")
        typed.generation += 1
        set_text(typed.text)
        if on_text is not None:
            on_text(typed.text)
        if debounce:
            ft.context.page.run_task(later, typed.generation)

    def gone() -> None:
        typed.mounted = False
        flush()

    ft.on_unmounted(gone)

    if failed:
        status, color = t("app.autosave.not_saved"), RED
    elif text == typed.written:
        status, color = t("app.autosave.saved") if text else "", GREEN
    else:
        status, color = t("app.autosave.editing"), MUTED
    return tagged(
        ident,
        ft.Column(
            [
                text_field(
                    label,
                    text,
                    changed,
                    on_blur=lambda _e: flush(),
                    multiline=multiline,
                    number=number,
                    width=width,
                    error=error,
                ),
                tagged(f"{ident}-state", ft.Text(status, size=14, color=color)),
            ],
            spacing=2,
            tight=True,
            width=width,
        ),
    )
