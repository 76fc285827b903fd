"""Stations as the API shows them, which station a job's site belongs to, and where each engineer
stands for a site (the dispatcher's proposal order)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Job, Region, ServiceStation, Site, User
from shared.enums import Role
from shared.stations import EngineerPlace, MemberOut, RegionOut, StationKind, StationOut, distance_km


def job_station(job: Any = Job) -> ColumnElement[Any]:
    """The station covering a job's site: the site's region, else its customer's, and that region's
    station (one subquery correlated on ``job``, the ``Job`` entity or an alias of it)."""
    return (
        select(Region.station_id)
        .select_from(Site)
        .join(Customer, Customer.id == Site.customer_id)
        .join(Region, Region.id == func.coalesce(Site.region_id, Customer.region_id))
        .where(Site.id == job.site_id)
        .correlate(job)
        .scalar_subquery()
    )


async def regions_out(session: AsyncSession, regions: Sequence[Region]) -> list[RegionOut]:
    """Regions with their customers and sites."""
    ids = [r.id for r in regions]
    customers: dict[uuid.UUID, list[uuid.UUID]] = {}
    sites: dict[uuid.UUID, list[uuid.UUID]] = {}
    if ids:
        for cid, rid in (
            await session.execute(
                select(Customer.id, Customer.region_id)
                .where(Customer.region_id.in_(ids))
                .order_by(Customer.name)
            )
        ).all():
            customers.setdefault(rid, []).append(cid)
        for sid, rid in (
            await session.execute(
                select(Site.id, Site.region_id).where(Site.region_id.in_(ids)).order_by(Site.name)
            )
        ).all():
            sites.setdefault(rid, []).append(sid)
    return [
        RegionOut(
            id=r.id,
            name=r.name,
            station_id=r.station_id,
            customer_ids=customers.get(r.id, []),
            site_ids=sites.get(r.id, []),
        )
        for r in regions
    ]


async def stations_out(session: AsyncSession, stations: Sequence[ServiceStation]) -> list[StationOut]:
    """Stations with their area (regions) and their engineers."""
    ids = [s.id for s in stations]
    regions = (
        (await session.scalars(select(Region).where(Region.station_id.in_(ids)).order_by(Region.name))).all()
        if ids
        else []
    )
    by_station: dict[uuid.UUID | None, list[RegionOut]] = {}
    for region in await regions_out(session, regions):
        by_station.setdefault(region.station_id, []).append(region)
    people: dict[uuid.UUID | None, list[MemberOut]] = {}
    if ids:
        for user in await session.scalars(
            select(User).where(User.station_id.in_(ids)).order_by(User.display_name, User.username)
        ):
            people.setdefault(user.station_id, []).append(MemberOut.model_validate(user))
    return [
        StationOut(
            id=s.id,
            name=s.name,
            kind=StationKind(s.kind),
            address=s.address,
            phone=s.phone,
            latitude=s.latitude,
            longitude=s.longitude,
            active=s.active,
            regions=by_station.get(s.id, []),
            engineers=people.get(s.id, []),
        )
        for s in stations
    ]


async def engineer_places(session: AsyncSession, site_id: uuid.UUID | None) -> dict[uuid.UUID, EngineerPlace]:
    """Each engineer's station and, for ``site_id``, whether it covers the site and how far it is."""
    stations = {s.id: s for s in await session.scalars(select(ServiceStation))}
    site = await session.get(Site, site_id) if site_id is not None else None
    site_station: uuid.UUID | None = None
    region_name: str | None = None
    if site is not None:
        region_id = site.region_id
        if region_id is None:
            region_id = await session.scalar(
                select(Customer.region_id).where(Customer.id == site.customer_id)
            )
        region = await session.get(Region, region_id) if region_id is not None else None
        if region is not None:
            site_station, region_name = region.station_id, region.name
    out: dict[uuid.UUID, EngineerPlace] = {}
    for user_id, station_id in (
        await session.execute(select(User.id, User.station_id).where(User.role == Role.ENGINEER.value))
    ).all():
        station = stations.get(station_id) if station_id is not None else None
        place = EngineerPlace(site_region=region_name)
        if station is not None:
            place.station_id, place.station_name = station.id, station.name
            place.station_kind = StationKind(station.kind)
            place.covers_site = site is not None and station.id == site_station
            if site is not None:
                place.distance_km = distance_km(
                    (site.latitude, site.longitude), (station.latitude, station.longitude)
                )
        out[user_id] = place
    return out
