"""Who may do what: one table of capabilities and the roles that hold each.

The server builds every route guard from this table (``server.deps.requires_to``), and the console
reads the same table to decide which tabs and buttons a signed-in user sees. A role gains or loses
a capability here and nowhere else; ``tests/server/test_access_matrix.py`` checks every live route
against the guard it carries.
"""

from __future__ import annotations

from enum import StrEnum

from shared.enums import Role

__all__ = ["ROLES", "Capability", "can", "roles_for"]

_OFFICE = frozenset({Role.DISPATCHER, Role.MANAGER, Role.QA, Role.WAREHOUSE, Role.ADMIN})
_DESK = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN})
_CARE = frozenset({Role.DISPATCHER, Role.MANAGER, Role.QA, Role.ADMIN})
_QUALITY = frozenset({Role.QA, Role.MANAGER, Role.ADMIN})
_STOCK = frozenset({Role.WAREHOUSE, Role.MANAGER, Role.ADMIN})


class Capability(StrEnum):
    """Something a user may do. Several capabilities are held by the same roles today; they are named
    apart so that one can change without the others."""

    #: any signed-in user: their own profile, the catalogue, one customer, site or piece of equipment
    SIGN_IN = "sign_in"
    #: a field engineer's tablet: push, pull, wait; their own van's stock
    WORK_IN_THE_FIELD = "work_in_the_field"
    #: read what the whole office reads: the board, lists of users, customers and equipment, conflicts
    WORK_IN_THE_OFFICE = "work_in_the_office"
    #: record calls, assign, hold, resume and cancel jobs; inspection schedules; return visits
    DISPATCH = "dispatch"
    #: add and change customers, sites and equipment
    MANAGE_CUSTOMERS = "manage_customers"
    #: approve or return a service form; close complaints; the office's billing decision
    APPROVE_QUALITY = "approve_quality"
    #: read the conflict queue (the warehouse: van stock conflicts only, parts used beyond the books)
    READ_CONFLICTS = "read_conflicts"
    #: resolve conflicts, read the whole service form
    REVIEW_CONFLICTS = "review_conflicts"
    #: complaints, return visits, the customer file, satisfaction
    CARE_FOR_CUSTOMERS = "care_for_customers"
    #: SLA, response-time and quality reports and their exports
    READ_REPORTS = "read_reports"
    #: SLA policies and checklist templates
    MANAGE_CATALOG = "manage_catalog"
    #: contracts, their promises, warranty certificates and maintenance agreements
    MANAGE_CONTRACTS = "manage_contracts"
    #: the form's 公司领导处理意见 (the manager's decision on a job)
    DECIDE_AS_MANAGER = "decide_as_manager"
    #: read stores, vans, balances and the ledger
    READ_STOCK = "read_stock"
    #: receive, issue, move and count stock; add parts to the catalogue
    MOVE_STOCK = "move_stock"
    #: open and close stores
    ADMINISTER_STORES = "administer_stores"
    #: add and change users
    ADMINISTER_USERS = "administer_users"
    #: the backup-equipment pool: add and move units, record loans and returns from the office
    LEND_BACKUP = "lend_backup"
    #: paid repairs (有偿维修): issue the charge of an accepted quote and record its payments
    CHARGE_REPAIRS = "charge_repairs"
    #: escalation rules (who is told of urgent events, and how), the notification log, a scan now
    MANAGE_ESCALATION = "manage_escalation"
    #: read quality incidents (批量或重大质量问题): the desk sees which jobs belong to a known defect
    READ_QUALITY_INCIDENTS = "read_quality_incidents"
    #: open, change, link jobs to, record actions on and close quality incidents
    MANAGE_QUALITY_INCIDENTS = "manage_quality_incidents"
    #: service stations, repair points and regions: their area, engineers, customers and sites
    MANAGE_STATIONS = "manage_stations"
    #: staff files (人员档案): certificates, qualifications and training of the engineers
    MANAGE_STAFF = "manage_staff"
    #: the case library (draft from a closed job, edit, publish) and the manuals per model
    CURATE_KNOWLEDGE = "curate_knowledge"


#: capability -> the roles that hold it
ROLES: dict[Capability, frozenset[Role]] = {
    Capability.SIGN_IN: frozenset(Role),
    Capability.WORK_IN_THE_FIELD: frozenset({Role.ENGINEER}),
    Capability.WORK_IN_THE_OFFICE: _OFFICE,
    Capability.DISPATCH: _DESK,
    Capability.MANAGE_CUSTOMERS: _DESK,
    Capability.APPROVE_QUALITY: _QUALITY,
    Capability.READ_CONFLICTS: _OFFICE,
    Capability.REVIEW_CONFLICTS: _CARE,
    Capability.CARE_FOR_CUSTOMERS: _CARE,
    Capability.READ_REPORTS: _CARE,
    Capability.MANAGE_CATALOG: frozenset({Role.MANAGER, Role.ADMIN}),
    Capability.MANAGE_CONTRACTS: frozenset({Role.MANAGER, Role.ADMIN}),
    Capability.DECIDE_AS_MANAGER: frozenset({Role.MANAGER}),
    Capability.READ_STOCK: _OFFICE,
    Capability.MOVE_STOCK: _STOCK,
    Capability.ADMINISTER_STORES: frozenset({Role.WAREHOUSE, Role.ADMIN}),
    Capability.ADMINISTER_USERS: frozenset({Role.ADMIN}),
    Capability.LEND_BACKUP: _DESK | _STOCK,
    Capability.CHARGE_REPAIRS: _DESK,
    Capability.MANAGE_ESCALATION: frozenset({Role.MANAGER, Role.ADMIN}),
    Capability.READ_QUALITY_INCIDENTS: _CARE,
    Capability.MANAGE_QUALITY_INCIDENTS: _QUALITY,
    Capability.MANAGE_STATIONS: frozenset({Role.MANAGER, Role.ADMIN}),
    Capability.MANAGE_STAFF: frozenset({Role.MANAGER, Role.ADMIN}),
    Capability.CURATE_KNOWLEDGE: _QUALITY,
}


def roles_for(*capabilities: Capability) -> frozenset[Role]:
    """The roles holding any of ``capabilities``."""
    return frozenset().union(*(ROLES[c] for c in capabilities))


def can(role: Role | str | None, capability: Capability) -> bool:
    """Whether ``role`` (a name the caller may not know, or nobody) holds ``capability``."""
    try:
        return Role(role) in ROLES[capability] if role else False
    except ValueError:
        return False
