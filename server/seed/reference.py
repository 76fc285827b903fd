"""The demo's reference data, read from ``data/*.json`` (UTF-8, the Chinese as written) into the
typed shapes the builders use: people, customers and their sites, equipment models, SLA contracts,
parts, faults, checklists, the words on forms, and the season and hour weights of calls.

The files are data only; what the builders do with them is in the other modules of this package. The
order of every list is kept, so the same ``rng_seed`` still draws the same demo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from shared.enums import (
    BillableReason,
    ChecklistItemKind,
    EquipmentCategory,
    JobKind,
    JobStatus,
    Role,
    Severity,
)
from shared.models import ChecklistItemDef

DATA = Path(__file__).with_name("data")

#: Local time of the demo customers (Asia/Shanghai has no DST, so a fixed offset is exact).
CST = timezone(timedelta(hours=8), "CST")
#: How far back the demo jobs go.
HISTORY_DAYS = 182

Cat = EquipmentCategory
Minutes = tuple[int, int, int, int]


@dataclass(frozen=True)
class CustomerDef:
    name: str
    contract_no: str
    address: str
    area_code: str
    warranty_years: int
    lat: float
    lon: float
    recent_delivery: bool  # a batch arrived just before the demo history starts (installation jobs)


@dataclass(frozen=True)
class SiteDef:
    name: str
    kind: str  # warehouse | depot | pump_station | dike
    address: str
    dlat: float
    dlon: float


@dataclass(frozen=True)
class Fault:
    symptom: str
    cause: str
    fix: str
    only_model: str = ""  # the fault only happens on models whose name contains this


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _items(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Checklist items from compact rows: (code, zh, en) or (code, zh, en, unit, min, max)."""
    out = []
    for row in rows:
        if len(row) == 3:
            item = ChecklistItemDef(code=row[0], label_zh=row[1], label_en=row[2])
        else:
            item = ChecklistItemDef(
                code=row[0],
                label_zh=row[1],
                label_en=row[2],
                kind=ChecklistItemKind.MEASURE,
                unit=row[3],
                min_value=row[4],
                max_value=row[5],
            )
        out.append(item.model_dump(mode="json"))
    return out


def _strings(file: str, key: str) -> tuple[str, ...]:
    return tuple(_load(file)[key])


def _minutes(value: list[int]) -> Minutes:
    r, o, f, b = value
    return (r, o, f, b)


# --- people (data/people.json) --------------------------------------------------------------------

ROLE_LABELS: dict[str, str] = {Role(k): v for k, v in _load("people")["ROLE_LABELS"].items()}
ENGINEER_NAMES = _strings("people", "ENGINEER_NAMES")
OFFICE_USERS: tuple[tuple[str, str, Role], ...] = tuple(
    (username, name, Role(role)) for username, name, role in _load("people")["OFFICE_USERS"]
)
SURNAMES: str = _load("people")["SURNAMES"]
GIVEN_NAMES = _strings("people", "GIVEN_NAMES")
MOBILE_PREFIXES = _strings("people", "MOBILE_PREFIXES")

# --- customers, sites, contracts (data/customers.json) --------------------------------------------

CUSTOMERS: tuple[tuple[CustomerDef, tuple[SiteDef, ...]], ...] = tuple(
    (CustomerDef(**c["customer"]), tuple(SiteDef(**s) for s in c["sites"]))
    for c in _load("customers")["CUSTOMERS"]
)
#: Which customers each engineer mainly serves (indexes into ENGINEER_NAMES).
PRIMARY_ENGINEERS: tuple[tuple[int, ...], ...] = tuple(
    tuple(row) for row in _load("customers")["PRIMARY_ENGINEERS"]
)
#: (respond, onsite, fix, backup) minutes
DEFAULT_SLA: dict[Severity, Minutes] = {
    Severity(k): _minutes(v) for k, v in _load("customers")["DEFAULT_SLA"].items()
}
#: Stricter contracts, by customer index.
CONTRACT_SLA: dict[int, dict[Severity, Minutes]] = {
    int(ci): {Severity(k): _minutes(v) for k, v in by_sev.items()}
    for ci, by_sev in _load("customers")["CONTRACT_SLA"].items()
}

# --- equipment (data/equipment.json) --------------------------------------------------------------

