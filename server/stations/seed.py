"""Demo service network: two service stations and one authorised repair point in Jiangxi, a region per
prefecture city the demo customers are in (read from their addresses), and the demo engineers placed in
the station nearest the customers they usually serve (``PRIMARY_ENGINEERS``). Sites take their customer's
region, so the board, dispatch and the reports show a station for every demo job."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Region, ServiceStation, User
from shared.enums import Role
from shared.stations import StationKind

#: name, kind, address, phone, (latitude, longitude), the cities it covers, its engineers (eng01..eng08)
NETWORK = (
    (
        "南昌服务站",
        StationKind.STATION,
        "江西省南昌市青山湖区高新大道 899 号",
        "0791-88123456",
        (28.682, 115.858),
        ("南昌市", "宜春市"),
        ("eng05", "eng07"),
    ),
    (
        "抚州服务站",
        StationKind.STATION,
        "江西省抚州市临川区赣东大道 1500 号",
        "0794-8261234",
        (27.948, 116.358),
        ("抚州市",),
        ("eng01", "eng02", "eng03", "eng04"),
    ),
    (
        "上饶特约维修点",
        StationKind.REPAIR_POINT,
        "江西省上饶市余干县玉亭镇工业园 6 号",
        "0793-3321234",
        (28.702, 116.689),
        ("上饶市",),
        ("eng06", "eng08"),
    ),
)

CITY = re.compile(r"省(.+?市)")


async def seed_stations(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """Stations, their regions, the customers' regions and the engineers' stations; the caller commits."""
    customers = (await session.scalars(select(Customer).order_by(Customer.name))).all()
    engineers = {
        u.username: u for u in await session.scalars(select(User).where(User.role == Role.ENGINEER.value))
    }
    regions: dict[str, Region] = {}
    stations = []
    for name, kind, address, phone, (lat, lon), cities, people in NETWORK:
        station = ServiceStation(
            name=name, kind=kind.value, address=address, phone=phone, latitude=lat, longitude=lon, active=True
        )
        station.created_at = station.updated_at = now
        session.add(station)
        await session.flush()
        stations.append(station)
        for city in cities:
            regions[city] = Region(name=city, station_id=station.id, created_at=now, updated_at=now)
        for username in people:
            if username in engineers:
                engineers[username].station_id = station.id
    session.add_all(regions.values())
    await session.flush()
    placed = 0
    for customer in customers:
        found = CITY.search(customer.address or "")
        region = regions.get(found.group(1)) if found else None
        if region is not None:
            customer.region_id = region.id
            placed += 1
    await session.flush()
    return {"service_stations": len(stations), "regions": len(regions), "customers_in_regions": placed}
