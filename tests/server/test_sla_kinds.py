"""Each job kind keeps its own promise (issue 11 item 4), through HTTP on both databases: a repair has the
contract's clocks from the call; training and installation are booked, and their one promise is the
appointment; a return visit promises no time. Nothing booked for next week is breached today, on the
dispatcher's board or in the reports, and the reports say which kinds they count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.enums import JobKind
from tests.support import World

CLOCKS = ("respond_due_at", "onsite_due_at", "fix_due_at", "backup_due_at")


def _due(job: dict[str, Any]) -> dict[str, datetime | None]:
    return {c: datetime.fromisoformat(job[c]) if job[c] else None for c in CLOCKS}


async def _jobs(world: World) -> dict[str, dict[str, Any]]:
    """A repair, a training next week, an installation booked next week, and a return visit, all called in
    two days ago and assigned to eng1 (the training one through /api/training)."""
    dispatcher = await world.login("dispatcher")
    called = datetime.now(UTC) - timedelta(days=2)
    booked = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    out = {
        "repair": await world.create_job(engineer="eng1", call_received_at=called.isoformat()),
        "installation": await world.create_job(
            engineer="eng1",
            kind="installation",
            call_received_at=called.isoformat(),
            scheduled_at=booked.isoformat(),
        ),
        "return_visit": await world.create_job(
            engineer="eng1", kind="return_visit", call_received_at=called.isoformat()
        ),
    }
    r = await world.client.post(
        "/api/training",
        json={
            "customer_id": str(world.customer_id),
            "site_id": str(world.site_id),
            "content": "排涝泵操作培训",
            "engineer_id": str(world.users["eng1"]),
            "scheduled_at": booked.isoformat(),
        },
        headers=dispatcher,
    )
    assert r.status_code == 201, r.text
    out["training"] = r.json()
    out["booked"] = {"at": booked.isoformat()}
    return out


async def test_each_kind_carries_its_own_promise_and_a_booking_next_week_is_not_breached_today(
    world: World,
) -> None:
    jobs = await _jobs(world)
    booked = datetime.fromisoformat(jobs.pop("booked")["at"])
    manager = await world.login("manager")
    got = {
        k: (await world.client.get(f"/api/jobs/{j['id']}", headers=manager)).json() for k, j in jobs.items()
    }

    repair = _due(got["repair"])
    assert all(repair[c] is not None for c in CLOCKS)  # the contract's clocks from the call
    for kind in ("training", "installation"):
        assert _due(got[kind]) == {
            "respond_due_at": None,
            "onsite_due_at": booked,  # be there at the appointment
            "fix_due_at": None,
            "backup_due_at": None,
        }, kind
    assert _due(got["return_visit"]) == dict.fromkeys(CLOCKS)

    # the board: eng1's open jobs, of which only the repair (called two days ago) is past its deadlines
    board = (await world.client.get("/api/console/engineers", headers=await world.login("dispatcher"))).json()
    [eng1] = [e for e in board if e["id"] == str(world.users["eng1"])]
    assert eng1["open_jobs"] == 4 and eng1["breached_open"] == 1

    breaches = (await world.client.get("/api/reports/breaches", headers=manager)).json()
    assert [row["job_id"] for row in breaches["items"]] == [got["repair"]["id"]]

    sla = (await world.client.get("/api/reports/sla", headers=manager)).json()
    assert sla["kinds"] == [k.value for k in JobKind]
    onsite = next(p for p in sla["promises"] if p["promise"] == "onsite")
    assert onsite["jobs"] == 3 and onsite["open_breached"] == 1 and onsite["open_not_due"] == 2
    respond = next(p for p in sla["promises"] if p["promise"] == "respond")
    assert respond["jobs"] == 1  # only the repair has a respond clock

    # a week and a day later, a training nobody turned up to is breached: the appointment was its promise
    later = (booked + timedelta(days=1)).isoformat()
    r = await world.client.get(
        "/api/reports/breaches", params={"now": later, "kind": "training"}, headers=manager
    )
    [row] = r.json()["items"]
    assert row["job_id"] == got["training"]["id"]
    assert [b["promise"] for b in row["breaches"]] == ["onsite"]
    r = await world.client.get(
        "/api/reports/sla", params={"now": later, "kind": "return_visit"}, headers=manager
    )
    assert r.json()["kinds"] == ["return_visit"]
    assert all(p["jobs"] == 0 for p in r.json()["promises"])  # no promise, never breached
    times = (
        await world.client.get("/api/reports/response-times", params={"kind": "training"}, headers=manager)
    ).json()
    assert times["kinds"] == ["training"]
    quality = (await world.client.get("/api/reports/quality", headers=manager)).json()
    assert quality["kinds"] == [k.value for k in JobKind]


async def test_moving_a_training_session_moves_its_promise(world: World) -> None:
    jobs = await _jobs(world)
    training = jobs["training"]
    moved = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    dispatcher = await world.login("dispatcher")
    r = await world.client.patch(
        f"/api/training/{training['id']}", json={"scheduled_at": moved.isoformat()}, headers=dispatcher
    )
    assert r.status_code == 200, r.text
    job = (await world.client.get(f"/api/jobs/{training['id']}", headers=dispatcher)).json()
    assert _due(job)["onsite_due_at"] == moved and _due(job)["respond_due_at"] is None
