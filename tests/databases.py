"""Each PostgreSQL test's own database, made from the migrated template ahead of time and dropped after it.

``CREATE DATABASE ... TEMPLATE`` and ``DROP DATABASE`` cost 40-270 ms each on an idle 2-core machine and
seconds on a loaded one, and a test waited for both. Here one background thread per test process keeps
``READY`` databases made from the template and drops the ones tests are done with, so a test waits only
when the thread has fallen behind. What a test gets is the same as before: a fresh database nobody else
has touched, a copy of the template; every database made is dropped by the end of the session.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import uuid
from collections.abc import Awaitable, Callable

#: databases kept made ahead of the tests that will ask for them
READY = 2


class TemplateCopies:
    """Copies of one template database, made ahead and dropped behind, on a thread of their own."""

    def __init__(self, template: str, admin: Callable[[list[str]], Awaitable[None]]) -> None:
        self.template = template
        self._admin = admin
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._work: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._undropped: list[str] = []  # drops that failed; tried again at close
        self._thread = threading.Thread(target=self._run, name="pg-template-copies", daemon=True)
        self._thread.start()
        for _ in range(READY):
            self._work.put(("make", ""))

    def take(self) -> str:
        """A fresh copy of the template (made now if none is ready); hand it back with ``done``."""
        self._work.put(("make", ""))  # one more for the next test
        got = self._ready.get()
        if isinstance(got, BaseException):
            raise got
        return got

    def done(self, names: list[str]) -> None:
        for name in names:
            self._work.put(("drop", name))

    def close(self) -> None:
        """Drop what is left (ready copies included) and end the thread; the template can go after it."""
        self._work.put(None)
        self._thread.join()
        leftovers = list(self._undropped)
        while not self._ready.empty():
            got = self._ready.get()
            if isinstance(got, str):
                leftovers.append(got)
        if leftovers:
            asyncio.run(self._admin([_drop(name) for name in leftovers]))

    def _run(self) -> None:
        while (job := self._work.get()) is not None:
            kind, name = job
            try:
                if kind == "make":
                    made = f"levee_t_{uuid.uuid4().hex[:12]}"
                    asyncio.run(self._admin([f'CREATE DATABASE "{made}" TEMPLATE "{self.template}"']))
                    self._ready.put(made)
                else:
                    asyncio.run(self._admin([_drop(name)]))
            except (
                Exception
            ) as exc:  # a make that failed is the next taker's error; a drop's is retried at close
                if kind == "make":
                    self._ready.put(exc)
                else:
                    self._undropped.append(name)


def _drop(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
