"""Which screens each office role sees. The server enforces the same rules on every call; hiding a
screen only spares the user a refusal."""

from __future__ import annotations

from enum import StrEnum

from shared.enums import Role


class Screen(StrEnum):
    BOARD = "board"
    CALL = "call"
    CONFLICTS = "conflicts"
    QA = "qa"
    REPORTS = "reports"
    INSPECTIONS = "inspections"
    CUSTOMERS = "customers"
    STOCK = "stock"


ROUTES: dict[Screen, str] = {
    Screen.BOARD: "/",
    Screen.CALL: "/call",
    Screen.CONFLICTS: "/conflicts",
    Screen.QA: "/qa",
    Screen.REPORTS: "/reports",
    Screen.INSPECTIONS: "/inspections",
    Screen.CUSTOMERS: "/customers",
    Screen.STOCK: "/stock",
}

_SCREENS: dict[Role, tuple[Screen, ...]] = {
    Role.DISPATCHER: (
        Screen.BOARD,
        Screen.CALL,
        Screen.CONFLICTS,
        Screen.REPORTS,
        Screen.INSPECTIONS,
        Screen.CUSTOMERS,
    ),
    Role.MANAGER: (
        Screen.BOARD,
        Screen.CALL,
        Screen.CONFLICTS,
        Screen.QA,
        Screen.REPORTS,
        Screen.INSPECTIONS,
        Screen.CUSTOMERS,
        Screen.STOCK,
    ),
    Role.QA: (Screen.BOARD, Screen.CONFLICTS, Screen.QA, Screen.REPORTS, Screen.CUSTOMERS),
    Role.WAREHOUSE: (Screen.BOARD, Screen.STOCK),
    Role.ADMIN: tuple(Screen),
    Role.ENGINEER: (),
}
#: who may record calls, assign, hold, resume and cancel (the server's requires_dispatch)
DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN})
#: who may approve or return a service form (the server's requires_qa)
QA_ROLES = frozenset({Role.QA, Role.MANAGER, Role.ADMIN})
#: who may move and count stock (the server's stock write roles)
STOCK_ROLES = frozenset({Role.WAREHOUSE, Role.MANAGER, Role.ADMIN})


def _role(role: Role | str) -> Role | None:
    """The role, or None for nobody (signed out) or a name this console does not know."""
    try:
        return Role(role)
    except ValueError:
        return None


def screens_for(role: Role | str) -> tuple[Screen, ...]:
    known = _role(role)
    return _SCREENS.get(known, ()) if known else ()


def can_dispatch(role: Role | str) -> bool:
    return _role(role) in DISPATCH_ROLES


def can_review(role: Role | str) -> bool:
    return _role(role) in QA_ROLES


def screen_of(location: str) -> Screen:
    """The tab a location belongs to (a job opened from the board belongs to the board)."""
    first = location.strip("/").split("/", 1)[0]
    for screen in Screen:
        if first == screen.value:
            return screen
    return Screen.BOARD
