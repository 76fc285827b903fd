"""Demo data for an empty database: a supplier's after-sales desk in Jiangxi after six months of work.

Everything but the ids and the password comes from ``random.Random(rng_seed)`` and ``now``, so a demo
can be rebuilt identically. The data is meant to look like the real thing to a service manager:
county water bureaus as customers, pump stations, dikes and flood-supply warehouses as sites, the
equipment of a flood-control procurement, and ~400 service forms with their tap timelines, some of
them late, some still open.

The caller commits; nothing is written if the ``users`` or ``jobs`` table already has rows."""

from __future__ import annotations

import random
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import LOG_COUNTER, Change, log_changes
from server.contacts.seed import seed_contacts
from server.customers.seed import seed_customers
from server.db.models import ChecklistTemplate, Counter, Job, Part, User
from server.delivery.seed import seed_delivery_documents
from server.escalation.seed import seed_escalation
from server.inspections.seed import seed_inspections
from server.knowledge.seed import seed_knowledge
from server.loans.seed import seed_loans
from server.paid.seed import seed_paid
from server.people.seed import seed_staff
from server.quality.seed import seed_quality
from server.returns.seed import seed_returns
from server.security import hash_password
from server.seed.contracts import seed_contracts
from server.seed.jobs import Jobs
from server.seed.reference import CHECKLISTS, PARTS, ROLE_LABELS
from server.stations.seed import seed_stations
from server.stock.planning_seed import seed_planning
from server.stock.seed import seed_stock
from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.models import ChecklistTemplateCreate

#: Counter row that numbers jobs; the seed leaves it at the number of jobs it made.
JOB_NUMBER_COUNTER = "job_number"


class SeedError(ValueError):
    """The database cannot take demo data (it is not empty, or an argument is unusable)."""


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    display_name: str


@dataclass
class SeedResult:
    logins: list[DemoLogin]
    counts: dict[str, int]


def _new_password() -> str:
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1/o/0 to misread at a demo
    return "levee-" + "".join(secrets.choice(alphabet) for _ in range(6))


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def seed_demo(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    rng_seed: int = 20260601,
    password: str | None = None,
) -> SeedResult:
    """Fill an empty database with demo data; the caller commits.

    All demo users share one password: ``password`` or, when it is None, a random readable one made
    for this run and returned in ``SeedResult.logins``.
    """
    for model, table in ((User, "users"), (Job, "jobs")):
        if n := await _count(session, model):
            raise SeedError(
                f"数据库不是空的：{table} 表已有 {n} 行。演示数据只能写入新建的空数据库。"
                f" (the database is not empty: table {table} has {n} rows)"
            )
    if password is None:
        password = _new_password()
    elif len(password) < 8:
        raise SeedError("演示密码至少 8 个字符 (the demo password needs at least 8 characters)")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise SeedError("now must carry a time zone")
    now = now.astimezone(UTC)

    b = Jobs(random.Random(rng_seed), now)
    b.build_users(hash_password(password))
    b.build_places()
    b.build_equipment()
    policies = b.build_policies()
    templates = []
    for cat, job_kind, name, items in CHECKLISTS:
        ChecklistTemplateCreate.model_validate(
            {"category": cat, "job_kind": job_kind, "name": name, "items": items}
        )
        templates.append(
            ChecklistTemplate(category=cat.value, job_kind=job_kind.value, name=name, items=items)
        )
    parts = [
        Part(code=code, name=name, unit=unit, unit_price=price, categories=[c.value for c in cats])
        for code, name, unit, price, cats in PARTS
    ]
    b.build_jobs()
    b.number_jobs()
    answers = b.build_answers()

    groups: dict[str, Sequence[Any]] = {
        "users": b.users,
        "customers": b.customers,
        "sites": [site for _, _, site in b.sites],
        "equipment": [e.row for e in b.equipment],
        "sla_policies": policies,
        "checklist_templates": templates,
        "parts": parts,
        "jobs": b.jobs,
        "job_assignments": b.assignments,
        "job_events": b.events,
        "checklist_results": answers,
    }
    existing_counters = set(await session.scalars(select(Counter.name)))
    counter = await session.get(Counter, JOB_NUMBER_COUNTER)
    if counter is None:
        session.add(Counter(name=JOB_NUMBER_COUNTER, value=len(b.jobs)))
    else:  # the migration may have created the row already
        counter.value = len(b.jobs)
    # The models have no relationship() to order inserts by, and PostgreSQL checks foreign keys on
    # each statement: flush table by table, parents first.
    for rows in groups.values():
        session.add_all(rows)
        await session.flush()
    # Devices learn about things from the change log, like after any other write.
    changes = [
        Change(entity, row.id, "put", None)
        for entity, table in (
            ("customer", "customers"),
            ("site", "sites"),
            ("equipment", "equipment"),
            ("checklist_template", "checklist_templates"),
            ("part", "parts"),
        )
        for row in groups[table]
    ]
    changes += [Change("job", j.id, "put", j.assigned_engineer_id) for j in b.jobs if j.assigned_engineer_id]
    await log_changes(session, changes)

    counts = {table: len(rows) for table, rows in groups.items()}
    counts["change_log"] = len(changes)
    counts["counters"] = len({JOB_NUMBER_COUNTER, LOG_COUNTER} - existing_counters)
    counts.update(await seed_stock(session, now=now, rng_seed=rng_seed))  # stores, lots, vans stocked
    counts.update(await seed_planning(session, now=now, rng_seed=rng_seed))  # levels, shipments, approvals
    counts.update(await seed_loans(session, now=now, rng_seed=rng_seed))  # the backup pool and its loans
    counts.update(await seed_returns(session, now=now, rng_seed=rng_seed))  # returns, claims, compensation
    counts.update(await seed_delivery_documents(session, now=now, rng_seed=rng_seed))  # 合格证 etc.
    counts.update(await seed_inspections(session, now=now, rng_seed=rng_seed, counts=counts))
    counts.update(
        await seed_customers(session, now=now, rng_seed=rng_seed, counts=counts)
    )  # visits, training
    today = now.astimezone(zone(DEFAULT_TIMEZONE)).date()
    counts.update(await seed_contracts(session, b.customers, b.jobs, b.users, today, now))
    counts.update(await seed_paid(session, now=now, rng_seed=rng_seed))  # quotes, charges, payments
    counts.update(
        await seed_contacts(session, now=now, rng_seed=rng_seed, counts=counts)
    )  # 来电来函登记, 重点客户
    counts.update(await seed_escalation(session, now=now))  # rules, and what they tell at ``now``
    counts.update(await seed_quality(session, now=now))  # incidents grouping same-model, same-fault jobs
    counts.update(await seed_stations(session, now=now))  # 售后服务站、特约维修点, regions, engineers placed
    counts.update(await seed_staff(session, now=now, rng_seed=rng_seed))  # certificates, training
    counts.update(
        await seed_knowledge(session, now=now, rng_seed=rng_seed)
    )  # cases, manuals, training phases
    logins = [DemoLogin(u.username, password, u.role, u.display_name) for u in b.users]
    return SeedResult(logins=logins, counts=counts)


# --- terminal output -----------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_logins(result: SeedResult) -> str:
    """The demo logins as a small table for the terminal (CJK characters count as two columns)."""
    header = ("用户名 username", "角色 role", "姓名 name", "密码 password")
    rows = [
        (x.username, f"{ROLE_LABELS.get(x.role, x.role)} {x.role}", x.display_name, x.password)
        for x in result.logins
    ]
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True)).rstrip(), line]
    out += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)
