"""Shipments of parts through real sync (SQLite and PostgreSQL): a shipment sent by the warehouse reaches the
engineer's tablet, the engineer receives it offline, and when the receipt arrives the units move from the
transit store into the van through the ledger at the tablet's time; a shipment waiting for a manager never
reaches the tablet, and one the office received in between refuses the tablet's receipt in words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from server.db.models import Shipment, StockMovement
from tests.conftest import DeviceFactory
from tests.server.test_stock_api import balance_of, h, new_part, open_stores, receive
from tests.support import World
from ui.logic.explain import explain_rejection


async def _ship(world: World, s: dict[str, Any], part: str, n: int) -> dict[str, Any]:
    r = await world.client.post(
        "/api/stock/shipments",
        json={
            "from_store_id": s["new"]["id"],
            "engineer_id": s["eng1"]["engineer_id"],
            "part_id": part,
            "quantity": n,
            "courier": "顺丰",
            "tracking_no": "SF100",
            "site": "樟树泵站",
        },
        headers=await h(world),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_a_shipment_received_offline_moves_into_the_van_at_the_tablets_time(
    world: World, new_device: DeviceFactory
) -> None:
    s = await open_stores(world)
    part = await new_part(world, "P-SHIP", "机械密封")
    await receive(world, s["new"]["id"], part, 10, 80)
    tablet = await new_device("eng1")
    other = await new_device("eng2")
    shipment = await _ship(world, s, part, 4)
    await tablet.sync()
    await other.sync()
    assert other.actions.shipments() == []  # another engineer's shipment is not theirs to see
    [seen] = tablet.actions.shipments()
    assert (seen["id"], seen["status"], seen["part_name"], seen["quantity"]) == (
        shipment["id"],
        "in_transit",
        "机械密封",
        4,
    )

    tablet.offline()
    received_at = datetime.now(UTC) - timedelta(hours=2)
    tablet.actions.clock = lambda: received_at
    tablet.actions.receive_shipment(shipment["id"])
    assert tablet.actions.shipments()[0]["receiving"] is True  # shown as received, not yet sent
    assert await balance_of(world, s["eng1"]["id"], part) == 0  # nothing left the tablet yet

    tablet.online()
    assert await tablet.runner.push() == 1  # sent and acknowledged, the shipment not pulled back yet:
    [seen] = tablet.actions.shipments()  # still received on screen, its 签收 button not back
    assert (seen["status"], seen["receiving"]) == ("in_transit", True)
    await tablet.sync()
    assert await balance_of(world, s["eng1"]["id"], part) == 4
    async with world.app.state.sessionmaker() as db:
        row = await db.get(Shipment, uuid.UUID(shipment["id"]))
        assert row is not None and row.status == "received"
        assert row.received_at is not None
        assert abs(row.received_at.replace(tzinfo=UTC) - received_at) < timedelta(milliseconds=1)
        moved = (
            await db.scalars(
                select(StockMovement).where(StockMovement.store_id == uuid.UUID(s["eng1"]["id"]))
            )
        ).all()
        assert [m.kind for m in moved] == ["transfer_in"] and moved[0].device_id is not None
    await tablet.sync()
    assert tablet.actions.shipments()[0]["status"] == "received"
    assert tablet.actions.in_van(part) == 4  # the van's pulled balance has the units


async def test_a_pending_shipment_stays_off_the_tablet_and_an_office_receipt_refuses_the_tablets(
    world: World, new_device: DeviceFactory
) -> None:
    s = await open_stores(world)
    part = await new_part(world, "P-SHIP2")
    await receive(world, s["new"]["id"], part, 10, 80)
    world.app.state.settings = world.app.state.settings.model_copy(update={"parts_approval": True})
    r = await world.client.post(
        "/api/stock/approval/rules",
        json={"kind": "issue", "min_quantity": 5},
        headers=await h(world, "manager"),
    )
    assert r.status_code == 200, r.text
    waiting = await _ship(world, s, part, 6)
    assert waiting["status"] == "pending"
    sent = await _ship(world, s, part, 1)
    tablet = await new_device("eng1")
    await tablet.sync()
    assert [x["id"] for x in tablet.actions.shipments()] == [sent["id"]]  # the pending one is not there

    tablet.offline()
    tablet.actions.receive_shipment(sent["id"])
    office = await world.client.post(
        f"/api/stock/shipments/{sent['id']}/receive", json={}, headers=await h(world)
    )
    assert office.status_code == 200, office.text
    tablet.online()
    await tablet.sync()  # received already: the tablet's receipt changes nothing, and is not refused
    assert tablet.replica.rejections() == []
    assert await balance_of(world, s["eng1"]["id"], part) == 1

    # a receipt of a shipment a manager rejected in between is refused, in words
    other = await _ship(world, s, part, 2)
    await tablet.sync()
    tablet.offline()
    tablet.actions.receive_shipment(other["id"])
    async with world.app.state.sessionmaker() as db:
        row = await db.get(Shipment, uuid.UUID(other["id"]))
        assert row is not None
        row.status = "rejected"  # as if recalled: the office took it back
        await db.commit()
    tablet.online()
    await tablet.sync()
    [refused] = tablet.replica.rejections()
    assert refused.reason == "shipment_not_in_transit"
    assert "不在途" in explain_rejection("zh-CN", "shipment.receive", refused.reason, refused.message, "")
