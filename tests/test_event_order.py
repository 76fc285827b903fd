"""A press handled right after a key or a choice sees them, on every screen (ui/web/events.py).

The real Flet session runs in-process (``tests/test_typed_field.py``'s recorder in place of the
websocket). Events are handled one after the other with nothing queued run between them, as a busy
server handles events that arrive together: the component that changed is drawn again before the
press is looked up, so the press's handler is the one drawn after the change. Without it (Flet's own
dispatch, kept as ``__wrapped__``) the same press sees the form as it was before the change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import flet as ft
import pytest
from flet.controls.context import _context_page
from flet.messaging.protocol import MessageAction
from flet.messaging.session import Session

from tests.console.test_conflict_card_press import _ids
from tests.test_typed_field import Recorder
from ui.components.common import TypedDropdown, handing, text_field
from ui.web import events

pytestmark = pytest.mark.filterwarnings("ignore:.*border_color property is deprecated:DeprecationWarning")


class Form:
    """A note and a choice, made as both apps make them (ui.components.common), and a button that sends
    what its render saw (the common shape of a handler)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def component(self) -> Any:
        form = self

        @ft.component
        def View() -> ft.Control:
            note, set_note = ft.use_state("")
            choice, set_choice = ft.use_state("")
            return ft.Column(
                [
                    text_field("备注", note, lambda e: set_note(e.control.value)),
                    TypedDropdown(
                        label="更正值",
                        value=choice,
                        options=[ft.DropdownOption(key="a"), ft.DropdownOption(key="b")],
                        on_select=handing(lambda e: set_choice(e.control.value)),
                    ),
                    ft.Button("send", on_click=lambda _e: form.sent.append((note, choice))),
                ]
            )

        return View


@contextlib.contextmanager
def _session() -> Iterator[Session]:
    wire = Recorder()
    wire.loop = asyncio.get_running_loop()
    made = Session(wire)
    _context_page.set(made.page)
    try:
        yield made
    finally:
        made.close()  # type: ignore[no-untyped-call]


async def _settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def _type_choose_press(session: Session, dispatch: Any) -> Form:
    form = Form()
    session.page.render(form.component())
    session.get_page_patch()  # type: ignore[no-untyped-call]
    await _settle()
    [note] = _ids(session, ft.TextField)  # a TypedField
    [choice] = _ids(session, ft.Dropdown)
    [press] = _ids(session, ft.Button)
    session.apply_patch(note, {"value": "泵体漏水"})
    await dispatch(session, note, "change", "泵体漏水")
    session.apply_patch(choice, {"value": "b"})
    await dispatch(session, choice, "select", "b")
    await dispatch(session, press, "click", None)
    await _settle()
    return form


async def test_a_press_right_after_a_key_and_a_choice_sends_them() -> None:
    events.install()
    with _session() as session:
        form = await _type_choose_press(session, Session.dispatch_event)
    assert form.sent == [("泵体漏水", "b")]


async def test_without_it_the_same_press_sends_the_form_as_it_was() -> None:
    """What the rule is for (and that the test above can fail): Flet's own dispatch runs the handler
    drawn before the key and the choice."""
    events.install()
    flets_own = Session.dispatch_event.__wrapped__  # type: ignore[attr-defined]
    with _session() as session:
        form = await _type_choose_press(session, flets_own)
    assert form.sent == [("", "")]


async def test_both_apps_install_it_when_a_page_opens() -> None:
    """``main`` of the field app and of the console install it (the installed app's ``main`` is the
    field app's); installing twice wraps once."""
    import console.main
    import mobile.app.main

    for module in (console.main, mobile.app.main):
        assert module.draw_before_events is events.install
    events.install()
    events.install()
    wrapped = Session.dispatch_event
    assert getattr(wrapped, events._MARK)
    assert not getattr(wrapped.__wrapped__, events._MARK, False)  # type: ignore[attr-defined]


async def test_a_control_that_asks_to_be_drawn_at_every_drawing_does_not_hold_an_event_up() -> None:
    """A screen's bug (each drawing asking for another) is left to Flet's scheduler, as before: the
    event is handled after a few rounds, not never."""

    class Restless:
        def __init__(self, pending: set[Any]) -> None:
            self.pending, self.drawn = pending, 0

        def update(self) -> None:
            self.drawn += 1
            self.pending.add(self)

    with _session() as session:
        pending = getattr(session, events.PENDING)
        restless = Restless(pending)
        pending.add(restless)
        assert events.draw_pending(session) == events.ROUNDS == restless.drawn
        pending.clear()


