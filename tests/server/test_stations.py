"""Service stations and regions (售后服务站、特约维修点) on both databases: managers keep stations, their
area and their engineers; dispatch proposes the site's station's engineers first with the distance (or
the region); the SLA and response-time reports filter and group by station, and the SLA file neutralises
a station's name; bad input is a readable 4xx and only managers and administrators change anything."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from server.db.models import AuditEntry, Customer, Region, ServiceStation, User
from server.reports.filters import ReportFilters
from server.reports.service import ReportService
from server.seed.demo import seed_demo
from shared.stations import haversine_km
from tests.support import World

WUHAN = (30.5928, 114.3055)
JIUJIANG = (29.7050, 116.0019)


async def _station(world: World, name: str, **body: Any) -> dict[str, Any]:
    r = await world.client.post(
        "/api/stations", json={"name": name, **body}, headers=await world.login("manager")
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _network(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """武汉服务站 (eng1) covering the world's customer; 九江特约维修点 (eng2) with no area yet."""
    m = await world.login("manager")
    wuhan = await _station(world, "武汉服务站", address="武汉市江岸区", latitude=WUHAN[0], longitude=WUHAN[1])
    jiujiang = await _station(
        world, "九江特约维修点", kind="repair_point", latitude=JIUJIANG[0], longitude=JIUJIANG[1]
    )
    for station, user in ((wuhan, "eng1"), (jiujiang, "eng2")):
        r = await world.client.put(
            f"/api/stations/{station['id']}/engineers",
            json={"engineer_ids": [str(world.users[user])]},
            headers=m,
        )
        assert r.status_code == 200, r.text
    r = await world.client.post("/api/regions", json={"name": "抚州市", "station_id": wuhan["id"]}, headers=m)
    assert r.status_code == 201, r.text
    r = await world.client.put(
        f"/api/regions/{r.json()['id']}/places", json={"customer_ids": [str(world.customer_id)]}, headers=m
    )
    assert r.status_code == 200, r.text
    assert r.json()["customer_ids"] == [str(world.customer_id)]
    return wuhan, jiujiang


async def test_a_manager_keeps_stations_their_area_and_engineers_audited(world: World) -> None:
    wuhan, jiujiang = await _network(world)
    m = await world.login("manager")
    listed = (await world.client.get("/api/stations", headers=await world.login("dispatcher"))).json()
    assert [s["name"] for s in listed] == ["九江特约维修点", "武汉服务站"]
    one = (await world.client.get(f"/api/stations/{wuhan['id']}", headers=m)).json()
    assert one["kind"] == "station" and [e["username"] for e in one["engineers"]] == ["eng1"]
    assert [r["name"] for r in one["regions"]] == ["抚州市"]
    # eng1 moves to 九江: named there, so gone from 武汉
    r = await world.client.put(
        f"/api/stations/{jiujiang['id']}/engineers",
        json={"engineer_ids": [str(world.users["eng1"]), str(world.users["eng2"])]},
        headers=m,
    )
    assert sorted(e["username"] for e in r.json()["engineers"]) == ["eng1", "eng2"]
    assert (await world.client.get(f"/api/stations/{wuhan['id']}", headers=m)).json()["engineers"] == []
    r = await world.client.patch(
        f"/api/stations/{wuhan['id']}",
        json={"phone": "027-8888", "latitude": None, "longitude": None},
        headers=m,
    )
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "027-8888" and r.json()["latitude"] is None
    async with world.app.state.sessionmaker() as s:
        actions = set(await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "station")))
    assert {"station.create", "station.engineers", "station.update"} <= actions


