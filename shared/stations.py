"""Service stations and authorised repair points (售后服务站、特约维修点) and the regions they cover.

The service plan promises a network of stations near the customers. A station (or a repair point run
with a partner) covers an area made of regions; customers and their sites belong to a region; engineers
(and so the vans that follow them) belong to a station. Dispatch proposes the engineers of the station
covering a job's site first, and says how far each engineer's station is (haversine, in km) when both
it and the site have coordinates, else in which region the site lies.
"""

from __future__ import annotations

import math
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.models import Model, OutModel

#: the mean Earth radius of the haversine formula, in km
EARTH_RADIUS_KM = 6371.0088

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=200)]
Phone = Annotated[str, StringConstraints(max_length=32)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class StationKind(StrEnum):
    #: the supplier's own after-sales service station (售后服务站)
    STATION = "station"
    #: an authorised repair point run by a partner (特约维修点)
    REPAIR_POINT = "repair_point"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in km (haversine on a sphere of the mean radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_km(
    site: tuple[float | None, float | None], base: tuple[float | None, float | None]
) -> float | None:
    """The distance rounded to 0.1 km, or None when either side lacks a coordinate."""
    if None in site or None in base:
        return None
    lat1, lon1 = site
    lat2, lon2 = base
    assert lat1 is not None and lon1 is not None and lat2 is not None and lon2 is not None
    return round(haversine_km(lat1, lon1, lat2, lon2), 1)


# --- API schemas -------------------------------------------------------------------------------------


class StationIn(Model):
    """A new station or repair point. Coordinates go in pairs: both or neither."""

    name: Name
    kind: StationKind = StationKind.STATION
    address: Text = ""
    phone: Phone = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class StationUpdate(Model):
    """What a manager may change; a field left out is kept, ``latitude: null`` clears the position."""

    name: Name | None = None
    kind: StationKind | None = None
    address: Text | None = None
    phone: Phone | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    active: bool | None = None


class Members(Model):
    """The engineers of a station, the whole list: engineers named here move to it, the others leave it."""

    engineer_ids: list[uuid.UUID] = Field(max_length=500)


class RegionIn(Model):
    name: Name
    station_id: uuid.UUID | None = Field(default=None, description="the station covering it; none yet")


class RegionUpdate(Model):
    name: Name | None = None
    station_id: uuid.UUID | None = Field(default=None, description="null: no station covers it now")


class Places(Model):
    """The customers and sites of a region, the whole lists (moved here from any other region)."""

    customer_ids: list[uuid.UUID] = Field(default_factory=list, max_length=2000)
    site_ids: list[uuid.UUID] = Field(default_factory=list, max_length=2000)


class MemberOut(OutModel):
    id: uuid.UUID
    username: str
    display_name: str
    active: bool


class RegionOut(OutModel):
    id: uuid.UUID
    name: str
    station_id: uuid.UUID | None
    customer_ids: list[uuid.UUID] = Field(default_factory=list)
    site_ids: list[uuid.UUID] = Field(default_factory=list)


class StationOut(OutModel):
    id: uuid.UUID
    name: str
    kind: StationKind
    address: str
    phone: str
    latitude: float | None
    longitude: float | None
    active: bool
    regions: list[RegionOut] = Field(default_factory=list, description="its area")
    engineers: list[MemberOut] = Field(
        default_factory=list, description="its engineers (their vans go with them)"
    )


class EngineerPlace(OutModel):
    """Where an engineer stands for one job's site: their station, and how near it is to the site."""

    station_id: uuid.UUID | None = None
    station_name: str | None = None
    station_kind: StationKind | None = None
    covers_site: bool = Field(default=False, description="their station covers the site's region")
    distance_km: float | None = Field(
        default=None, description="site to their station, haversine, when both have coordinates"
    )
    site_region: str | None = Field(default=None, description="the site's region, shown when no distance")
