"""A press handled before the conflict card is drawn again reads what was chosen and typed just before it.

The real Flet session runs in-process (``tests/test_typed_field.py``'s recorder in place of the websocket).
The choice's ``select`` event and the press's ``click`` are handled one after the other with nothing
queued run between them, as a busy server handles two events that arrive together: the press must send
the value just chosen and the note just typed, not what the card's last render saw (a fresh-clone run
showed "choose a value first" after a choice).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import flet as ft
import pytest
from flet.controls.context import _context_page
from flet.messaging.session import Session

from console.screens.conflicts import ConflictCard
from console.state import ConsoleState, Office
from tests.test_typed_field import Recorder

pytestmark = pytest.mark.filterwarnings("ignore:.*border_color property is deprecated:DeprecationWarning")


class Api:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def resolve_conflict(self, conflict_id: str, **kwargs: Any) -> dict[str, Any]:
        self.sent.append({"id": conflict_id, **kwargs})
        return {}


def _ids(session: Session, kind: type) -> list[int]:
    index = session._Session__index  # type: ignore[attr-defined]
    return [int(c._i) for c in list(index.values()) if isinstance(c, kind)]  # type: ignore[attr-defined]


def _tagged(session: Session, identifier: str) -> int:
    """The control inside the ``Semantics`` tagged ``identifier`` (ui.components.common.tagged)."""
    index = session._Session__index  # type: ignore[attr-defined]
    tag = next(c for c in list(index.values()) if getattr(c, "identifier", None) == identifier)
    return int(tag.content._i)


async def test_a_press_right_after_a_choice_and_a_note_sends_them() -> None:
    state = ConsoleState()
    office = Office(state, "http://levee.test")
    api = Api()

    async def act(call: Any, done: str = "", **_kw: Any) -> bool:
        call(api)
        return True

    office.act = act  # type: ignore[method-assign]
    told: list[str] = []
    state.tell = lambda text, **_kw: told.append(text)  # type: ignore[method-assign]
    conflict = {
        "id": str(uuid.uuid4()),
        "entity": "job",
        "field": "backup_lent",
        "status": "open",
        "resolution": "device_wins",
        "device_value": False,
        "server_value": True,
        "job_number": "WO-202612-00409",
    }
    wire = Recorder()
    wire.loop = asyncio.get_running_loop()
    session = Session(wire)
    _context_page.set(session.page)

    @ft.component
    def View() -> ft.Control:
        return ConflictCard(state, office, conflict)

    session.page.render(View)
    session.get_page_patch()  # type: ignore[no-untyped-call]
    for _ in range(50):
        await asyncio.sleep(0)
    try:
        [note] = _ids(session, ft.TextField)
        [choice] = _ids(session, ft.Dropdown)
        # Flet's own dispatch, without the apps' drawing before each event (ui/web/events.py): the card
        # itself reads what was chosen and typed at the press, whatever handled the events
        dispatch = getattr(Session.dispatch_event, "__wrapped__", Session.dispatch_event)
        session.apply_patch(note, {"value": "核实后更正"})
        await dispatch(session, note, "change", "核实后更正")
        session.apply_patch(choice, {"value": "false"})
        await dispatch(session, choice, "select", "false")
        press = _tagged(session, "override-custom-WO-202612-00409")
        await dispatch(session, press, "click", None)
        for _ in range(50):
            await asyncio.sleep(0)
        assert told == [], told
        assert [(s["value"], s["note"], s["override"]) for s in api.sent] == [(False, "核实后更正", True)]
    finally:
        session.close()  # type: ignore[no-untyped-call]
