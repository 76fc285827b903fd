"""The service network in the console (pure): typed positions, which station a job belongs to on the
board, and how an engineer's place for a site reads on the dispatcher's engineer choice."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: the board's chip for every station (no station filter)
ANY = ""
#: the board's chip for jobs whose site is in no station's area
NONE = "-"


def parse_position(latitude: str, longitude: str) -> tuple[float | None, float | None]:
    """Typed coordinates: both empty is no position; otherwise both must be numbers in range.
    Raises ValueError for one without the other, a non-number or a value out of range."""
    lat_text, lon_text = latitude.strip(), longitude.strip()
    if not lat_text and not lon_text:
        return None, None
    if not lat_text or not lon_text:
        raise ValueError("both or neither")
    lat, lon = float(lat_text.replace("，", ".")), float(lon_text.replace("，", "."))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("out of range")
    return lat, lon


def toggle(values: Iterable[str], value: str) -> list[str]:
    values = list(values)
    return [v for v in values if v != value] if value in values else [*values, value]


def station_finder(regions: list[dict[str, Any]]) -> Callable[[dict[str, Any]], str | None]:
    """job -> the id of the station covering its site: the site's region, else its customer's (as the
    server's reports decide it)."""
    by_site: dict[str, dict[str, Any]] = {}
    by_customer: dict[str, dict[str, Any]] = {}
    for region in regions:
        for site in region.get("site_ids", []):
            by_site[str(site)] = region
        for customer in region.get("customer_ids", []):
            by_customer[str(customer)] = region

    def station_of(job: dict[str, Any]) -> str | None:
        region = by_site.get(str(job.get("site_id"))) or by_customer.get(str(job.get("customer_id")))
        station = region.get("station_id") if region else None
        return str(station) if station else None

    return station_of


def in_station(job: dict[str, Any], station: str, station_of: Callable[[dict[str, Any]], str | None]) -> bool:
    """Whether a job passes the board's station chip (``ANY``, ``NONE`` or a station id)."""
    if station == ANY:
        return True
    found = station_of(job)
    return found is None if station == NONE else found == station


def place_words(t: Callable[..., str], place: dict[str, Any] | None) -> list[str]:
    """An engineer's place for the site being dispatched, as badges: their station (and its kind), then
    the distance when both sides have coordinates, else the site's region."""
    if not place:
        return []
    words = []
    if place.get("station_name"):
        kind = t(f"enum.station_kind.{place.get('station_kind') or 'station'}")
        words.append(t("console.stations.engineer_station", name=place["station_name"], kind=kind))
    else:
        words.append(t("console.stations.no_station"))
    if place.get("distance_km") is not None:
        words.append(t("console.stations.distance", km=f"{place['distance_km']:.1f}"))
    elif place.get("site_region"):
        words.append(t("console.stations.site_region", region=place["site_region"]))
    return words
