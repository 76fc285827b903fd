"""Sign-off and tap-time rules the server applies to a device's push (issue 13 item 4), through HTTP on
both databases: a sign-off is the customer's signature and satisfaction, never a bare tap; a tap time
further back than the device's own offline period explains is flagged for review."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from server.db.models import Device, Job
from server.db.models import Mutation as MutationRow
from shared.ids import uuid7
from shared.service_form import flag_reason_text
from tests.server.test_approval import approve, event, mutation, push, sign
from tests.support import PASSWORD, World


def _at(job_id: str, kind: str, at: datetime) -> dict[str, Any]:
    return mutation("job.event", job_id=job_id, event_id=str(uuid7()), type=kind, at=at.isoformat())


async def _form(world: World, job_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/api/jobs/{job_id}/form", headers=await world.login("qa"))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_bare_signed_off_tap_is_refused_and_qa_cannot_approve_without_the_signature(
    world: World,
) -> None:
    job = await world.create_job(engineer="eng1", kind="training")  # no checklist: only the acceptance
    jid = job["id"]
    resolved, bare = await push(world, event(jid, "resolved"), event(jid, "signed_off"))
    assert resolved["outcome"] == "applied"
    assert (bare["outcome"], bare["reason"]) == ("rejected", "unsigned"), bare
    after = (await world.client.get(f"/api/jobs/{jid}", headers=await world.login("qa"))).json()
    assert after["status"] == "resolved" and after["signed_off_at"] is None  # nothing of it applied
    assert [e["type"] for e in (await _form(world, jid))["events"]] == ["resolved"]
    r = await approve(world, jid)
    assert r.status_code == 409 and r.json()["missing"] == ["signature", "satisfaction"]

    # signed with job.sign it counts; a bare tap afterwards (a back-dated sign-off time) still does not
    [signed] = await push(world, sign(jid))
    assert signed["outcome"] == "applied"
    stamped = (await world.client.get(f"/api/jobs/{jid}", headers=await world.login("qa"))).json()
    early = datetime.fromisoformat(stamped["resolved_at"]) - timedelta(minutes=1)
    [late] = await push(world, _at(jid, "signed_off", early))
    assert (late["outcome"], late["reason"]) == ("rejected", "unsigned")
    again = (await world.client.get(f"/api/jobs/{jid}", headers=await world.login("qa"))).json()
    assert again["signed_off_at"] == stamped["signed_off_at"] and again["status"] == "signed_off"
    assert (await approve(world, jid)).status_code == 200


async def _history(world: World, job_id: str, call: datetime) -> None:
    """Move the job's call ``call`` back, and the engineer's tablet with it: signed in an hour before."""
    async with world.app.state.sessionmaker() as s:
        await s.execute(update(Job).where(Job.id == uuid.UUID(job_id)).values(call_received_at=call))
        await s.execute(
            update(Device)
            .where(Device.user_id == world.users["eng1"])
            .values(created_at=call - timedelta(hours=1))
        )
        await s.commit()


async def _received(world: World, mutation_id: str, at: datetime) -> None:
    """The server received this mutation at ``at`` (the past of the tablet's sync history)."""
    async with world.app.state.sessionmaker() as s:
        await s.execute(
            update(MutationRow).where(MutationRow.id == uuid.UUID(mutation_id)).values(received_at=at)
        )
        await s.commit()


async def test_a_tap_older_than_the_tablets_offline_period_is_flagged_and_one_it_explains_is_not(
    world: World,
) -> None:
    now = datetime.now(UTC)
    call = now - timedelta(days=35)
    offline = await world.create_job(engineer="eng1")
    backdated = await world.create_job(engineer="eng1")
    await world.login("eng1")  # the tablet
    await _history(world, offline["id"], call)
    await _history(world, backdated["id"], call)

    # 35 days ago, 3 minutes after the call, the tablet synced its acknowledgements; then it went offline
    acks = [_at(j["id"], "acknowledged", call + timedelta(minutes=2)) for j in (offline, backdated)]
    assert {r["outcome"] for r in await push(world, *acks)} == {"applied"}
    for ack in acks:
        await _received(world, ack["id"], call + timedelta(minutes=3))

    # offline since then: an arrival 5 minutes after the call, received only now, is explained
    [arrived] = await push(world, _at(offline["id"], "arrived", call + timedelta(minutes=5)))
    assert arrived["outcome"] == "applied"
    form = await _form(world, offline["id"])
    assert [(e["type"], e["flagged"]) for e in form["events"]] == [
        ("acknowledged", False),
        ("arrived", False),
    ]
    assert form["job"]["times_flagged"] is False

    # the tablet synced again a day after the call, without the arrival; 34 days later it claims one 5
    # minutes after the call: the offline period does not explain it, so it is flagged for review
    [note] = await push(
        world, mutation("job.edit", job_id=backdated["id"], base_version=0, fields={"notes": "x"})
    )
    await _received(world, note["id"], call + timedelta(days=1))
    [claimed] = await push(world, _at(backdated["id"], "arrived", call + timedelta(minutes=5)))
    assert claimed["outcome"] == "applied"  # kept, and counted, but not trusted as is
    form = await _form(world, backdated["id"])
    arrived_event = next(e for e in form["events"] if e["type"] == "arrived")
    assert arrived_event["flagged"] is True
    assert arrived_event["flag_reason"] == "time is before the device's previous sync, which did not carry it"
    assert form["job"]["times_flagged"] is True
    # the console and the printed form say it in the reader's language
    assert (
        flag_reason_text("zh-CN", arrived_event["flag_reason"]) == "早于该设备上次同步，而那次同步并未带上它"
    )
    assert flag_reason_text("en", arrived_event["flag_reason"]).startswith(
        "before the device's previous sync"
    )


async def test_a_tablet_signed_in_after_the_tap_cannot_have_recorded_it(world: World) -> None:
    """A fresh sign-in (a new device name) has no offline period before it began."""
    now = datetime.now(UTC)
    job = await world.create_job(engineer="eng1")
    await world.login("eng1")
    await _history(world, job["id"], now - timedelta(days=35))
    signed_in = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "another tablet"}
    )
    assert signed_in.status_code == 200, signed_in.text
    fresh = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    r = await world.client.post(
        "/api/sync/push",
        json={
            "protocol": 1,
            "device_time": now.isoformat(),
            "mutations": [_at(job["id"], "arrived", now - timedelta(days=35) + timedelta(minutes=5))],
        },
        headers=fresh,
    )
    assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "applied"
    arrived_event = next(e for e in (await _form(world, job["id"]))["events"] if e["type"] == "arrived")
    assert arrived_event["flagged"] is True


