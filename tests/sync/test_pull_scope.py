"""What an incremental pull sends with a job: its customer, site and equipment when the job is new to the
device (assigned to the engineer after the device's cursor, or again after it left), and never again
with each later change of the job; the places' own changes reach the devices that hold them.

Pulls go through HTTP on both databases, and the change lists are read as a client written from
docs/sync-protocol.md would read them.
"""

from __future__ import annotations

from typing import Any

from tests.support import World


class Tablet:
    """One engineer's device, pulling by hand: every change of every page, in order."""

    def __init__(self, world: World, headers: dict[str, str]) -> None:
        self.world, self.headers, self.cursor = world, headers, None

    async def pull(self) -> list[tuple[str, str, str]]:
        """(entity, id, op) of everything the server sends until the device is up to date."""
        out: list[tuple[str, str, str]] = []
        while True:
            body = {"protocol": 1, "cursor": self.cursor, "limit": 500}
            r = await self.world.client.post("/api/sync/pull", json=body, headers=self.headers)
            assert r.status_code == 200, r.text
            page = r.json()
            assert not page["resync_required"], page
            out += [(c["entity"], c["id"], c["op"]) for c in page["changes"]]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return out


async def _office(world: World, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await world.client.request(method, url, json=body, headers=await world.login("dispatcher"))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _assign(world: World, job_id: str, engineer: str) -> None:
    await _office(world, "POST", f"/api/jobs/{job_id}/assign", {"engineer_id": str(world.users[engineer])})


def _places(world: World) -> list[tuple[str, str, str]]:
    """The other customer's customer and site (its jobs here have no equipment), as puts."""
    return [("customer", str(world.other_customer_id), "put"), ("site", str(world.other_site_id), "put")]


async def test_a_jobs_places_come_with_it_when_it_enters_the_scope_and_not_with_its_later_changes(
    world: World,
) -> None:
    await world.create_job(engineer="eng1")
    elsewhere = await world.create_job(
        engineer="eng2",
        customer_id=str(world.other_customer_id),
        site_id=str(world.other_site_id),
        equipment_id=None,
    )
    job = ("job", elsewhere["id"], "put")
    tablet = Tablet(world, await world.login("eng1"))
    first = await tablet.pull()
    assert ("customer", str(world.customer_id), "put") in first
    assert not {c for c in first if c[1] in (str(world.other_customer_id), elsewhere["id"])}

    # A place outside the engineer's scope changes: nothing for this tablet.
    await _office(world, "PATCH", f"/api/customers/{world.other_customer_id}", {"contact_name": "赵科长"})
    assert await tablet.pull() == []

    # The job is assigned to the engineer: its customer and site first, then the job.
    await _assign(world, elsewhere["id"], "eng1")
    assert await tablet.pull() == [*_places(world), job]

    # Later changes of the job come alone; a change of its customer comes alone, to the tablet that holds it.
    await _office(world, "POST", f"/api/jobs/{elsewhere['id']}/hold", {"reason": "等待备件"})
    assert await tablet.pull() == [job]
    await _office(world, "POST", f"/api/jobs/{elsewhere['id']}/resume")
    await _office(world, "PATCH", f"/api/sites/{world.other_site_id}", {"address": "南丰县城南路 8 号"})
    assert await tablet.pull() == [("site", str(world.other_site_id), "put"), job]

    # The job leaves and comes back, the tablet pulling in between: it is new again, places and all
    # (a client may drop a customer no job of its needs any more).
    await _assign(world, elsewhere["id"], "eng2")
    assert await tablet.pull() == [("job", elsewhere["id"], "remove")]
    await _assign(world, elsewhere["id"], "eng1")
    assert await tablet.pull() == [*_places(world), job]

    # The same while the tablet is away: it never saw the job leave, and gets the places again.
    await _assign(world, elsewhere["id"], "eng2")
    await _assign(world, elsewhere["id"], "eng1")
    assert await tablet.pull() == [*_places(world), job]
    await _office(world, "POST", f"/api/jobs/{elsewhere['id']}/hold", {"reason": "等待备件"})
    assert await tablet.pull() == [job]


async def test_a_jobs_customer_site_and_equipment_cannot_be_changed(world: World) -> None:
    """What the rule above rests on: a job keeps the places it was made with (a device holding the job
    would otherwise never be sent its new customer or site); the office's edit refuses them."""
    made = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    for field, value in (
        ("customer_id", world.other_customer_id),
        ("site_id", world.other_site_id),
        ("equipment_id", None),
    ):
        r = await world.client.patch(
            f"/api/jobs/{made['id']}", json={field: str(value) if value else None}, headers=office
        )
        assert r.status_code == 400, (field, r.text)
    r = await world.client.get(f"/api/jobs/{made['id']}", headers=office)
    assert (r.json()["customer_id"], r.json()["site_id"], r.json()["equipment_id"]) == (
        str(world.customer_id),
        str(world.site_id),
        str(world.equipment_id),
    )


async def test_a_tablet_that_downloads_while_a_job_is_assigned_still_gets_its_places(world: World) -> None:
    """A job assigned between the first page of a download (which carries the places) and its last page
    is in the log after the download's position: the pull after the download brings its places."""
    await world.create_job(engineer="eng1")
    for _ in range(3):
        await world.create_job(engineer="eng1")
    tablet = Tablet(world, await world.login("eng1"))
    body = {"protocol": 1, "cursor": None, "limit": 2}
    r = await world.client.post("/api/sync/pull", json=body, headers=tablet.headers)
    first_page = r.json()
    assert first_page["has_more"] and first_page["cursor"].split(":")[2], first_page["cursor"]
    elsewhere = await world.create_job(
        engineer="eng1",
        customer_id=str(world.other_customer_id),
        site_id=str(world.other_site_id),
        equipment_id=None,
    )
    tablet.cursor = first_page["cursor"]
    rest = await tablet.pull()
    last = max(i for i, change in enumerate(rest) if change == ("job", elsewhere["id"], "put"))
    assert set(_places(world)) <= set(rest[:last]), rest
