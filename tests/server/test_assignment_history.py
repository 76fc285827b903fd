"""A job's assignment history through HTTP, on both databases: who had it, from when until when, who
assigned it and why (issue 17 part 3: 指派记录), kept across reassignments and readable by the office."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.db.models import AuditEntry
from tests.support import World


async def test_a_reassignment_keeps_who_had_the_job_until_when_and_why(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    moved = await world.client.post(
        f"/api/jobs/{job['id']}/assign",
        json={"engineer_id": str(world.users["eng2"]), "reason": "原工程师病假"},
        headers=office,
    )
    assert moved.status_code == 200, moved.text

    r = await world.client.get(f"/api/jobs/{job['id']}/assignments", headers=office)
    assert r.status_code == 200, r.text
    first, second = r.json()
    assert (first["engineer_id"], second["engineer_id"]) == (
        str(world.users["eng1"]),
        str(world.users["eng2"]),
    )
    assert first["unassigned_at"] is not None and second["unassigned_at"] is None
    assert datetime.fromisoformat(first["unassigned_at"]) <= datetime.fromisoformat(second["assigned_at"])
    assert second["reason"] == "原工程师病假"
    assert second["assigned_by"] == str(world.users["dispatcher"]) and second["assigned_by_name"]
    assert second["engineer_name"] and first["engineer_name"] != second["engineer_name"]

    # the new engineer sees the history of their job; the previous one no longer sees the job at all
    mine = await world.client.get(f"/api/jobs/{job['id']}/assignments", headers=await world.login("eng2"))
    assert mine.status_code == 200 and len(mine.json()) == 2
    gone = await world.client.get(f"/api/jobs/{job['id']}/assignments", headers=await world.login("eng1"))
    assert gone.status_code == 404, gone.text

    async with world.app.state.sessionmaker() as session:  # the audit trail names the reason too
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "job.assign").order_by(AuditEntry.seq)
            )
        ).all()
    assert entries[-1].detail["reason"] == "原工程师病假"
    assert entries[-1].detail["engineer_id"] == str(world.users["eng2"])


async def test_a_reason_too_long_is_a_readable_400_and_changes_nothing(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    r = await world.client.post(
        f"/api/jobs/{job['id']}/assign",
        json={"engineer_id": str(world.users["eng2"]), "reason": "因" * 201},
        headers=office,
    )
    assert r.status_code == 400, r.text
    history = (await world.client.get(f"/api/jobs/{job['id']}/assignments", headers=office)).json()
    assert [h["engineer_id"] for h in history] == [str(world.users["eng1"])]
    assert history[0]["unassigned_at"] is None
