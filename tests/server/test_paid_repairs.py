"""Paid repairs (有偿维修、优惠收费) on both databases, through real sync and the office's HTTP API.

A billable repair's quote is made on the tablet offline (labour, the parts used at their list price,
travel, the contract's discount), accepted with the customer's signature, pushed, recomputed by the
server with the same rule; a quote on a free repair is refused (``not_billable``); a second quote after
acceptance is kept for review and never replaces the accepted one. The office issues the charge, records
payments (never more than owed), and reads the paid-repairs report and the three-guarantee summary, with
their CSV/XLSX exports.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from server.db.models import JobQuote
from tests.conftest import DeviceFactory
from tests.pdf import pdf_text, squeezed
from tests.support import World
from ui.logic.explain import explain_rejection

SIGNATURE = "M 10 10 L 40 40 L 80 12"


async def _agreement(world: World, discount: str) -> None:
    """The customer's maintenance agreement, running today, with a repair discount (优惠收费)."""
    boss = await world.login("manager")
    today = datetime.now(UTC).date()
    contract = await world.client.post(
        "/api/contracts",
        json={
            "customer_id": str(world.customer_id),
            "number": f"HT-{uuid.uuid4().hex[:6]}",
            "starts_on": (today - timedelta(days=400)).isoformat(),
        },
        headers=boss,
    )
    assert contract.status_code == 201, contract.text
    r = await world.client.post(
        f"/api/contracts/{contract.json()['id']}/agreements",
        json={
            "number": f"WHXY-{uuid.uuid4().hex[:6]}",
            "scope": "全部排涝设备",
            "fee": "36800.00",
            "fee_terms": "按季度收取，专项维修优惠收费",
            "starts_on": (today - timedelta(days=30)).isoformat(),
            "ends_on": (today + timedelta(days=700)).isoformat(),
            "repair_discount_pct": discount,
        },
        headers=boss,
    )
    assert r.status_code == 201, r.text
    assert r.json()["repair_discount_pct"] == discount


async def _quotes(world: World) -> list[JobQuote]:
    async with world.app.state.sessionmaker() as s:
        return list((await s.scalars(select(JobQuote).order_by(JobQuote.received_at))).all())


