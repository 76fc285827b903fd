"""Test support: an app over a fresh database, a small world in it, and devices that sync with it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app, rebind
from server.db.engine import make_sessionmaker
from server.db.models import ChecklistTemplate, Customer, Equipment, Part, Site, SlaPolicy, User
from server.settings import Settings

PASSWORD = "correct-horse-7"
_HASH: dict[str, str] = {}


#: The test users' password is hashed with argon2id at its cheapest (about 1 ms to verify, against
#: 150 ms for the production parameters the server hashes with): the server verifies with the
#: parameters stored in the hash, so every sign-in of the suite stops paying for the slow hash on
#: purpose. The production parameters are checked by tests/server/test_auth*.py's own users.
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = _CHEAP.hash(PASSWORD)
    return _HASH["h"]


@dataclass
class World:
    client: httpx.AsyncClient
    app: Litestar
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    customer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    other_customer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    site_id: uuid.UUID = field(default_factory=uuid.uuid4)
    other_site_id: uuid.UUID = field(default_factory=uuid.uuid4)
    equipment_id: uuid.UUID = field(default_factory=uuid.uuid4)
    part_id: uuid.UUID = field(default_factory=uuid.uuid4)
    tokens: dict[str, str] = field(default_factory=dict)

    async def login(self, username: str, device: str = "test device") -> dict[str, str]:
        """Sign in and return the Authorization header (cached per user)."""
        if username not in self.tokens:
            r = await self.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD, "device_name": device}
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def create_job(self, *, engineer: str | None = None, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customer_id": str(self.customer_id),
            "site_id": str(self.site_id),
            "equipment_id": str(self.equipment_id),
            "symptom": "水泵启动后出水量不足",
            "caller_name": "王主任",
            "caller_phone": "0794-8221234",
        }
        if engineer:
            body["assigned_engineer_id"] = str(self.users[engineer])
        body.update(overrides)
        r = await self.client.post("/api/jobs", json=body, headers=await self.login("dispatcher"))
        assert r.status_code == 201, r.text
        return dict(r.json())


async def populate(engine: AsyncEngine, world: World) -> None:
    people = {
        "admin": ("admin", "管理员"),
        "dispatcher": ("dispatcher", "调度小刘"),
        "manager": ("manager", "售后经理"),
        "qa": ("qa", "质管老陈"),
        "warehouse": ("warehouse", "仓管小吴"),
        "eng1": ("engineer", "张伟"),
        "eng2": ("engineer", "李强"),
    }
    async with make_sessionmaker(engine)() as s:
        for username, (role, name) in people.items():
            user = User(username=username, display_name=name, role=role, password_hash=password_hash())
            s.add(user)
            await s.flush()
            world.users[username] = user.id
        for cid, name in ((world.customer_id, "临川区水利局"), (world.other_customer_id, "南丰县防汛办")):
            s.add(Customer(id=cid, name=name, warranty_years=2))
        await s.flush()
        s.add(Site(id=world.site_id, customer_id=world.customer_id, name="城东排涝泵站"))
        s.add(Site(id=world.other_site_id, customer_id=world.other_customer_id, name="县防汛物资仓库"))
        await s.flush()
        s.add(
            Equipment(
                id=world.equipment_id,
                site_id=world.site_id,
                category="drainage_pump",
                model="QSZ-1500 潜水排涝泵",
                serial_no="DP-0001",
                delivered_on=date(2025, 5, 1),
                warranty_end=date(2027, 5, 1),
            )
        )
        items = [
            {
                "code": "insulation",
                "label_zh": "绝缘电阻",
                "label_en": "Insulation resistance",
                "kind": "measure",
                "unit": "MΩ",
                "min_value": 0.5,
                "max_value": None,
                "required": True,
            },
            {
                "code": "seal",
                "label_zh": "机械密封",
                "label_en": "Mechanical seal",
                "kind": "check",
                "required": True,
            },
            {
                "code": "noise",
                "label_zh": "运行噪声",
                "label_en": "Running noise",
                "kind": "check",
                "required": False,
            },
        ]
        for kind in ("repair", "inspection"):
            s.add(ChecklistTemplate(category="drainage_pump", job_kind=kind, name="排涝泵检查", items=items))
        s.add(
            Part(
                id=world.part_id,
                code="P-DP-001",
                name="机械密封",
                unit="套",
                unit_price=380.0,
                categories=["drainage_pump"],
            )
        )
        s.add(
            SlaPolicy(
                severity="general",
                respond_minutes=30,
                onsite_minutes=240,
                fix_minutes=1440,
                backup_minutes=480,
            )
        )
        s.add(
            SlaPolicy(
                severity="major", respond_minutes=15, onsite_minutes=120, fix_minutes=480, backup_minutes=480
            )
        )
        await s.commit()


@contextlib.asynccontextmanager
async def make_world(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[World]:
    # The hourly inspection generator stays off in-process: a test that wants it runs it (or turns it on).
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(engine.url.render_as_string(hide_password=False)),
        schedule_interval_s=0,
        escalation_interval_s=0,  # tests run the escalation scanner with a fixed clock
        # Functional tests wait for a place rather than being turned away on a loaded machine;
        # tests/server/test_admission.py squeezes the lanes on purpose.
        admission_wait_ms=30_000,
    )
    app = reuse_app(settings, engine)
    for hook in app.on_startup:  # app.lifespan() would span two tasks under pytest-asyncio
        await hook(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://levee.test"
    ) as client:
        w = World(client=client, app=app)
        await populate(engine, w)
        try:
            yield w
        finally:
            for hook in app.on_shutdown:
                await hook(app)
            release_app(app)


_FREE_APPS: list[Litestar] = []


def reuse_app(settings: Settings, engine: AsyncEngine) -> Litestar:
    """An app for ``settings`` over ``engine``, not yet started: a shut-down one from the pool, rebound.

    Building an app (registering every route) costs a third of a second on an idle machine and seconds
    on a loaded one; an app shut down cleanly goes back to the pool (:func:`release_app`).
    """
    return (
        rebind(_FREE_APPS.pop(), settings, engine=engine)
        if _FREE_APPS
        else create_app(settings, engine=engine)
    )


def release_app(app: Litestar) -> None:
    """Give back an app whose start-up hooks' work was stopped (its listener and schedule runner)."""
    _FREE_APPS.append(app)


