"""What every screen can reach: the page's observable state and the device behind it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from mobile.app.state import AppState, FieldApp, PageBinding
from mobile.services.jobs import ActionError


@dataclass(eq=False)
class Device:
    """The device and this page's binding to it; screens call actions through :meth:`act`."""

    app: FieldApp
    binding: PageBinding

    @property
    def state(self) -> AppState:
        return self.binding.state

    def act(self, action: Callable[[], Any], *, done: str | None = None) -> bool:
        """Run one engineer action; a refusal becomes a message in words. True when it went through."""
        state = self.state
        try:
            action()
        except ActionError as exc:
            state.say_error(exc)
            return False
        self.saved(done)
        return True

    def saved(self, key: str | None = None, **params: Any) -> None:
        """After an action wrote to the device: show it (and the notice ``key``) once it is kept."""
        keep = self.app.keep
        if keep is None:  # the replica file is on disk already
            self._shown(key, params)
        else:  # the browser: show the tap as saved once it is in IndexedDB
            ft.context.page.run_task(self._kept, keep, key, params)

    def _shown(self, key: str | None, params: dict[str, Any]) -> None:
        self.binding.changed_locally()
        if key:
            self.state.say(key, **params)

    async def _kept(
        self, keep: Callable[[], Awaitable[None]], key: str | None, params: dict[str, Any]
    ) -> None:
        try:
            await keep()
        except Exception as exc:  # the browser refused the write (quota, storage gone)
            self.state.say("app.pwa.not_kept", error=True, reason=str(exc)[:200])
            return
        self._shown(key, params)

    def go(self, route: str) -> None:
        """Another screen: a message about this one does not follow (a new job's notice does)."""
        self.state.clear_notice()
        ft.context.page.navigate(route)


STATE = ft.create_context(AppState())
DEVICE: Any = ft.create_context(None)


def use_device() -> Device:
    device: Device | None = ft.use_context(DEVICE)
    assert device is not None, "screens are rendered inside App"
    return device
