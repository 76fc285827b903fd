"""Warranty certificates and maintenance agreements corrected through PATCH on both databases, with the
rules they were recorded with: numbers unique, scope and period required, the period in order (also when
only one end is sent), the fee decimal to the fen; a refused correction changes nothing; every correction
is audited with before and after; only the manager and administrator correct them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.db.models import AuditEntry
from tests.support import World

CERTIFICATE = {
    "number": "ZLBX-2024-010",
    "issued_on": "2024-03-01",
    "scope": "排涝泵12台的制造质量问题",
    "starts_on": "2024-03-01",
    "ends_on": "2026-02-28",
    "responsibility": "保修期内免费维修",
}
AGREEMENT = {
    "number": "WHXY-2026-010",
    "scope": "全部排涝设备",
    "fee": "36800.10",
    "fee_terms": "按季度收取",
    "starts_on": "2026-03-01",
    "ends_on": "2029-02-28",
}


async def _contract(world: World, boss: dict[str, str]) -> str:
    r = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.customer_id), "number": "HT-2024-010", "starts_on": "2024-03-01"},
        headers=boss,
    )
    assert r.status_code == 201, r.text
    return f"/api/contracts/{r.json()['id']}"


async def _updates(world: World) -> list[dict[str, Any]]:
    async with world.app.state.sessionmaker() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
        return [
            r.detail | {"action": r.action}
            for r in rows
            if r.action.endswith((".certificate.update", ".agreement.update"))
        ]


async def test_a_certificate_is_corrected_with_the_rules_it_was_recorded_with(world: World) -> None:
    boss = await world.login("manager")
    base = await _contract(world, boss)
    made = await world.client.post(f"{base}/certificates", json=CERTIFICATE, headers=boss)
    other = await world.client.post(
        f"{base}/certificates", json={**CERTIFICATE, "number": "ZLBX-OTHER"}, headers=boss
    )
    assert made.status_code == other.status_code == 201
    url = f"{base}/certificates/{made.json()['id']}"
    r = await world.client.patch(
        url, json={"ends_on": "2027-02-28", "scope": " 排涝泵12台、发电机组2台 "}, headers=boss
    )
    assert r.status_code == 200, r.text
    assert r.json()["ends_on"] == "2027-02-28" and r.json()["scope"] == "排涝泵12台、发电机组2台"
    assert r.json()["number"] == "ZLBX-2024-010" and r.json()["responsibility"] == "保修期内免费维修"

    for bad, status in (
        ({"number": "ZLBX-OTHER"}, 409),
        ({"ends_on": "2024-01-01"}, 422),  # before the start it keeps
        ({"starts_on": "2028-01-01"}, 422),  # after the end it keeps
        ({"starts_on": "2025-01-01", "ends_on": "2024-01-01"}, 400),
        ({"scope": "  "}, 400),
        ({"scope": None}, 422),
        ({"number": None}, 422),
        ({"ends_on": None}, 422),
        ({"colour": "red"}, 400),
    ):
        answer = await world.client.patch(url, json=bad, headers=boss)
        assert answer.status_code == status, (bad, answer.text)
        assert "code" in answer.json() or status == 400, answer.text
    read = await world.client.get(base, headers=boss)
    kept = next(c for c in read.json()["certificates"] if c["id"] == made.json()["id"])
    assert (kept["starts_on"], kept["ends_on"], kept["number"]) == (
        "2024-03-01",
        "2027-02-28",
        "ZLBX-2024-010",
    )

    elsewhere = await world.client.patch(
        f"{base}/certificates/00000000-0000-7000-8000-000000000000", json={"scope": "x"}, headers=boss
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "contract.certificate_not_found"
    desk = await world.login("dispatcher")
    assert (await world.client.patch(url, json={"scope": "x"}, headers=desk)).status_code == 403

    updates = await _updates(world)
    assert len(updates) == 1
    assert updates[0]["changes"]["ends_on"] == ["2026-02-28", "2027-02-28"]
    assert updates[0]["number"] == "ZLBX-2024-010" and "number" not in updates[0]["changes"]


async def test_an_agreement_is_corrected_and_its_fee_stays_decimal(world: World) -> None:
    boss = await world.login("manager")
    base = await _contract(world, boss)
    made = await world.client.post(f"{base}/agreements", json=AGREEMENT, headers=boss)
    assert made.status_code == 201, made.text
    url = f"{base}/agreements/{made.json()['id']}"
    r = await world.client.patch(url, json={"fee": "40000.05", "fee_terms": "按年收取"}, headers=boss)
    assert r.status_code == 200, r.text
    assert r.json()["fee"] == "40000.05" and r.json()["scope"] == "全部排涝设备"
    for fee in ("NaN", "Infinity", "-1", "1.005", "1e20", None):
        bad = await world.client.patch(url, json={"fee": fee}, headers=boss)
        assert 400 <= bad.status_code < 500, (fee, bad.text)
    read = await world.client.get(base, headers=boss)
    assert read.json()["agreements"][0]["fee"] == "40000.05"
    noop = await world.client.patch(url, json={"fee": "40000.05"}, headers=boss)
    assert noop.status_code == 200
    wrong_contract = await world.client.post(
        "/api/contracts",
        json={"customer_id": str(world.other_customer_id), "number": "HT-OTHER", "starts_on": "2024-01-01"},
        headers=boss,
    )
    moved = await world.client.patch(
        f"/api/contracts/{wrong_contract.json()['id']}/agreements/{made.json()['id']}",
        json={"fee": "1"},
        headers=boss,
    )
    assert moved.status_code == 404 and moved.json()["code"] == "contract.agreement_not_found"
    updates = await _updates(world)
    assert [u["action"] for u in updates] == ["contract.agreement.update"]  # the unchanged one wrote nothing
    assert updates[0]["changes"]["fee"] == ["36800.10", "40000.05"]


async def test_an_agreements_repair_discount_is_corrected_within_0_to_100_percent(world: World) -> None:
    """优惠收费: the agreement's discount on paid repairs is corrected like its other fields; a percent
    outside 0-100 or finer than a hundredth is refused and nothing changes."""
    boss = await world.login("manager")
    base = await _contract(world, boss)
    made = await world.client.post(f"{base}/agreements", json=AGREEMENT, headers=boss)
    assert made.status_code == 201, made.text
    url = f"{base}/agreements/{made.json()['id']}"
    r = await world.client.patch(url, json={"repair_discount_pct": "8.5"}, headers=boss)
    assert r.status_code == 200, r.text
    assert Decimal(r.json()["repair_discount_pct"]) == Decimal("8.5")
    for pct in ("-1", "100.01", "8.555", "NaN", None):
        bad = await world.client.patch(url, json={"repair_discount_pct": pct}, headers=boss)
        assert 400 <= bad.status_code < 500, (pct, bad.text)
    read = await world.client.get(base, headers=boss)
    assert Decimal(read.json()["agreements"][0]["repair_discount_pct"]) == Decimal("8.5")
    updates = await _updates(world)
    assert [Decimal(v) for v in updates[-1]["changes"]["repair_discount_pct"]] == [0, Decimal("8.5")]