#: (category, how many, [(model, serial prefix, weight)])
EQUIPMENT_MODELS: tuple[tuple[Cat, int, tuple[tuple[str, str, int], ...]], ...] = tuple(
    (Cat(cat), count, tuple((model, prefix, weight) for model, prefix, weight in models))
    for cat, count, models in _load("equipment")["EQUIPMENT_MODELS"]
)
#: Which categories each kind of site keeps, with a weight for how much of it.
SITE_STOCK: dict[str, dict[Cat, float]] = {
    kind: {Cat(c): w for c, w in weights.items()}
    for kind, weights in _load("equipment")["SITE_STOCK"].items()
}
#: Share of repairs by category (life jackets rarely need a technician).
REPAIR_WEIGHT: dict[Cat, float] = {Cat(c): w for c, w in _load("equipment")["REPAIR_WEIGHT"].items()}
TRAINING_NOTES: dict[Cat, str] = {Cat(c): t for c, t in _load("equipment")["TRAINING_NOTES"].items()}

# --- parts, faults, checklists --------------------------------------------------------------------

# (code, name, unit, unit price, categories)
PARTS: tuple[tuple[str, str, str, float, tuple[Cat, ...]], ...] = tuple(
    (code, name, unit, price, tuple(Cat(c) for c in cats))
    for code, name, unit, price, cats in _load("parts")["PARTS"]
)
FAULTS: dict[Cat, tuple[Fault, ...]] = {
    Cat(c): tuple(Fault(**f) for f in faults) for c, faults in _load("faults")["FAULTS"].items()
}
#: Why a repair inside warranty is still paid (三包 exclusions): (reason, cause prefix).
EXCLUSIONS: tuple[tuple[BillableReason, str], ...] = tuple(
    (BillableReason(reason), prefix) for reason, prefix in _load("faults")["EXCLUSIONS"]
)
CHECKLISTS: tuple[tuple[Cat, JobKind, str, list[dict[str, Any]]], ...] = tuple(
    (Cat(cat), JobKind(kind), name, _items(rows))
    for cat, kind, name, rows in _load("checklists")["CHECKLISTS"]
)

# --- words on forms (data/words.json) -------------------------------------------------------------

INSPECTION_NOTES = _strings("words", "INSPECTION_NOTES")
#: What an inspection in each month of the year is called besides the routine names.
SEASON_INSPECTION = _strings("words", "SEASON_INSPECTION")
#: The engineer's maintenance advice (维护建议) on a finished inspection, by the season it falls in
#: (winter, before the flood season, in it, after it); chosen by month, so the random draws stay as they were.
SEASON_ADVICE = _strings("words", "SEASON_ADVICE")
ADVICE_SEASON: tuple[int, ...] = tuple(_load("words")["ADVICE_SEASON"])
ACCEPTANCE: dict[JobKind, tuple[str, ...]] = {
    JobKind(k): tuple(v) for k, v in _load("words")["ACCEPTANCE"].items()
}
PRAISE = _strings("words", "PRAISE")
LATE_COMMENTS = _strings("words", "LATE_COMMENTS")
HOLD_REASONS = _strings("words", "HOLD_REASONS")
CANCEL_REASONS = _strings("words", "CANCEL_REASONS")

# --- the shape of six months (data/calendar.json) -------------------------------------------------

#: How many jobs of each status the demo has (400 in all).
STATUS_PLAN: tuple[tuple[JobStatus, int], ...] = tuple(
    (JobStatus(status), n) for status, n in _load("calendar")["STATUS_PLAN"]
)
#: Calls per month of the year: Jiangxi's flood season is April to July.
CALL_SEASON: tuple[float, ...] = tuple(_load("calendar")["CALL_SEASON"])
#: Inspections peak before the flood season and after it.
INSPECTION_SEASON: tuple[float, ...] = tuple(_load("calendar")["INSPECTION_SEASON"])
#: Calls per local hour of day (7x24 service, mostly daytime).
CALL_HOURS: tuple[float, ...] = tuple(_load("calendar")["CALL_HOURS"])

# --- the tap timeline (rules, not data) ------------------------------------------------------------

#: The engineer's taps, in order; ``closed`` is QA's, not a tap.
STEPS = ("acknowledged", "departed", "arrived", "started", "resolved", "signed_off", "closed")
#: Which steps a job in each status has reached.
REACHED: dict[JobStatus, int] = {
    JobStatus.NEW: 0,
    JobStatus.ASSIGNED: 0,
    JobStatus.ACKNOWLEDGED: 1,
    JobStatus.DEPARTED: 2,
    JobStatus.ARRIVED: 3,
    JobStatus.STARTED: 4,
    JobStatus.ON_HOLD: 4,
    JobStatus.RESOLVED: 5,
    JobStatus.SIGNED_OFF: 6,
    JobStatus.CLOSED: 7,
    JobStatus.CANCELLED: 1,
}
