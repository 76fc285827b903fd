"""The console's backup-equipment client in-process (SQLite and PostgreSQL): the warehouse adds a unit
with the server's own schema, sees the pool, the flagged loan of a cancelled job and records its return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from console.api import ApiError
from console.clients.loans import LoansClient
from console.clients.stock import checked
from console.roles import Screen, screens_for
from console.state import ConsoleState, Office
from shared.enums import Role
from shared.loans import LoanReturn, UnitCreate
from tests.support import PASSWORD, World

TZ = ZoneInfo("Asia/Shanghai")


def test_the_backup_screen_is_for_the_desk_and_the_warehouse() -> None:
    assert [r for r in Role if Screen.LOANS in screens_for(r)] == [
        Role.DISPATCHER,
        Role.MANAGER,
        Role.WAREHOUSE,
        Role.ADMIN,
    ]


async def test_the_clerk_adds_a_unit_sees_the_flagged_loan_and_records_its_return(world: World) -> None:
    office = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await office.sign_in("http://levee.test", "warehouse", PASSWORD, "仓库电脑")
    loans = LoansClient(office.require())
    unit = await loans.add_unit(
        checked(UnitCreate, category="lighting_tower", model="ZM-4", serial_no="ZM-01")
    )
    with pytest.raises(ApiError) as invalid:  # refused before it is sent, as the server would
        checked(UnitCreate, category="lighting_tower", model="ZM-4", serial_no="")
    assert invalid.value.code == "invalid"
    job = await world.create_job(engineer="eng1")
    desk = await world.login("dispatcher")
    lent_at = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    r = await world.client.post(
        "/api/loans", json={"job_id": job["id"], "unit_id": str(unit.id), "lent_at": lent_at}, headers=desk
    )
    assert r.status_code == 201, r.text
    r = await world.client.post(f"/api/jobs/{job['id']}/cancel", json={"reason": "用户撤销"}, headers=desk)
    assert r.status_code == 200, r.text

    pool = await loans.pool()
    assert [(u.serial_no, u.status.value, u.current_job_number) for u in pool.units] == [
        ("ZM-01", "lent", job["number"])
    ]
    [flagged] = pool.out_after_close
    assert flagged.out_after_close and flagged.job_number == job["number"]
    back = await loans.give_back(str(flagged.id), checked(LoanReturn, returned_at=datetime.now(UTC)))
    assert back.returned_at is not None and not back.out_after_close
    assert (await loans.pool()).out_after_close == []
    await office.sign_out()


async def test_the_desk_finds_an_open_job_lends_on_it_returns_worn_and_exports_the_history(
    world: World,
) -> None:
    from shared.loans import LoanCreate, ReturnCondition

    office = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await office.sign_in("http://levee.test", "dispatcher", PASSWORD, "服务台电脑")
    loans = LoansClient(office.require())
    unit = await loans.add_unit(
        checked(UnitCreate, category="generator_set", model="30GF", serial_no="FD-77")
    )
    job = await world.create_job(engineer="eng1")
    closed = await world.create_job(engineer="eng1")
    desk = await world.login("dispatcher")
    r = await world.client.post(f"/api/jobs/{closed['id']}/cancel", json={"reason": "撤销"}, headers=desk)
    assert r.status_code == 200, r.text
    picked = await loans.open_jobs()
    assert job["number"] in {j.number for j in picked} and closed["number"] not in {j.number for j in picked}
    assert [j.number for j in await loans.open_jobs(job["number"])] == [job["number"]]

    lent = await loans.lend(
        checked(
            LoanCreate, job_id=job["id"], unit_id=str(unit.id), lent_at=datetime.now(UTC), note="泵站借用"
        )
    )
    assert lent.job_number == job["number"] and lent.returned_at is None
    back = await loans.give_back(
        str(lent.id), checked(LoanReturn, returned_at=datetime.now(UTC), condition=ReturnCondition.WORN)
    )
    assert back.condition is ReturnCondition.WORN
    data, name = await loans.export("csv", "zh-CN", unit_id=str(unit.id))
    assert (
        name.endswith(".csv")
        and "FD-77" in data.decode("utf-8-sig")
        and "泵站借用" in data.decode("utf-8-sig")
    )
    data, name = await loans.export("xlsx", "en")
    assert name.endswith(".xlsx") and data[:2] == b"PK"
