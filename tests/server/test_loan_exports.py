"""Backup loans leftovers on both databases: a unit still out after its job closed is counted in the SLA
report (and its export); the loan history of one unit, one customer or all is exported as CSV or XLSX with
every text cell neutralised (a note typed as a formula stays text)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from tests.support import World


async def _lend(world: World, desk: dict[str, str], job: str, serial: str, note: str = "") -> str:
    unit = await world.client.post(
        "/api/backup-units",
        json={"category": "generator_set", "model": "30GF", "serial_no": serial},
        headers=await world.login("warehouse"),
    )
    assert unit.status_code == 201, unit.text
    lent_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = await world.client.post(
        "/api/loans",
        json={"job_id": job, "unit_id": unit.json()["id"], "lent_at": lent_at, "note": note},
        headers=desk,
    )
    assert r.status_code == 201, r.text
    return str(unit.json()["id"])


async def test_a_unit_out_after_its_job_closed_is_counted_in_the_sla_report(world: World) -> None:
    desk, manager = await world.login("dispatcher"), await world.login("manager")
    job = (await world.create_job(engineer="eng1"))["id"]
    other = (await world.create_job(engineer="eng1"))["id"]
    await _lend(world, desk, job, "FD-OUT")
    await _lend(world, desk, other, "FD-OK")
    before = (await world.client.get("/api/reports/sla", headers=manager)).json()["backup"]
    assert before["out_after_close"] == 0
    assert (
        await world.client.post(f"/api/jobs/{job}/cancel", json={"reason": "撤销"}, headers=desk)
    ).status_code == 200
    after = (await world.client.get("/api/reports/sla", headers=manager)).json()["backup"]
    assert after["out_after_close"] == 1
    exported = await world.client.get("/api/exports/sla.csv", params={"lang": "en"}, headers=manager)
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[-1][:2] == ["Backup units still out (job closed or cancelled)", "1"]


async def test_loan_history_exports_per_unit_and_customer_with_cells_neutralised(world: World) -> None:
    desk = await world.login("dispatcher")
    mine = (await world.create_job(engineer="eng1"))["id"]
    theirs = (
        await world.create_job(
            engineer="eng2",
            customer_id=str(world.other_customer_id),
            site_id=str(world.other_site_id),
            equipment_id=None,
        )
    )["id"]
    unit = await _lend(world, desk, mine, "FD-X1", note='=HYPERLINK("http://evil","点我")')
    await _lend(world, desk, theirs, "FD-X2", note="-2+3")

    qa = await world.login("qa")  # any office role reads and exports
    r = await world.client.get("/api/loans/export.csv", params={"lang": "en"}, headers=qa)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and ".csv" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Backup unit", "Job", "Job status", "Customer"]
    notes = {row[0]: row[7] for row in rows[1:]}
    assert notes == {"30GF FD-X1": '\'=HYPERLINK("http://evil","点我")', "30GF FD-X2": "'-2+3"}

    per_unit = await world.client.get("/api/loans/export.csv", params={"unit_id": unit}, headers=qa)
    assert [row[0] for row in csv.reader(io.StringIO(per_unit.content.decode("utf-8-sig")))][1:] == [
        "30GF FD-X1"
    ]
    assert [
        x["unit_id"]
        for x in (await world.client.get("/api/loans", params={"unit_id": unit}, headers=qa)).json()
    ] == [unit]

    per_customer = await world.client.get(
        "/api/loans/export.xlsx", params={"customer_id": str(world.other_customer_id)}, headers=qa
    )
    assert per_customer.status_code == 200, per_customer.text
    sheet = load_workbook(io.BytesIO(per_customer.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "备用设备借用记录"
    assert ("客户", "南丰县防汛办") in [tuple(v[:2]) for v in values]
    data = [v for v in values if v and v[0] == "30GF FD-X2"]
    assert len(data) == 1 and data[0][7] == "'-2+3"
    assert not [v for v in values if v and v[0] == "30GF FD-X1"]

    bad = await world.client.get("/api/loans/export.pdf", headers=qa)
    assert bad.status_code in (400, 404)
    engineer = await world.login("eng1")
    assert (await world.client.get("/api/loans/export.xlsx", headers=engineer)).status_code == 403
