"""The service network's API as the stations screen calls it, over the server's own schemas
(:mod:`shared.stations`): a body the schema refuses never leaves the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from console.api import ConsoleApi
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


@dataclass(frozen=True)
class Network:
    stations: list[StationOut]
    regions: list[RegionOut]


class StationsClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def network(self) -> Network:
        stations, regions = await asyncio.gather(self.api.get("/api/stations"), self.api.get("/api/regions"))
        return Network(
            stations=[StationOut.model_validate(s) for s in stations],
            regions=[RegionOut.model_validate(r) for r in regions],
        )

    async def add(self, station: StationIn) -> StationOut:
        return StationOut.model_validate(
            await self.api.post("/api/stations", station.model_dump(mode="json"))
        )

    async def change(self, station_id: str, update: StationUpdate) -> StationOut:
        body = update.model_dump(mode="json", exclude_unset=True)
        return StationOut.model_validate(await self.api.patch(f"/api/stations/{station_id}", body))

    async def members(self, station_id: str, members: Members) -> StationOut:
        body = members.model_dump(mode="json")
        return StationOut.model_validate(await self.api.put(f"/api/stations/{station_id}/engineers", body))

    async def add_region(self, region: RegionIn) -> RegionOut:
        return RegionOut.model_validate(await self.api.post("/api/regions", region.model_dump(mode="json")))

    async def change_region(self, region_id: str, update: RegionUpdate) -> RegionOut:
        body = update.model_dump(mode="json", exclude_unset=True)
        return RegionOut.model_validate(await self.api.patch(f"/api/regions/{region_id}", body))

    async def places(self, region_id: str, places: Places) -> RegionOut:
        body = places.model_dump(mode="json")
        return RegionOut.model_validate(await self.api.put(f"/api/regions/{region_id}/places", body))
