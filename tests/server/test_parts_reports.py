"""The daily and monthly parts report against figures worked out by hand, on SQLite and PostgreSQL, with
local (Asia/Shanghai) days, and its CSV and XLSX files.

The story of one part, in local time (UTC+8):

* 05-09 10:00  receive 10 at 5.00 (lot A)                    new store 10
* 05-10 09:00  receive 4 at 8.00 (lot B)                     new store 14
* 05-10 11:00  transfer 12 to 张伟's van: A 10, B 2           new 2, van 12
* 05-10 12:00  old part of job 1 handed in (1)               returned 1
* 05-10 15:00  张伟 uses 3 on job 1 (A: 15.00)                van 9
* 05-10 16:00  张伟 uses 10 on job 2 (A 7: 35.00, B 2: 16.00, 1 beyond the books)   van -1
* 05-11 01:30  count of the new store: 2 on the books, 1 found (B: -8.00)  -- 05-10 17:30 UTC, the 11th locally
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_sessionmaker
from server.db.models import JobPart, StockCount, Store
from server.stock.ledger import CountLine, Ledger
from server.stock.reports import parse_period
from shared.i18n import translate
from tests.support import World

CST = timezone(timedelta(hours=8))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=CST).astimezone(UTC)


async def story(world: World, engine: AsyncEngine) -> dict[str, Any]:
    job1 = await world.create_job(engineer="eng1")
    job2 = await world.create_job(engineer="eng1")
    part = world.part_id
    eng1 = world.users["eng1"]
    async with make_sessionmaker(engine)() as s:
        new = Store(id=uuid.uuid4(), kind="new", name="新件库", active=True)
        returned = Store(id=uuid.uuid4(), kind="returned", name="旧件库", active=True)
        s.add_all([new, returned])
        await s.flush()
        van = await Ledger(s).van_of(eng1, "张伟的车载库")
        await Ledger(s, now=local(9, 10)).receive(new.id, part, 10, unit_cost=5.0, at=local(9, 10))
        await Ledger(s, now=local(10, 9)).receive(new.id, part, 4, unit_cost=8.0, at=local(10, 9))
        await Ledger(s, now=local(10, 11)).transfer(new.id, van.id, part, 12)
        usage = JobPart(
            id=uuid.uuid4(),
            job_id=uuid.UUID(job1["id"]),
            part_id=part,
            quantity=1,
            old_part_returned=True,
            used_at=local(10, 10),
        )
        s.add(usage)
        await s.flush()
        await Ledger(s, now=local(10, 12)).return_old(returned.id, usage)
        ledger = Ledger(s, now=local(10, 15))
        await ledger.consume(
            van, part, 3, job_id=uuid.UUID(job1["id"]), usage_id=uuid.uuid4(), at=local(10, 15)
        )
        result = await ledger.consume(
            van, part, 10, job_id=uuid.UUID(job2["id"]), usage_id=uuid.uuid4(), at=local(10, 16)
        )
        assert result.shortfall == 1
        count = StockCount(id=uuid.uuid4(), store_id=new.id, counted_at=local(11, 1, 30))
        s.add(count)
        await s.flush()
        await Ledger(s, now=local(11, 1, 30)).count(new.id, [CountLine(part, 1, "破损")], count.id)
        await s.commit()
    return {"job1": job1["number"], "job2": job2["number"]}


async def get_report(world: World, **params: str) -> dict[str, Any]:
    r = await world.client.get("/api/reports/parts", params=params, headers=await world.login("warehouse"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        row[k]
        for k in (
            "opening",
            "received",
            "transferred_in",
            "transferred_out",
            "consumed",
            "returned",
            "adjusted",
            "closing",
            "opening_value",
            "received_value",
            "consumed_value",
            "closing_value",
        )
    )


async def test_day_and_month_figures(world: World, engine: AsyncEngine) -> None:
    jobs = await story(world, engine)
    day = await get_report(world, period="day", date="2026-05-10")
    assert (day["label"], day["timezone"]) == ("2026-05-10", "Asia/Shanghai")
    assert datetime.fromisoformat(day["from_at"]) == datetime(2026, 5, 9, 16, tzinfo=UTC)
    assert datetime.fromisoformat(day["to_at"]) == datetime(2026, 5, 10, 16, tzinfo=UTC)
    rows = {r["store_name"]: figures(r) for r in day["rows"]}
    #            open  rcv tin tout used ret adj close  open$  rcv$  used$  close$
    assert rows == {
        "新件库": (10, 4, 0, 12, 0, 0, 0, 2, 50.0, 32.0, 0.0, 16.0),
        "张伟的车载库": (0, 0, 12, 0, 13, 0, 0, -1, 0.0, 0.0, 66.0, 0.0),
        "旧件库": (0, 0, 0, 0, 0, 1, 0, 1, 0.0, 0.0, 0.0, 0.0),
    }
    assert [r["store_kind"] for r in day["rows"]] == ["new", "returned", "van"]
    assert [(c["engineer_name"], c["quantity"], c["value"], c["shortfall"]) for c in day["by_engineer"]] == [
        ("张伟", 13, 66.0, 1)
    ]
    by_job = {c["job_number"]: (c["quantity"], c["value"], c["shortfall"]) for c in day["by_job"]}
    assert by_job == {jobs["job1"]: (3, 15.0, 0), jobs["job2"]: (10, 51.0, 1)}

    # the count at 01:30 local on the 11th belongs to the 11th, though it is the 10th in UTC
    next_day = await get_report(world, period="day", date="2026-05-11")
    rows = {r["store_name"]: figures(r) for r in next_day["rows"]}
    assert rows["新件库"] == (2, 0, 0, 0, 0, 0, -1, 1, 16.0, 0.0, 0.0, 8.0)
    assert rows["张伟的车载库"][0] == rows["张伟的车载库"][7] == -1  # still short, nothing moved
    assert next_day["by_engineer"] == [] and next_day["by_job"] == []
    before = await get_report(world, period="day", date="2026-05-08")
    assert before["rows"] == []

    month = await get_report(world, period="month", date="2026-05")
    assert month["label"] == "2026-05"
    assert datetime.fromisoformat(month["from_at"]) == datetime(2026, 4, 30, 16, tzinfo=UTC)
    rows = {r["store_name"]: figures(r) for r in month["rows"]}
    assert rows["新件库"] == (0, 14, 0, 12, 0, 0, -1, 1, 0.0, 82.0, 0.0, 8.0)
    assert rows["张伟的车载库"] == (0, 0, 12, 0, 13, 0, 0, -1, 0.0, 0.0, 66.0, 0.0)
    assert month == await get_report(world, period="month", date="2026-05-20")
    june = await get_report(world, period="month", date="2026-06-01")
    assert {r["store_name"]: (r["opening"], r["closing"]) for r in june["rows"]} == {
        "新件库": (1, 1),
        "张伟的车载库": (-1, -1),
        "旧件库": (1, 1),
    }


async def test_bad_periods_are_refused_and_roles_checked(world: World) -> None:
    headers = await world.login("manager")
    for params in (
        {"period": "year"},
        {"period": "day", "date": "2026-02-30"},
        {"period": "day", "date": "2026-05"},
        {"period": "month", "date": "May"},
        {"period": "day", "date": "0001-01-01"},
        {"period": "month", "date": "9999-12"},
    ):
        r = await world.client.get("/api/reports/parts", params=params, headers=headers)
        assert r.status_code == 400, (params, r.text)
    r = await world.client.get("/api/reports/parts", headers=headers)  # today, empty
    assert r.status_code == 200 and r.json()["period"] == "day" and r.json()["rows"] == []
    for who, status in (("dispatcher", 200), ("qa", 200), ("eng1", 403)):
        r = await world.client.get("/api/reports/parts", headers=await world.login(who))
        assert r.status_code == status, who
    r = await world.client.get("/api/reports/parts/export/parts.pdf", headers=headers)
    assert r.status_code == 404
    r = await world.client.get("/api/reports/parts/export/parts.csv", params={"table": "x"}, headers=headers)
    assert r.status_code == 404


def test_period_boundaries_are_local() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    span = parse_period("month", "2026-12-31", tz, datetime.now(UTC))
    assert span.first_day.isoformat() == "2026-12-01"
    assert span.to_at == datetime(2027, 1, 1, tzinfo=tz)
    today = parse_period("day", None, tz, datetime(2026, 5, 10, 17, 0, tzinfo=UTC))
    assert today.label == "2026-05-11"  # 01:00 the next morning in Shanghai


async def test_exports(world: World, engine: AsyncEngine) -> None:
    jobs = await story(world, engine)
    headers = await world.login("warehouse")
    r = await world.client.get(
        "/api/reports/parts/export/parts.csv", params={"period": "day", "date": "2026-05-10"}, headers=headers
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="levee-parts-day-20260510.csv"' in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:6] == [
        translate("zh-CN", f"parts_report.col.{c}")
        for c in ("store", "store_kind", "part_code", "part_name", "unit", "opening")
    ]
    van = next(line for line in lines if line[0] == "张伟的车载库")
    assert van[1] == "车载库" and van[5:13] == ["0", "0", "12", "0", "13", "0", "0", "-1"]

    r = await world.client.get(
        "/api/reports/parts/export/parts.csv",
        params={"period": "day", "date": "2026-05-10", "table": "jobs", "lang": "en"},
        headers=headers,
    )
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Job"
    assert sorted((line[0], line[5], line[7]) for line in lines[1:]) == sorted(
        [(jobs["job1"], "3", "0"), (jobs["job2"], "10", "1")]
    )

    r = await world.client.get(
        "/api/reports/parts/export/parts.xlsx", params={"period": "month", "date": "2026-05"}, headers=headers
    )
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == [
        translate("zh-CN", f"parts_report.title.{t}") for t in ("stores", "engineers", "jobs")
    ]
    cells = list(book.worksheets[0].iter_rows(values_only=True))
    assert cells[1][:2] == (translate("zh-CN", "parts_report.filter.period"), "2026-05 月报")
    new = next(row for row in cells if row and row[0] == "新件库")
    assert new[5:17] == (0, 14, 0, 12, 0, 0, -1, 1, 0, 82, 0, 8)
    engineers = [row for row in book.worksheets[1].iter_rows(values_only=True) if row and row[0] == "张伟"]
    assert [(row[4], row[5], row[6]) for row in engineers] == [(13, 66, 1)]
