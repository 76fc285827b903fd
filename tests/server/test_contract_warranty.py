"""Contract warranty years feed the equipment's warranty end, on both databases: a unit's free warranty
is its own years, else those of the customer's contract in force on its delivery day (both ends of the
period included), else the customer's default; a contract recorded or corrected moves the ends that
followed the rules (never one set by hand), audited and synced to the tablet, whose billing proposal then
agrees with the server's rule."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from server.db.models import AuditEntry
from shared.contracts import contract_warranty_years
from shared.enums import BillableReason, JobKind
from shared.warranty import CauseCategory, contradiction, propose_billing
from tests.conftest import DeviceFactory
from tests.support import World


async def _unit(world: World, desk: dict[str, str], delivered: str, **extra: Any) -> dict[str, Any]:
    body = {
        "site_id": str(world.site_id),
        "category": "generator_set",
        "model": "GF-50",
        "serial_no": f"FD-{uuid.uuid4().hex[:6]}",
        "delivered_on": delivered,
        **extra,
    }
    r = await world.client.post("/api/equipment", json=body, headers=desk)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _end(world: World, desk: dict[str, str], unit: dict[str, Any]) -> str | None:
    r = await world.client.get("/api/equipment", params={"q": unit["serial_no"]}, headers=desk)
    return r.json()["items"][0]["warranty_end"]  # type: ignore[no-any-return]


def test_the_years_are_those_of_the_contract_in_force_on_the_delivery_day() -> None:
    contracts = [(date(2019, 1, 1), date(2019, 12, 31), 5), (date(2020, 1, 1), None, 1)]
    assert contract_warranty_years(contracts, date(2019, 1, 1)) == 5
    assert contract_warranty_years(contracts, date(2019, 12, 31)) == 5
    assert contract_warranty_years(contracts, date(2020, 1, 1)) == 1
    assert contract_warranty_years(contracts, date(2031, 7, 1)) == 1  # open-ended
    assert contract_warranty_years(contracts, date(2018, 12, 31)) is None
    assert contract_warranty_years(contracts, None) is None
    assert contract_warranty_years([], date(2019, 6, 1)) is None


async def test_a_units_warranty_follows_the_contract_that_covers_its_delivery(world: World) -> None:
    boss, desk = await world.login("manager"), await world.login("dispatcher")
    a = await world.client.post(
        "/api/contracts",
        json={
            "customer_id": str(world.customer_id),
            "number": "HT-2019-A",
            "starts_on": "2019-01-01",
            "ends_on": "2019-12-31",
            "warranty_years": 5,
        },
        headers=boss,
    )
    b = await world.client.post(
        "/api/contracts",
        json={
            "customer_id": str(world.customer_id),
            "number": "HT-2020-B",
            "starts_on": "2020-01-01",
            "warranty_years": 1,
        },
        headers=boss,
    )
    assert a.status_code == b.status_code == 201, (a.text, b.text)
    in_a = await _unit(world, desk, "2019-06-01")
    last_day_a = await _unit(world, desk, "2019-12-31")
    first_day_b = await _unit(world, desk, "2020-01-01")
    before_any = await _unit(world, desk, "2018-05-01")
    own_years = await _unit(world, desk, "2019-06-01", warranty_years=4)
    by_hand = await _unit(world, desk, "2019-06-01", warranty_end="2030-01-01")
    assert in_a["warranty_end"] == "2024-06-01"
    assert last_day_a["warranty_end"] == "2024-12-31"
    assert first_day_b["warranty_end"] == "2021-01-01"
    assert before_any["warranty_end"] == "2020-05-01"  # the customer's default 2 years
    assert own_years["warranty_end"] == "2023-06-01"
    assert by_hand["warranty_end"] == "2030-01-01"

    r = await world.client.patch(f"/api/contracts/{a.json()['id']}", json={"warranty_years": 3}, headers=boss)
    assert r.status_code == 200, r.text
    assert await _end(world, desk, in_a) == "2022-06-01"
    assert await _end(world, desk, last_day_a) == "2022-12-31"
    assert await _end(world, desk, first_day_b) == "2021-01-01"
    assert await _end(world, desk, before_any) == "2020-05-01"
    assert await _end(world, desk, own_years) == "2023-06-01"
    assert await _end(world, desk, by_hand) == "2030-01-01"

    moved = await world.client.patch(
        f"/api/equipment/{before_any['id']}", json={"delivered_on": "2019-02-01"}, headers=desk
    )
    assert moved.status_code == 200 and moved.json()["warranty_end"] == "2022-02-01"

    # a new contract ends the open one the day before it starts: a unit delivered after that follows it
    later = await _unit(world, desk, "2023-04-01")
    assert later["warranty_end"] == "2024-04-01"
    c = await world.client.post(
        "/api/contracts",
        json={
            "customer_id": str(world.customer_id),
            "number": "HT-2023-C",
            "starts_on": "2023-01-01",
            "warranty_years": 6,
        },
        headers=boss,
    )
    assert c.status_code == 201, c.text
    assert await _end(world, desk, later) == "2029-04-01"
    assert await _end(world, desk, first_day_b) == "2021-01-01"

    refused = await world.client.patch(
        f"/api/contracts/{a.json()['id']}", json={"warranty_years": 9, "ends_on": "2020-06-30"}, headers=boss
    )
    assert refused.status_code == 409  # overlaps B: nothing moves
    assert await _end(world, desk, in_a) == "2022-06-01"

    async with world.app.state.sessionmaker() as s:
        moves = (
            await s.scalars(
                select(AuditEntry).where(AuditEntry.action == "equipment.update").order_by(AuditEntry.seq)
            )
        ).all()
    by_contract = [m.detail for m in moves if str(m.detail.get("by", "")).startswith("contract:")]
    assert {d["serial_no"] for d in by_contract} == {
        in_a["serial_no"],
        last_day_a["serial_no"],
        later["serial_no"],
        "DP-0001",  # the world's pump, delivered 2025: contract C's six years
    }
    assert {d["by"] for d in by_contract} == {
        "contract:HT-2019-A",
        "contract:HT-2020-B",
        "contract:HT-2023-C",
    }


async def test_the_tablet_gets_the_contract_warranty_and_proposes_as_the_server_judges(
    world: World, new_device: DeviceFactory
) -> None:
    boss = await world.login("manager")
    await world.create_job(engineer="eng1")  # on world.equipment_id, delivered 2025-05-01, 2 years
    tablet = await new_device("eng1")
    await tablet.sync()
    assert tablet.replica.reference("equipment", world.equipment_id)["warranty_end"] == "2027-05-01"
    r = await world.client.post(
        "/api/contracts",
        json={
            "customer_id": str(world.customer_id),
            "number": "HT-2025-01",
            "starts_on": "2025-01-01",
            "warranty_years": 3,
        },
        headers=boss,
    )
    assert r.status_code == 201, r.text
    await tablet.sync()
    end_text = tablet.replica.reference("equipment", world.equipment_id)["warranty_end"]
    assert end_text == "2028-05-01"
    fault_on = date(2027, 10, 1)  # after the default two years, within the contract's three
    proposal = propose_billing(JobKind.REPAIR, CauseCategory.NORMAL, date.fromisoformat(end_text), fault_on)
    assert (proposal.billable, proposal.reason) == (False, BillableReason.IN_WARRANTY)
    async with world.app.state.sessionmaker() as s:
        from server.db.models import Equipment

        server_end = (await s.get(Equipment, world.equipment_id)).warranty_end
    assert server_end == date(2028, 5, 1)
    assert contradiction(JobKind.REPAIR, False, BillableReason.IN_WARRANTY, server_end, fault_on) is None