async def test_a_drawing_that_fails_is_reported_and_the_press_is_still_handled() -> None:
    """Dispatch runs in a task of its own: a drawing raising there would drop the event with nothing
    said until the task is collected. It is reported as a failing handler is, and the press goes on."""

    class Broken:
        def update(self) -> None:
            raise RuntimeError("a screen's render failed")

    events.install()
    with _session() as session:
        form = Form()
        session.page.render(form.component())
        session.get_page_patch()  # type: ignore[no-untyped-call]
        await _settle()
        [press] = _ids(session, ft.Button)
        getattr(session, events.PENDING).add(Broken())
        await Session.dispatch_event(session, press, "click", None)
        await _settle()
        crashes = _crashes(session)
    assert form.sent == [("", "")]
    assert len(crashes) == 1 and "a screen's render failed" in crashes[0].body.message


def _crashes(session: Session) -> list[Any]:
    return [m for m in session.connection.sent if m.action == MessageAction.SESSION_CRASHED]


def _texts(session: Session) -> list[str]:
    index = session._Session__index  # type: ignore[attr-defined]
    return [str(c.value) for c in list(index.values()) if isinstance(c, ft.Text) and c.value]


async def _press_a_failing_button(session: Session) -> ft.Button:
    """Make the page's first button raise, as a bug in a handler would, and press it."""
    index = session._Session__index  # type: ignore[attr-defined]
    button = next(c for c in list(index.values()) if isinstance(c, ft.Button))

    def broken(_e: object) -> None:
        raise RuntimeError("a handler's bug")

    button._values["on_click"] = broken  # type: ignore[attr-defined]  # drawn controls are frozen
    await Session.dispatch_event(session, int(button._i), "click", None)  # type: ignore[attr-defined]
    await _settle()
    return button


async def test_a_failing_handler_is_the_pages_notice_and_the_page_goes_on() -> None:
    """Flet would replace the page with "Error running app" (SESSION_CRASHED): one bug in one button and
    the engineer's app gone until a reload. With a notice named, the notice shows and presses go on."""
    events.install()
    shown: list[str] = []
    with _session() as session:
        form = Form()
        session.page.render(form.component())
        session.get_page_patch()  # type: ignore[no-untyped-call]
        await _settle()
        events.report_failures(session.page, lambda: shown.append("出错了"))
        [press] = _ids(session, ft.Button)
        broken = await _press_a_failing_button(session)
        assert shown == ["出错了"] and _crashes(session) == []
        broken._values["on_click"] = lambda _e: form.sent.append(("again", ""))  # type: ignore[attr-defined]
        await Session.dispatch_event(session, press, "click", None)
        await _settle()
    assert form.sent == [("again", "")]


async def test_without_a_notice_or_when_it_fails_flets_crash_page_stays() -> None:
    """A page that named no notice, or whose notice itself raises, still tells the failure (Flet's
    page): a failure is never swallowed."""
    events.install()
    for report in (None, lambda: 1 / 0):
        with _session() as session:
            session.page.render(Form().component())
            session.get_page_patch()  # type: ignore[no-untyped-call]
            await _settle()
            if report is not None:
                events.report_failures(session.page, report)
            await _press_a_failing_button(session)
            [crash] = _crashes(session)
        assert "a handler's bug" in crash.body.message


@pytest.mark.parametrize("app", ["field app", "console"])
async def test_both_apps_show_a_failure_as_their_notice_in_chinese(
    app: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The apps' own ``main`` names the notice: a failing press on the sign-in screen shows 出错了… in
    the page, and Flet's crash page never comes."""
    from shared.i18n import translate

    if app == "field app":
        import mobile.app.main as module

        monkeypatch.setitem(module.CONFIG, "data_dir", str(tmp_path))
        monkeypatch.setattr(module, "_APP", {})
        key = "app.failed"
    else:
        import console.main as module  # type: ignore[no-redef]

        key = "console.failed"
    with _session() as session:
        await module.main(session.page)
        session.get_page_patch()  # type: ignore[no-untyped-call]
        await _settle()
        assert translate("zh-CN", key) not in _texts(session)
        await _press_a_failing_button(session)
        await asyncio.sleep(0.05)  # the notice's component is drawn by Flet's scheduler
        await _settle()
        assert _crashes(session) == []
        assert translate("zh-CN", key) in _texts(session)
        if app == "field app":
            await module._stop_the_device()