async def test_a_quote_made_offline_is_accepted_charged_and_paid_to_the_fen(
    world: World, new_device: DeviceFactory
) -> None:
    await _agreement(world, "12.50")
    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    free_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    tablet = await new_device("eng1")
    await tablet.sync()
    assert tablet.replica.job(job_id)["repair_discount_pct"] == "12.50"  # offline, from the agreement

    tablet.offline()
    tablet.actions.edit(job_id, billable=True, billable_reason="man_made", cause="泵体被外力砸裂")
    tablet.actions.use_part(job_id, world.part_id, 2)  # 机械密封, list price 380.00
    lines = tablet.actions.quote_lines(job_id, "2.5", "120")
    money = tablet.actions.quote_figures(job_id, lines)
    # labour 2.5 h × 180.00 = 450.00; parts 2 × 380.00 = 760.00; travel 120.00 → 1330.00; 12.5 % = 166.25
    assert money == {"discount_pct": "12.50", "subtotal": "1330.00", "discount": "166.25", "total": "1163.75"}
    quote = tablet.actions.make_quote(job_id, labour_hours="2.5", travel="120", signature=SIGNATURE)
    [shown] = tablet.replica.job(job_id)["quotes"]
    assert (shown["status"], shown["figures"]["total"]) == ("accepted", "1163.75")
    # a free repair cannot be quoted: the tablet says so, and a forged push is refused by the server
    tablet.actions.edit(free_id, billable=False, billable_reason="in_warranty")
    forged = tablet.replica.record(
        quote.name, {**quote.args, "job_id": str(free_id), "quote_id": str(uuid.uuid4())}
    )
    assert await _quotes(world) == []

    tablet.online()
    await tablet.sync()
    [stored] = await _quotes(world)
    assert stored.id == uuid.UUID(quote.args["quote_id"]) and stored.status == "accepted"
    assert (stored.total, stored.discount, stored.subtotal) == (
        Decimal("1163.75"),
        Decimal("166.25"),
        Decimal("1330.00"),
    )
    [refused] = tablet.replica.rejections()
    assert (refused.mutation.id, refused.reason) == (forged.id, "not_billable")
    assert "免费" in explain_rejection("zh-CN", "quote.make", refused.reason, refused.message, "")

    # after acceptance, another quote does not replace it: it waits for the office's review
    tablet.actions.make_quote(job_id, labour_hours="1", signature=SIGNATURE)
    await tablet.sync()
    statuses = sorted((q.status, q.review_reason) for q in await _quotes(world))
    assert statuses == [("accepted", ""), ("review", "after_acceptance")]

    desk = await world.login("dispatcher")
    # the printed service form shows the accepted quote, not the one kept for review
    pdf = await world.client.get(f"/api/jobs/{job_id}/form.pdf", headers=desk)
    assert pdf.status_code == 200
    printed = squeezed(pdf_text(pdf.content))
    assert "有偿维修报价" in printed and "¥1163.75" in printed and "合同优惠（12.50%）" in printed
    assert (
        "¥166.25" in printed and "用户已签字确认" in printed and "¥157.50" not in printed
    )  # the review quote's total
    form = (await world.client.get(f"/api/jobs/{job_id}/form", headers=desk)).json()
    assert form["quote"]["total"] == "1163.75" and form["quote"]["status"] == "accepted"
    listed = (await world.client.get(f"/api/paid/quotes?job_id={job_id}", headers=desk)).json()
    accepted = next(q for q in listed if q["status"] == "accepted")
    assert accepted["total"] == "1163.75" and accepted["signed"] is True
    assert [line["kind"] for line in accepted["lines"]] == ["labour", "part", "travel"]
    review = next(q for q in listed if q["status"] == "review")
    no = await world.client.post(f"/api/paid/quotes/{review['id']}/charge", json={}, headers=desk)
    assert no.status_code == 409 and no.json()["code"] == "charge.not_accepted"
    qa = await world.client.post(
        f"/api/paid/quotes/{accepted['id']}/charge", json={}, headers=await world.login("qa")
    )
    assert qa.status_code == 403

    charge = await world.client.post(
        f"/api/paid/quotes/{accepted['id']}/charge", json={"note": "维修后开票"}, headers=desk
    )
    assert charge.status_code == 201, charge.text
    assert (charge.json()["amount"], charge.json()["status"]) == ("1163.75", "issued")
    again = await world.client.post(f"/api/paid/quotes/{accepted['id']}/charge", json={}, headers=desk)
    assert again.status_code == 409 and again.json()["code"] == "charge.exists"

    pay = f"/api/paid/charges/{charge.json()['id']}/payments"
    today = date.today().isoformat()
    first = await world.client.post(
        pay, json={"amount": "1000.00", "method": "bank_transfer", "paid_on": today}, headers=desk
    )
    assert first.status_code == 201, first.text
    for bad, status in (
        ({"amount": "163.76", "method": "cash", "paid_on": today}, 409),  # one fen over what is owed
        ({"amount": "0", "method": "cash", "paid_on": today}, 400),
        ({"amount": "1.005", "method": "cash", "paid_on": today}, 400),
        ({"amount": "NaN", "method": "cash", "paid_on": today}, 400),
        ({"amount": "1", "method": "barter", "paid_on": today}, 400),
        ({"amount": "1", "method": "cash", "paid_on": "2999-01-01"}, 400),  # the dates any body may carry
        ({"amount": "1", "method": "cash", "paid_on": (date.today() + timedelta(days=30)).isoformat()}, 422),
    ):
        r = await world.client.post(pay, json=bad, headers=desk)
        assert r.status_code == status, (bad, r.text)
    rest = await world.client.post(
        pay, json={"amount": "163.75", "method": "cash", "paid_on": today}, headers=desk
    )
    assert rest.status_code == 201, rest.text
    [now] = (await world.client.get("/api/paid/quotes?status=accepted", headers=desk)).json()
    assert (now["charge"]["paid"], now["charge"]["status"]) == ("1163.75", "paid")

    boss = await world.login("manager")
    month = (await world.client.get("/api/paid/reports/paid-repairs?by=month", headers=boss)).json()
    assert [(r["quotes"], r["quoted"], r["charged"], r["paid"]) for r in month] == [
        (1, "1163.75", "1163.75", "1163.75")
    ]
    cause = (await world.client.get("/api/paid/reports/paid-repairs?by=cause", headers=boss)).json()
    assert [(r["key"], r["label"]) for r in cause] == [("man_made", "人为损坏")]
    summary = (await world.client.get("/api/paid/reports/three-guarantee?by=cause", headers=boss)).json()
    counts = {r["key"]: (r["free"], r["paid"], r["undecided"]) for r in summary}
    assert counts["man_made"] == (0, 1, 0) and counts["in_warranty"] == (1, 0, 0)
    models = (await world.client.get("/api/paid/reports/three-guarantee?by=model", headers=boss)).json()
    assert [(r["label"], r["free"], r["paid"]) for r in models] == [("QSZ-1500 潜水排涝泵", 1, 1)]
    csv = await world.client.get("/api/paid/exports/paid-repairs.csv?by=customer&lang=en", headers=boss)
    assert csv.status_code == 200 and "1163.75" in csv.text and "临川区水利局" in csv.text
    xlsx = await world.client.get("/api/paid/exports/three-guarantee.xlsx?by=model", headers=boss)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and any("QSZ-1500" in str(c.value) for row in sheet.iter_rows() for c in row)
    unknown = await world.client.get("/api/paid/exports/paid-repairs.pdf", headers=boss)
    assert unknown.status_code == 404
    eng = await world.client.get("/api/paid/reports/paid-repairs", headers=await world.login("warehouse"))
    assert eng.status_code == 403


async def test_a_quote_whose_figures_differ_from_the_price_list_is_kept_for_review(
    world: World, new_device: DeviceFactory
) -> None:
    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    tablet = await new_device("eng1")
    await tablet.sync()
    tablet.actions.edit(job_id, billable=True, billable_reason="misuse")
    # a tablet whose price list was stale: the part at 300.00 instead of 380.00, no agreement → 0 %
    quote = tablet.replica.record(
        tablet.actions.make_quote(job_id, labour_hours="1").name,
        {
            "job_id": str(job_id),
            "quote_id": str(uuid.uuid4()),
            "lines": [
                {"kind": "part", "part_id": str(world.part_id), "quantity": "1", "unit_price": "300.00"}
            ],
            "discount_pct": "0",
            "total": "300.00",
            "quoted_at": datetime.now(UTC).isoformat(),
            "signature": SIGNATURE,
        },
    )
    await tablet.sync()
    quotes = {q.id: q for q in await _quotes(world)}
    odd = quotes[uuid.UUID(quote.args["quote_id"])]
    assert (odd.status, odd.review_reason) == ("review", "figures_differ")
    assert (odd.total, odd.device_total) == (Decimal("380.00"), Decimal("300.00"))  # the server's price list
    others = [q for q in quotes.values() if q is not odd]
    assert [(q.status, q.total) for q in others] == [("offered", Decimal("180.00"))]  # unsigned: offered
