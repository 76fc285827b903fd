"""The demo builder's shared state and small helpers: the random source, ``now``, and what each
step has built for the next."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from server.db.models import Customer, Equipment, Job, JobAssignment, JobEvent, Site, User
from server.seed.reference import SiteDef
from shared.enums import Severity
from shared.sla import SlaLimits


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def minutes(t: datetime, m: float) -> datetime:
    return t + timedelta(seconds=round(m * 60))


@dataclass
class Eq:
    row: Equipment
    customer_index: int
    site: Site


class BuildState:
    """What the builders share: the random source, the moment, and what has been built so far."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.users: list[User] = []
        self.engineers: list[User] = []
        self.dispatcher: User | None = None
        self.customers: list[Customer] = []
        self.sites: list[tuple[int, SiteDef, Site]] = []
        self.equipment: list[Eq] = []
        self.policies: dict[tuple[int | None, Severity], SlaLimits] = {}
        self.jobs: list[Job] = []
        self.assignments: list[JobAssignment] = []
        self.events: list[JobEvent] = []
        self.clock_skew: dict[uuid.UUID, int] = {}
