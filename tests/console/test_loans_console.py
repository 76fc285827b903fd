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
