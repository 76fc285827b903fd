"""Closed vocabularies of the domain (see docs/domain.md for the Chinese terms)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do; one role per user keeps the guards readable."""

    ENGINEER = "engineer"
    DISPATCHER = "dispatcher"
    MANAGER = "manager"
    QA = "qa"
    WAREHOUSE = "warehouse"
    ADMIN = "admin"


class EquipmentCategory(StrEnum):
    """Equipment categories named in the service plan."""

    DRAINAGE_PUMP = "drainage_pump"
    PUMP_TRUCK = "pump_truck"
    GENERATOR_SET = "generator_set"
    LIGHTING_TOWER = "lighting_tower"
    ASSAULT_BOAT = "assault_boat"
    LIFE_JACKET = "life_jacket"
    SANDBAG_MACHINE = "sandbag_machine"


class JobKind(StrEnum):
    REPAIR = "repair"
    INSPECTION = "inspection"
    INSTALLATION = "installation"
    TRAINING = "training"
    RETURN_VISIT = "return_visit"


class Severity(StrEnum):
    GENERAL = "general"
    MAJOR = "major"


class ContactChannel(StrEnum):
    """How a contact reached the service desk (热线、信箱、网上服务); see shared/contacts.py."""

    PHONE = "phone"
    HOTLINE = "hotline"
    LETTER = "letter"
    EMAIL = "email"
    WEB = "web"
    ON_SITE = "on_site"


class JobStatus(StrEnum):
    """Where a job stands.

    The field progression (``ACKNOWLEDGED`` .. ``SIGNED_OFF``) is driven by the engineer's taps;
    ``ON_HOLD`` and ``CANCELLED`` are office decisions; ``CLOSED`` is set by QA approval.
    """

    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    STARTED = "started"
    RESOLVED = "resolved"
    SIGNED_OFF = "signed_off"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class JobEventType(StrEnum):
    """The engineer's one-tap timeline; each tap is an append-only event with the device's time."""

    ACKNOWLEDGED = "acknowledged"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    STARTED = "started"
    RESOLVED = "resolved"
    SIGNED_OFF = "signed_off"


#: Rank of each status on the field progression; office states are outside it.
STATUS_RANK: dict[JobStatus, int] = {
    JobStatus.NEW: 0,
    JobStatus.ASSIGNED: 1,
    JobStatus.ACKNOWLEDGED: 2,
    JobStatus.DEPARTED: 3,
    JobStatus.ARRIVED: 4,
    JobStatus.STARTED: 5,
    JobStatus.RESOLVED: 6,
    JobStatus.SIGNED_OFF: 7,
    JobStatus.CLOSED: 8,
}

OPEN_STATUSES: frozenset[JobStatus] = frozenset(
    {
        JobStatus.NEW,
        JobStatus.ASSIGNED,
        JobStatus.ACKNOWLEDGED,
        JobStatus.DEPARTED,
        JobStatus.ARRIVED,
        JobStatus.STARTED,
        JobStatus.ON_HOLD,
    }
)


class ChecklistItemKind(StrEnum):
    CHECK = "check"  # ok / fault / n.a.
    MEASURE = "measure"  # a number with limits


class CheckResult(StrEnum):
    OK = "ok"
    FAULT = "fault"
    NA = "na"


class BillableReason(StrEnum):
    """Why a repair is free or paid under the three-guarantee (三包) rules."""

    IN_WARRANTY = "in_warranty"
    OUT_OF_WARRANTY = "out_of_warranty"
    MAN_MADE = "man_made"
    FORCE_MAJEURE = "force_majeure"
    MISUSE = "misuse"
    MODIFICATION = "modification"
    NOT_A_REPAIR = "not_a_repair"
