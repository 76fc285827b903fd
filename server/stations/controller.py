"""``/api/stations`` and ``/api/regions``: the service network (售后服务站、特约维修点) as managers keep it.

The office reads it (the dispatcher sees each engineer's station); managers and administrators change
it, and every change is in the audit trail.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, patch, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import Customer, Region, ServiceStation, Site, User
from server.deps import CurrentUser, DbSession, requires_office, requires_to
from server.errors import Conflict, Invalid, NotFound
from server.stations.service import regions_out, stations_out
from shared.enums import Role
from shared.roles import Capability
from shared.stations import (
    Members,
    Places,
    RegionIn,
    RegionOut,
    RegionUpdate,
    StationIn,
    StationOut,
    StationUpdate,
)

requires_stations = requires_to(Capability.MANAGE_STATIONS)

_LIST = "Every station and repair point (active first, by name) with its area (regions) and its engineers."
_CREATE = (
    "Add a station (kind ``station``, 售后服务站) or an authorised repair point (``repair_point``, 特约维修点). "
    "A taken name is a 409; a latitude without a longitude (or the reverse) a 422."
)
_UPDATE = "Change a station's name, kind, address, phone, position or whether it is active (audited)."
_MEMBERS = (
    "Set a station's engineers (the whole list): the engineers named move here with their vans, the ones "
    "left out no longer belong to a station. Anyone who is not an engineer is a 422."
)
_REGIONS = "Every region, by name, with its covering station and its customers and sites."
_CREATE_REGION = "Add a region, optionally covered by a station (a station that does not exist is a 404)."
_UPDATE_REGION = "Rename a region or change the station covering it (``station_id: null``: none)."
_PLACES = (
    "Set the customers and sites of a region (the whole lists): those named move here from any other "
    "region, those left out belong to no region. A job's station is its site's region's, else its customer's."
)


async def _station(session: AsyncSession, station_id: uuid.UUID, field: str | None = None) -> ServiceStation:
    station = await session.get(ServiceStation, station_id)
    if station is None:
        message = f"no station with id {station_id}"
        if field:  # a body's field is named; a path's is not (no "field": null in the answer)
            raise NotFound(message, code="station.not_found", params={"id": station_id}, field=field)
        raise NotFound(message, code="station.not_found", params={"id": station_id})
    return station


async def _region(session: AsyncSession, region_id: uuid.UUID) -> Region:
    region = await session.get(Region, region_id)
    if region is None:
        raise NotFound(f"no region with id {region_id}", code="region.not_found", params={"id": region_id})
    return region


def _pair(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise Invalid(
            "latitude and longitude go together: give both or neither",
            field="longitude" if longitude is None else "latitude",
            code="station.half_position",
            params={},
        )


async def _name_free(session: AsyncSession, model: Any, name: str, own: uuid.UUID | None) -> None:
    taken = await session.scalar(select(model.id).where(model.name == name))
    if taken is None or taken == own:
        return
    if model is Region:
        raise Conflict(
            f"a region named '{name}' exists", field="name", code="region.name_taken", params={"name": name}
        )
    raise Conflict(
        f"a station named '{name}' exists", field="name", code="station.name_taken", params={"name": name}
    )


async def _one(session: AsyncSession, station: ServiceStation) -> StationOut:
    return (await stations_out(session, [station]))[0]


class StationController(Controller):
    path = "/api/stations"
    tags = ["stations"]  # noqa: RUF012

    @get("/", guards=[requires_office], summary="Stations and repair points", description=_LIST)
    async def list_stations(self, db_session: DbSession) -> list[StationOut]:
        rows = (
            await db_session.scalars(
                select(ServiceStation).order_by(ServiceStation.active.desc(), ServiceStation.name)
            )
        ).all()
        return await stations_out(db_session, rows)

    @post("/", guards=[requires_stations], summary="Add a station or repair point", description=_CREATE)
    async def create_station(
        self, data: JSONBody[StationIn], db_session: DbSession, principal: CurrentUser
    ) -> StationOut:
        _pair(data.latitude, data.longitude)
        await _name_free(db_session, ServiceStation, data.name, None)
        station = ServiceStation(**data.model_dump(mode="json"))
        db_session.add(station)
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "station.create", "station", station.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return await _one(db_session, station)

    @get("/{station_id:uuid}", guards=[requires_office], summary="One station", description=_LIST)
    async def get_station(self, station_id: FromPath[uuid.UUID], db_session: DbSession) -> StationOut:
        return await _one(db_session, await _station(db_session, station_id))

    @patch("/{station_id:uuid}", guards=[requires_stations], summary="Change a station", description=_UPDATE)
    async def update_station(
        self,
        station_id: FromPath[uuid.UUID],
        data: JSONBody[StationUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> StationOut:
        station = await _station(db_session, station_id)
        sent = data.model_dump(mode="json", exclude_unset=True)
        for name in ("name", "kind", "address", "phone", "active"):
            if name in sent and sent[name] is None:
                raise Invalid(
                    f"{name} cannot be null", field=name, code="field.not_null", params={"fields": [name]}
                )
        _pair(sent.get("latitude", station.latitude), sent.get("longitude", station.longitude))
        if "name" in sent:
            await _name_free(db_session, ServiceStation, sent["name"], station.id)
        changes = {k: [getattr(station, k), v] for k, v in sorted(sent.items()) if getattr(station, k) != v}
        for key, (_old, new) in changes.items():
            setattr(station, key, new)
        if changes:
            await audit.record_by(
                db_session, principal, "station.update", "station", station.id, {"changes": changes}
            )
        await db_session.commit()
        return await _one(db_session, station)

    @put(
        "/{station_id:uuid}/engineers",
        guards=[requires_stations],
        summary="Set a station's engineers",
        description=_MEMBERS,
    )
    async def set_engineers(
        self,
        station_id: FromPath[uuid.UUID],
        data: JSONBody[Members],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> StationOut:
        station = await _station(db_session, station_id)
        wanted = set(data.engineer_ids)
        found = (
            {row.id: row for row in await db_session.scalars(select(User).where(User.id.in_(wanted)))}
            if wanted
            else {}
        )
        wrong = sorted(str(i) for i in wanted if i not in found or found[i].role != Role.ENGINEER.value)
        if wrong:
            raise Invalid(
                f"not engineers: {', '.join(wrong)}",
                field="engineer_ids",
                code="station.not_engineers",
                params={"ids": wrong},
            )
        before = set(await db_session.scalars(select(User.id).where(User.station_id == station.id)))
        left, joined = before - wanted, wanted - before
        if left:
            await db_session.execute(update(User).where(User.id.in_(left)).values(station_id=None))
        moved_from = {
            str(u.id): str(u.station_id) if u.station_id else None for u in found.values() if u.id in joined
        }
        for user in found.values():
            user.station_id = station.id
        if left or joined:
            await audit.record_by(
                db_session,
                principal,
                "station.engineers",
                "station",
                station.id,
                {
                    "joined": sorted(str(i) for i in joined),
                    "left": sorted(str(i) for i in left),
                    "moved_from": moved_from,
                },
            )
        await db_session.commit()
        return await _one(db_session, station)


class RegionController(Controller):
    path = "/api/regions"
    tags = ["stations"]  # noqa: RUF012

    @get("/", guards=[requires_office], summary="Regions", description=_REGIONS)
    async def list_regions(self, db_session: DbSession) -> list[RegionOut]:
        rows = (await db_session.scalars(select(Region).order_by(Region.name))).all()
        return await regions_out(db_session, rows)

    @post("/", guards=[requires_stations], summary="Add a region", description=_CREATE_REGION)
    async def create_region(
        self, data: JSONBody[RegionIn], db_session: DbSession, principal: CurrentUser
    ) -> RegionOut:
        if data.station_id is not None:
            await _station(db_session, data.station_id, "station_id")
        await _name_free(db_session, Region, data.name, None)
        region = Region(name=data.name, station_id=data.station_id)
        db_session.add(region)
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "region.create", "region", region.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return (await regions_out(db_session, [region]))[0]

    @patch(
        "/{region_id:uuid}", guards=[requires_stations], summary="Change a region", description=_UPDATE_REGION
    )
    async def update_region(
        self,
        region_id: FromPath[uuid.UUID],
        data: JSONBody[RegionUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> RegionOut:
        region = await _region(db_session, region_id)
        sent = data.model_fields_set
        if "name" in sent:
            if data.name is None:
                raise Invalid(
                    "name cannot be null", field="name", code="field.not_null", params={"fields": ["name"]}
                )
            await _name_free(db_session, Region, data.name, region.id)
        if "station_id" in sent and data.station_id is not None:
            await _station(db_session, data.station_id, "station_id")
        changes: dict[str, list[Any]] = {}
        for key in sorted(sent):
            new = getattr(data, key)
            if getattr(region, key) != new:
                changes[key] = [_plain(getattr(region, key)), _plain(new)]
                setattr(region, key, new)
        if changes:
            await audit.record_by(
                db_session, principal, "region.update", "region", region.id, {"changes": changes}
            )
        await db_session.commit()
        return (await regions_out(db_session, [region]))[0]

    @put(
        "/{region_id:uuid}/places",
        guards=[requires_stations],
        summary="Set a region's customers and sites",
        description=_PLACES,
    )
    async def set_places(
        self,
        region_id: FromPath[uuid.UUID],
        data: JSONBody[Places],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> RegionOut:
        region = await _region(db_session, region_id)
        detail: dict[str, Any] = {}
        for model, ids, key, code in (
            (Customer, set(data.customer_ids), "customer_ids", "customer.not_found"),
            (Site, set(data.site_ids), "site_ids", "site.not_found"),
        ):
            known = set(await db_session.scalars(select(model.id).where(model.id.in_(ids)))) if ids else set()
            missing = sorted(str(i) for i in ids - known)
            if missing:
                raise NotFound(
                    f"not found: {', '.join(missing)}", field=key, code=code, params={"id": missing[0]}
                )
            before = set(await db_session.scalars(select(model.id).where(model.region_id == region.id)))
            if before - ids:
                await db_session.execute(
                    update(model).where(model.id.in_(before - ids)).values(region_id=None)
                )
            if ids - before:
                await db_session.execute(
                    update(model).where(model.id.in_(ids - before)).values(region_id=region.id)
                )
            if before != ids:
                detail[key] = {
                    "added": sorted(str(i) for i in ids - before),
                    "removed": sorted(str(i) for i in before - ids),
                }
        if detail:
            await audit.record_by(db_session, principal, "region.places", "region", region.id, detail)
        await db_session.commit()
        return (await regions_out(db_session, [region]))[0]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value