class Switch(httpx.AsyncBaseTransport):
    """A transport that can be unplugged: while off, every request fails as a lost connection."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.online = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.online:
            raise httpx.ConnectError("network unreachable", request=request)
        return await self.inner.handle_async_request(request)


class Device:
    """An engineer's tablet: its own replica file, actions, and a sync runner to the test server."""

    def __init__(self, world: World, username: str, path: Path, token: str) -> None:
        from mobile.replica.store import Replica
        from mobile.services.jobs import JobActions
        from mobile.services.sync import SyncRunner

        self.world = world
        self.username = username
        self.user_id = world.users[username]
        self.replica = Replica(path)
        self.actions = JobActions(self.replica)
        self.switch = Switch(httpx.ASGITransport(app=world.app))
        self.runner = SyncRunner(
            self.replica, "http://levee.test", token, transport=self.switch, long_poll=1.0
        )

    @classmethod
    async def sign_in(cls, world: World, username: str, path: Path, name: str = "tablet") -> Device:
        r = await world.client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD, "device_name": name}
        )
        assert r.status_code == 200, r.text
        return cls(world, username, path, r.json()["token"])

    async def sync(self) -> None:
        ok = await self.runner.sync_once()
        assert ok, self.runner.status.last_error

    def offline(self) -> None:
        self.switch.online = False

    def online(self) -> None:
        self.switch.online = True

    async def close(self) -> None:
        await self.runner.aclose()
        self.replica.close()