async def test_bad_input_is_a_readable_4xx_and_only_managers_change(world: World) -> None:
    wuhan, _ = await _network(world)
    m = await world.login("manager")
    cases = [
        ("post", "/api/stations", {"name": "武汉服务站"}, 409, "station.name_taken"),
        ("post", "/api/stations", {"name": "新站", "latitude": 30.1}, 422, "station.half_position"),
        ("post", "/api/stations", {"name": "新站", "latitude": 91, "longitude": 1}, 400, None),
        ("post", "/api/stations", {"name": ""}, 400, None),
        ("patch", f"/api/stations/{wuhan['id']}", {"name": None}, 422, "field.not_null"),
        ("patch", f"/api/stations/{wuhan['id']}", {"longitude": None}, 422, "station.half_position"),
        (
            "put",
            f"/api/stations/{wuhan['id']}/engineers",
            {"engineer_ids": [str(world.users["qa"])]},
            422,
            "station.not_engineers",
        ),
        (
            "put",
            "/api/stations/00000000-0000-0000-0000-000000000000/engineers",
            {"engineer_ids": []},
            404,
            "station.not_found",
        ),
        ("post", "/api/regions", {"name": "抚州市"}, 409, "region.name_taken"),
        (
            "post",
            "/api/regions",
            {"name": "南昌市", "station_id": "00000000-0000-0000-0000-000000000000"},
            404,
            "station.not_found",
        ),
        ("put", f"/api/regions/{'0' * 8}-0000-0000-0000-{'0' * 12}/places", {}, 404, "region.not_found"),
    ]
    for method, url, body, status, code in cases:
        r = await world.client.request(method.upper(), url, json=body, headers=m)
        assert r.status_code == status, (url, body, r.text)
        if code:
            assert r.json()["code"] == code, r.text
            assert r.json()["detail"]
    regions = (await world.client.get("/api/regions", headers=m)).json()
    r = await world.client.put(
        f"/api/regions/{regions[0]['id']}/places",
        json={"site_ids": ["00000000-0000-0000-0000-000000000001"]},
        headers=m,
    )
    assert r.status_code == 404 and r.json()["code"] == "site.not_found"
    for user in ("dispatcher", "qa", "eng1"):
        r = await world.client.post("/api/stations", json={"name": "无权"}, headers=await world.login(user))
        assert r.status_code in (403, 404), (user, r.text)
        r = await world.client.patch(
            f"/api/stations/{wuhan['id']}", json={"phone": "1"}, headers=await world.login(user)
        )
        assert r.status_code in (403, 404), (user, r.text)
    r = await world.client.get("/api/stations", headers=await world.login("eng1"))
    assert r.status_code in (403, 404)
    r = await world.client.post(
        "/api/stations", json={"name": "总部服务站"}, headers=await world.login("admin")
    )
    assert r.status_code == 201


async def test_dispatch_proposes_the_sites_station_first_with_distance_or_region(world: World) -> None:
    d = await world.login("dispatcher")
    plain = (await world.client.get("/api/console/engineers", headers=d)).json()
    assert all(e["place"]["station_id"] is None for e in plain)  # no stations yet
    _, jiujiang = await _network(world)
    proposed = (
        await world.client.get("/api/console/engineers", params={"site_id": str(world.site_id)}, headers=d)
    ).json()
    assert [e["username"] for e in proposed] == ["eng1", "eng2"]  # 武汉服务站 covers the site
    first = proposed[0]["place"]
    assert first["station_name"] == "武汉服务站" and first["covers_site"] is True
    assert first["distance_km"] is None and first["site_region"] == "抚州市"  # the site has no position
    # the site gets a position near 九江: the distance shows (haversine, 0.1 km)
    r = await world.client.patch(
        f"/api/sites/{world.site_id}", json={"latitude": 29.66, "longitude": 116.0}, headers=d
    )
    assert r.status_code == 200, r.text
    proposed = (
        await world.client.get("/api/console/engineers", params={"site_id": str(world.site_id)}, headers=d)
    ).json()
    assert [e["username"] for e in proposed] == [
        "eng1",
        "eng2",
    ]  # the covering station first, even if farther
    km = {e["username"]: e["place"]["distance_km"] for e in proposed}
    assert km["eng2"] == round(haversine_km(29.66, 116.0, *JIUJIANG), 1) and km["eng2"] < 10
    assert km["eng1"] == round(haversine_km(29.66, 116.0, *WUHAN), 1) and 150 < km["eng1"] < 250
    # the region goes to 九江: its engineer comes first now
    m = await world.login("manager")
    region = (await world.client.get("/api/regions", headers=m)).json()[0]
    r = await world.client.patch(
        f"/api/regions/{region['id']}", json={"station_id": jiujiang["id"]}, headers=m
    )
    assert r.status_code == 200, r.text
    proposed = (
        await world.client.get("/api/console/engineers", params={"site_id": str(world.site_id)}, headers=d)
    ).json()
    assert [e["username"] for e in proposed] == ["eng2", "eng1"]
    assert proposed[0]["place"]["covers_site"] and not proposed[1]["place"]["covers_site"]
    r = await world.client.get(
        "/api/console/engineers", params={"site_id": "00000000-0000-0000-0000-000000000001"}, headers=d
    )
    assert r.status_code == 404 and r.json()["code"] == "site.not_found"


