"""What every console screen can reach: the page's observable state and the signed-in office user."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.state import ConsoleState, Office

STATE = ft.create_context(ConsoleState())
OFFICE: Any = ft.create_context(None)


def use_office() -> Office:
    office: Office | None = ft.use_context(OFFICE)
    assert office is not None, "screens are rendered inside App"
    return office
