"""The one table of who may do what (shared/roles.py), as the server's guards and the console read it."""

from __future__ import annotations

from console.roles import Screen, screens_for
from server import deps
from shared.enums import Role
from shared.roles import ROLES, Capability, can, roles_for

D, M, Q, W, A, E = Role.DISPATCHER, Role.MANAGER, Role.QA, Role.WAREHOUSE, Role.ADMIN, Role.ENGINEER


def test_each_capability_is_held_by_the_roles_the_service_plan_gives_it() -> None:
    assert {
        Capability.SIGN_IN: {D, M, Q, W, A, E},
        Capability.WORK_IN_THE_FIELD: {E},
        Capability.WORK_IN_THE_OFFICE: {D, M, Q, W, A},
        Capability.DISPATCH: {D, M, A},
        Capability.MANAGE_CUSTOMERS: {D, M, A},
        Capability.APPROVE_QUALITY: {Q, M, A},
        Capability.READ_CONFLICTS: {D, M, Q, W, A},
        Capability.REVIEW_CONFLICTS: {D, M, Q, A},
        Capability.CARE_FOR_CUSTOMERS: {D, M, Q, A},
        Capability.READ_REPORTS: {D, M, Q, A},
        Capability.MANAGE_CATALOG: {M, A},
        Capability.MANAGE_CONTRACTS: {M, A},
        Capability.DECIDE_AS_MANAGER: {M},
        Capability.READ_STOCK: {D, M, Q, W, A},
        Capability.MOVE_STOCK: {W, M, A},
        Capability.ADMINISTER_STORES: {W, A},
        Capability.ADMINISTER_USERS: {A},
        Capability.LEND_BACKUP: {D, M, W, A},
        Capability.CHARGE_REPAIRS: {D, M, A},
        Capability.MANAGE_ESCALATION: {M, A},
        Capability.READ_QUALITY_INCIDENTS: {D, M, Q, A},
        Capability.MANAGE_QUALITY_INCIDENTS: {Q, M, A},
        Capability.MANAGE_STATIONS: {M, A},
        Capability.MANAGE_STAFF: {M, A},
        Capability.CURATE_KNOWLEDGE: {Q, M, A},
    } == ROLES


def test_can_answers_for_names_nobody_and_strangers() -> None:
    assert can("qa", Capability.APPROVE_QUALITY) and can(Role.ADMIN, Capability.ADMINISTER_USERS)
    assert not can("warehouse", Capability.DISPATCH)
    assert not can("", Capability.SIGN_IN) and not can(None, Capability.SIGN_IN)
    assert not can("auditor", Capability.SIGN_IN)
    assert roles_for(Capability.READ_STOCK, Capability.WORK_IN_THE_FIELD) == frozenset(Role)


def test_the_servers_common_guards_are_built_from_the_table() -> None:
    for guard, capability in (
        (deps.requires_any_user, Capability.SIGN_IN),
        (deps.requires_office, Capability.WORK_IN_THE_OFFICE),
        (deps.requires_dispatch, Capability.DISPATCH),
        (deps.requires_admin, Capability.ADMINISTER_USERS),
        (deps.requires_engineer, Capability.WORK_IN_THE_FIELD),
        (deps.requires_qa, Capability.APPROVE_QUALITY),
    ):
        assert guard.allowed_roles == ROLES[capability], capability  # type: ignore[attr-defined]


def test_the_console_shows_each_role_the_screens_it_showed_before_the_table() -> None:
    assert {role: screens_for(role) for role in Role} == {
        D: (
            Screen.BOARD,
            Screen.CALL,
            Screen.REGISTER,
            Screen.CONFLICTS,
            Screen.REPORTS,
            Screen.INSPECTIONS,
            Screen.CUSTOMERS,
            Screen.LOANS,
            Screen.PAID,
            Screen.RETURNS,
            Screen.QUALITY,
            Screen.NOTIFICATIONS,
            Screen.PEOPLE,
            Screen.KNOWLEDGE,
        ),
        M: (
            Screen.BOARD,
            Screen.CALL,
            Screen.REGISTER,
            Screen.CONFLICTS,
            Screen.QA,
            Screen.REPORTS,
            Screen.INSPECTIONS,
            Screen.CUSTOMERS,
            Screen.STOCK,
            Screen.LOANS,
            Screen.PAID,
            Screen.RETURNS,
            Screen.QUALITY,
            Screen.NOTIFICATIONS,
            Screen.ESCALATION,
            Screen.STATIONS,
            Screen.PEOPLE,
            Screen.KNOWLEDGE,
        ),
        Q: (
            Screen.BOARD,
            Screen.REGISTER,
            Screen.CONFLICTS,
            Screen.QA,
            Screen.REPORTS,
            Screen.CUSTOMERS,
            Screen.RETURNS,
            Screen.QUALITY,
            Screen.NOTIFICATIONS,
            Screen.PEOPLE,
            Screen.KNOWLEDGE,
        ),
        W: (Screen.BOARD, Screen.STOCK, Screen.LOANS, Screen.NOTIFICATIONS, Screen.KNOWLEDGE),
        A: tuple(Screen),
        E: (),
    }