def test_haversine() -> None:
    assert haversine_km(*WUHAN, *WUHAN) == 0
    assert 190 < haversine_km(*WUHAN, *JIUJIANG) < 205  # 武汉 to 九江, about 197 km as the crow flies


async def test_reports_filter_and_group_by_station(world: World) -> None:
    wuhan, jiujiang = await _network(world)
    m = await world.login("manager")
    r = await world.client.patch(
        f"/api/stations/{wuhan['id']}", json={"name": '=HYPERLINK("x")武汉'}, headers=m
    )
    assert r.status_code == 200
    await world.create_job(engineer="eng1")  # 临川区水利局: in 抚州市, covered by the renamed 武汉 station
    await world.create_job(
        engineer="eng2",
        customer_id=str(world.other_customer_id),
        site_id=str(world.other_site_id),
        equipment_id=None,
    )
    sla = (await world.client.get("/api/reports/sla", params={"group_by": "station"}, headers=m)).json()
    by = {s["label"]: s for s in sla["stations"]}
    assert set(by) == {'=HYPERLINK("x")武汉', None}
    assert by[None]["key"] is None
    assert by['=HYPERLINK("x")武汉']["promises"][0]["jobs"] == 1
    only = (await world.client.get("/api/reports/sla", params={"station_id": wuhan["id"]}, headers=m)).json()
    assert only["promises"][0]["jobs"] == 1 and only["stations"] == []
    none = (
        await world.client.get("/api/reports/sla", params={"station_id": jiujiang["id"]}, headers=m)
    ).json()
    assert none["promises"][0]["jobs"] == 0
    rt = (
        await world.client.get("/api/reports/response-times", params={"group_by": "station"}, headers=m)
    ).json()
    assert sorted((row["label"] or "", row["jobs"]) for row in rt["rows"]) == [
        ("", 1),
        ('=HYPERLINK("x")武汉', 1),
    ]
    r = await world.client.get(
        "/api/exports/sla.csv", params={"group_by": "station", "lang": "en"}, headers=m
    )
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    station_cells = [row[0] for row in rows if "HYPERLINK" in row[0]]
    assert station_cells and all(cell.startswith("'=") for cell in station_cells)
    assert any(row[0].startswith("No station") for row in rows)
    r = await world.client.get(
        "/api/exports/response-times.xlsx",
        params={"group_by": "station", "station_id": wuhan["id"]},
        headers=m,
    )
    assert r.status_code == 200
    r = await world.client.get("/api/reports/sla", params={"station_id": "nope"}, headers=m)
    assert r.status_code == 400


async def test_the_demo_places_every_customer_and_engineer_in_a_station(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        result = await seed_demo(session, now=datetime(2026, 7, 15, 2, 0, tzinfo=UTC))
        await session.commit()
    assert result.counts["service_stations"] == 3
    async with sessions() as s:
        kinds = sorted(k for k in await s.scalars(select(ServiceStation.kind)))
        assert kinds == ["repair_point", "station", "station"]
        covered = set(await s.scalars(select(Region.id).where(Region.station_id.is_not(None))))
        assert all(c.region_id in covered for c in await s.scalars(select(Customer)))
        engineers = (await s.scalars(select(User).where(User.role == "engineer"))).all()
        assert engineers and all(u.station_id is not None for u in engineers)
        report = await ReportService(s).sla(
            ReportFilters(), datetime(2026, 7, 15, 2, 0, tzinfo=UTC), by_station=True
        )
        assert report.stations and all(row.key is not None for row in report.stations)
