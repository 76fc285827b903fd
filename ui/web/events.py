"""Every browser event is handled by the screen as the events before it left it.

A component's handlers are closures made when it was drawn: a button's ``on_click`` sees the form's
values as of the component's last render. Flet draws a component again only when its scheduler task
next runs, so when two events arrive together (a key typed, then the press of "save"; a value chosen,
then "confirm") the second can be handled by the handler drawn before the first, which sees the form
without it: the last keys of a note sent without them, or "choose a value first" after a choice (a
fresh-clone run of the console's conflict queue showed it).

:func:`install` makes the session draw every component whose state changed before it looks up the
control an event is for, so the handler that runs is the one drawn after the earlier events. It is one
rule for every screen of both web apps (``levee app``, ``levee console``, and the installed app,
``mobile/pwa/device.py``), not a care each handler must take. A control that the new drawing took away
gets no event, as in a browser that had drawn it.

A drawing that fails (a screen's render raising) is reported as Flet reports a failing handler, and
the event is still handled: the press is not lost with it.

**A failure is a notice, not the end of the page.** Flet answers a handler that raises (or a drawing,
or an effect) by logging it and replacing the whole page with "Error running app" and the exception's
text, in English: one bug in one button and the engineer's app is gone until a reload. A page whose app
named its notice (:func:`report_failures`) shows that instead, in the page's language, and goes on; the
traceback is in the log, where Flet put it. A page without one keeps Flet's behaviour.
"""

from __future__ import annotations

import functools
import logging
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import flet as ft
from flet.controls.context import _context_page
from flet.messaging.session import Session

#: Flet keeps the components waiting to be drawn again in a name-mangled attribute of the session.
PENDING = "_Session__pending_updates"
_MARK = "_levee_draws_before_events"
ROUNDS = 5
logger = logging.getLogger(__name__)
#: Each page's notice for a failure (:func:`report_failures`), for as long as its session lives.
_REPORTERS: weakref.WeakKeyDictionary[Session, Callable[[], None]] = weakref.WeakKeyDictionary()


def report_failures(page: ft.Page, report: Callable[[], None]) -> None:
    """On this page a failing handler, drawing or effect calls ``report`` (which shows the app's own
    notice) instead of Flet's "Error running app", and the page goes on. Takes effect with
    :func:`install`."""
    _REPORTERS[page.session] = report


def _reported(session: Session) -> bool:
    """Whether the page's own notice showed the failure (False: it has none, or it failed too)."""
    report = _REPORTERS.get(session)
    if report is None:
        return False
    try:
        report()
    except Exception:
        logger.error("showing a failure's notice failed", exc_info=True)
        return False
    return True


def draw_pending(session: Session) -> int:
    """Draw now every component of ``session`` waiting to be drawn again; returns how many were drawn.

    Drawing one can make others wait (a parent's new props); they are drawn too, in the same call, up
    to :data:`ROUNDS` times: a component that asks to be drawn again at every drawing is left to Flet's
    scheduler, as before, rather than holding the event up for ever."""
    pending: set[Any] | None = getattr(session, PENDING, None)
    drawn = 0
    for _ in range(ROUNDS):
        if not pending:
            break
        controls = list(pending)
        pending.clear()
        for control in controls:
            try:
                control.update()
            except Exception as exc:
                logger.error("drawing %s before an event failed", control, exc_info=True)
                session.error(f"{exc}\n{traceback.format_exc()}")
            drawn += 1
    return drawn


def install() -> None:
    """From now on, in this process, each session draws what is pending before it handles an event, and
    a page with a notice for failures (:func:`report_failures`) shows it instead of Flet's crash page."""
    if getattr(Session.dispatch_event, _MARK, False):
        return
    original = Session.dispatch_event
    crash = Session.error

    @functools.wraps(crash)
    def error(self: Session, message: str) -> None:
        if _reported(self):  # Flet logs a failing handler itself, an effect's failure only here
            logger.error("shown as the page's notice: %s", message)
        else:
            crash(self, message)

    @functools.wraps(original)
    async def dispatch_event(self: Session, control_id: int, event_name: str, event_data: Any) -> None:
        _context_page.set(self.page)  # drawing reads the page from the context, as the handler does
        draw_pending(self)
        await original(self, control_id, event_name, event_data)

    setattr(dispatch_event, _MARK, True)
    Session.dispatch_event = dispatch_event  # type: ignore[method-assign]
    Session.error = error  # type: ignore[method-assign]