async def test_after_qa_approval_a_tablets_sign_and_edit_are_conflicts_for_review_not_merged(
    world: World,
) -> None:
    job = await world.create_job(engineer="eng1", kind="training")
    jid = job["id"]
    fix = mutation("job.edit", job_id=jid, base_version=0, fields={"fix": "讲解操作规程", "cause": "新设备"})
    assert {r["outcome"] for r in await push(world, event(jid, "resolved"), fix, sign(jid, 5))} == {"applied"}
    assert (await approve(world, jid)).status_code == 200
    qa = await world.login("qa")
    approved = (await world.client.get(f"/api/jobs/{jid}", headers=qa)).json()
    assert approved["status"] == "closed"
    form_before = await _form(world, jid)

    # the tablet (or someone holding it) rewrites the approved form
    edit = mutation(
        "job.edit",
        job_id=jid,
        base_version=approved["version"],
        fields={"cause": "用户误操作", "fix": "无", "billable": True, "billable_reason": "misuse"},
    )
    resign = sign(jid, 1)
    results = await push(world, edit, resign)
    assert [(r["outcome"], r["reason"]) for r in results] == [("conflict", "qa_approved")] * 2, results
    after = (await world.client.get(f"/api/jobs/{jid}", headers=qa)).json()
    for name in (
        "cause",
        "fix",
        "billable",
        "billable_reason",
        "satisfaction",
        "acceptance_opinion",
    ):
        assert after[name] == approved[name], name
    # a new version with nothing changed, so the tablet pulls the job again and drops its refused values
    assert after["version"] > approved["version"]
    form_after = await _form(world, jid)
    assert form_after["job"]["signature"] == form_before["job"]["signature"]
    assert form_after["events"] == form_before["events"]  # no second sign-off event

    # every rejected value is kept for the office, the new signature with it
    rows = [
        c
        for c in (await world.client.get("/api/conflicts", headers=qa)).json()["items"]
        if c["job_id"] == jid
    ]
    assert {(c["field"], c["resolution"], c["reason"], c["status"]) for c in rows} == {
        (f, "rejected", "qa_approved", "open")
        for f in ("cause", "fix", "billable", "billable_reason", "acceptance")
    }
    by_field = {c["field"]: c for c in rows}
    assert (by_field["cause"]["device_value"], by_field["cause"]["server_value"]) == ("用户误操作", "新设备")
    acceptance = by_field["acceptance"]
    assert acceptance["device_value"]["satisfaction"] == 1 and acceptance["server_value"]["satisfaction"] == 5
    assert acceptance["device_value"]["signature"] == resign["args"]["signature"]
    assert sorted(results[0]["conflict_ids"] + results[1]["conflict_ids"]) == sorted(c["id"] for c in rows)

    # reviewable: the office may take a late value over (its own change), or accept the form as approved
    manager = await world.login("manager")
    r = await world.client.post(
        f"/api/conflicts/{by_field['fix']['id']}/override",
        json={"value": "无", "note": "按工程师补充"},
        headers=manager,
    )
    assert r.status_code == 200, r.text
    assert (await world.client.get(f"/api/jobs/{jid}", headers=qa)).json()["fix"] == "无"
    r = await world.client.post(
        f"/api/conflicts/{acceptance['id']}/accept", json={"note": "以审核时的签名为准"}, headers=manager
    )
    assert r.status_code == 200, r.text
