"""Which screens each office role sees, read from the server's own table (shared/roles.py). The server
enforces the same rules on every call; hiding a screen only spares the user a refusal."""

from __future__ import annotations

from enum import StrEnum

from shared.enums import Role
from shared.roles import ROLES, Capability


class Screen(StrEnum):
    BOARD = "board"
    CALL = "call"
    REGISTER = "register"
    CONFLICTS = "conflicts"
    QA = "qa"
    REPORTS = "reports"
    INSPECTIONS = "inspections"
    CUSTOMERS = "customers"
    STOCK = "stock"
    LOANS = "loans"
    PAID = "paid"
    RETURNS = "returns"
    QUALITY = "quality"
    NOTIFICATIONS = "notifications"
    ESCALATION = "escalation"
    STATIONS = "stations"
    PEOPLE = "people"
    KNOWLEDGE = "knowledge"


ROUTES: dict[Screen, str] = {
    Screen.BOARD: "/",
    Screen.CALL: "/call",
    Screen.REGISTER: "/register",
    Screen.CONFLICTS: "/conflicts",
    Screen.QA: "/qa",
    Screen.REPORTS: "/reports",
    Screen.INSPECTIONS: "/inspections",
    Screen.CUSTOMERS: "/customers",
    Screen.STOCK: "/stock",
    Screen.LOANS: "/loans",
    Screen.PAID: "/paid",
    Screen.RETURNS: "/returns",
    Screen.QUALITY: "/quality",
    Screen.NOTIFICATIONS: "/notifications",
    Screen.ESCALATION: "/escalation",
    Screen.STATIONS: "/stations",
    Screen.PEOPLE: "/people",
    Screen.KNOWLEDGE: "/knowledge",
}

#: screen -> what its user must be able to do (the board shows the whole office's work)
NEEDS: dict[Screen, Capability] = {
    Screen.BOARD: Capability.WORK_IN_THE_OFFICE,
    Screen.CALL: Capability.DISPATCH,
    Screen.REGISTER: Capability.CARE_FOR_CUSTOMERS,
    Screen.CONFLICTS: Capability.REVIEW_CONFLICTS,
    Screen.QA: Capability.APPROVE_QUALITY,
    Screen.REPORTS: Capability.READ_REPORTS,
    Screen.INSPECTIONS: Capability.DISPATCH,
    Screen.CUSTOMERS: Capability.CARE_FOR_CUSTOMERS,
    Screen.STOCK: Capability.MOVE_STOCK,
    Screen.LOANS: Capability.LEND_BACKUP,
    Screen.PAID: Capability.CHARGE_REPAIRS,
    Screen.RETURNS: Capability.CARE_FOR_CUSTOMERS,
    Screen.QUALITY: Capability.READ_QUALITY_INCIDENTS,
    Screen.NOTIFICATIONS: Capability.WORK_IN_THE_OFFICE,
    Screen.ESCALATION: Capability.MANAGE_ESCALATION,
    Screen.STATIONS: Capability.MANAGE_STATIONS,
    Screen.PEOPLE: Capability.READ_REPORTS,
    Screen.KNOWLEDGE: Capability.WORK_IN_THE_OFFICE,
}
_SCREENS: dict[Role, tuple[Screen, ...]] = {
    role: tuple(s for s in Screen if role in ROLES[NEEDS[s]]) for role in Role
}
#: who may record calls, assign, hold, resume and cancel (the server's requires_dispatch)
DISPATCH_ROLES = ROLES[Capability.DISPATCH]
#: who may approve or return a service form (the server's requires_qa)
QA_ROLES = ROLES[Capability.APPROVE_QUALITY]
#: who may move and count stock (the server's stock write roles)
STOCK_ROLES = ROLES[Capability.MOVE_STOCK]


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
