"""Dispatch's station ranking: the engineers of the station covering the site first, then the nearest.

Kept apart from ``server/directory/engineers.py`` (which weighs load and last sync) so that each rule of
the proposal can change alone: this one only adds each engineer's place and reorders.
"""

from __future__ import annotations

import math
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Site
from server.errors import NotFound
from server.stations.service import engineer_places
from shared.directory import EngineerLoad


def _rank(engineer: EngineerLoad) -> tuple[bool, bool, float]:
    place = engineer.place
    covers = place is not None and place.covers_site
    far = place.distance_km if place is not None and place.distance_km is not None else math.inf
    return (not engineer.active, not covers, far)


async def by_station(
    session: AsyncSession, engineers: list[EngineerLoad], site_id: uuid.UUID | None
) -> list[EngineerLoad]:
    """``engineers`` with their place; for a site, its station's engineers first, then by distance
    (unknown last), each group in the order it came (stable sort)."""
    if site_id is not None and await session.get(Site, site_id) is None:
        raise NotFound(
            f"no site with id {site_id}", field="site_id", code="site.not_found", params={"id": site_id}
        )
    places = await engineer_places(session, site_id)
    for engineer in engineers:
        engineer.place = places.get(engineer.id)
    return sorted(engineers, key=_rank) if site_id is not None else engineers
