"""What docs/sync-protocol.md promises an outside client, checked over HTTP on both databases (issue 12 item 10).

Each case is a sentence of the protocol page that once disagreed with the server: the version is
compared before the body is judged, unknown top-level fields are refused, ``null`` for a text field is
``invalid_args``, the first download carries the same conflicts as incremental pulls (not refused
access), and limits that used to fail on PostgreSQL hold.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from server.db.models import Conflict, Job
from server.db.models import Mutation as MutationRow
from shared.enums import JobEventType
from shared.ids import uuid7
from sync.protocol import wire_time
from tests.server.test_fuzz_sync import Sync, _now, edit, event, mutation
from tests.support import PASSWORD, World
from tests.sync.test_van_stock import _to_van


async def _stored_mutations(world: World) -> int:
    async with world.app.state.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(MutationRow)) or 0)


def _is_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = dict(r.json())
    assert body["status"] == status and body["type"] == "about:blank"
    return body


async def test_another_protocol_version_gets_update_the_app_whatever_its_body_holds(world: World) -> None:
    """A newer app's body has fields and mutation names version 1 does not know: still the readable 422."""
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    newer_push = {
        "protocol": 2,
        "device_time": _now(),
        "mutations": [mutation("job.pause", {"job_id": job["id"], "until": _now()}, lamport=7)],
        "compression": "zstd",
    }
    for path, body in (
        ("/api/sync/push", newer_push),
        ("/api/sync/push", {"protocol": 2, "mutations": "later"}),
        ("/api/sync/pull", {"protocol": 2, "cursor": None, "compression": "zstd"}),
        ("/api/sync/pull", {"protocol": 0, "since": 5}),
    ):
        problem = _is_problem(await world.client.post(path, json=body, headers=eng.headers), 422)
        assert problem["field"] == "protocol", problem
        assert problem["detail"] == (
            f"this server speaks sync protocol 1, the app sent {body['protocol']}: update the app"
        )
    assert await _stored_mutations(world) == 0


async def test_unknown_top_level_fields_of_version_1_are_refused_and_nothing_is_applied(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    tap = event(job["id"])
    for body in (
        {"protocol": 1, "device_time": _now(), "mutations": [tap], "compression": "zstd"},
        {"device_time": _now(), "mutations": [tap], "batch_id": str(uuid7())},
    ):
        problem = _is_problem(await world.client.post("/api/sync/push", json=body, headers=eng.headers), 400)
        extra = next(k for k in body if k not in {"protocol", "device_time", "mutations"})
        assert {"message": "Extra inputs are not permitted", "key": extra} in problem["errors"], problem
    assert await _stored_mutations(world) == 0
    pull = await world.client.post(
        "/api/sync/pull", json={"protocol": 1, "cursor": None, "since": 0}, headers=eng.headers
    )
    problem = _is_problem(pull, 400)
    assert {"message": "Extra inputs are not permitted", "key": "since"} in problem["errors"], problem
    # The same requests without the stray field are fine, and "protocol" may be left out.
    assert (await eng.push(tap)).status_code == 200
    ok = await world.client.post("/api/sync/pull", json={"cursor": None}, headers=eng.headers)
    assert ok.status_code == 200 and ok.json()["protocol"] == 1


async def test_null_for_a_text_field_or_backup_lent_rejects_the_edit_as_invalid_args(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    for fields in ({"cause": None}, {"notes": None, "fix": "换密封"}, {"backup_lent": None}):
        result = await eng.push_one(edit(job["id"], **fields))
        assert (result["outcome"], result["reason"]) == ("rejected", "invalid_args"), result
        assert next(iter(fields)) in result["message"], result
    r = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
    assert r.json()["fix"] == "" and r.json()["cause"] == ""
    # billable and billable_reason may be null: "not judged yet".
    result = await eng.push_one(edit(job["id"], billable=None, billable_reason=None))
    assert result["outcome"] == "applied", result


async def test_first_download_carries_server_owned_conflicts_but_not_refused_access(world: World) -> None:
    mine = await world.create_job(engineer="eng1")
    theirs = await world.create_job(engineer="eng2")
    eng = await Sync.sign_in(world)
    owned = await eng.push_one(edit(mine["id"], severity="major"))
    assert (owned["outcome"], owned["reason"]) == ("rejected", "server_owned")
    refused = await eng.push_one(event(theirs["id"]))
    assert (refused["outcome"], refused["reason"]) == ("rejected", "not_assigned")
    async with world.app.state.sessionmaker() as s:
        reasons = {c.reason: c.id for c in (await s.scalars(select(Conflict))).all()}
    assert set(reasons) == {"server_owned", "not_assigned"}

    first = await eng.pull(None)
    conflicts = [c["id"] for c in first.json()["changes"] if c["entity"] == "conflict"]
    assert conflicts == [str(c) for c in owned["conflict_ids"]] == [str(reasons["server_owned"])]
    # ...as an incremental pull from before the push carries it.
    again = await eng.pull(f"{world.app.state.epoch}:0")
    assert [c["id"] for c in again.json()["changes"] if c["entity"] == "conflict"] == conflicts


async def test_a_conflict_on_a_forty_character_item_code_and_a_long_hlc_are_stored(world: World) -> None:
    """The protocol's own limits (item code 40, hlc 64) hold on both databases: no 500, no warning needed."""
    job = await world.create_job(engineer="eng1", equipment_id=None)
    code = "k" * 40
    tablets = []
    for name in ("tablet A", "tablet B"):
        r = await world.client.post(
            "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": name}
        )
        tablets.append(Sync(world, {"Authorization": f"Bearer {r.json()['token']}"}))

    def answer(result: str) -> dict[str, Any]:
        args = {"job_id": job["id"], "result_id": str(uuid7()), "item_code": code, "result": result}
        return mutation("checklist.answer", args | {"answered_at": _now()}, hlc="0" * 50)

    assert (await tablets[0].push_one(answer("ok")))["outcome"] == "applied"
    second = await tablets[1].push_one(answer("fault"))
    assert (second["outcome"], second["reason"]) == ("conflict", "both_changed"), second
    async with world.app.state.sessionmaker() as s:
        conflict = await s.get(Conflict, uuid.UUID(second["conflict_ids"][0]))
        assert conflict is not None and conflict.field == f"checklist:{code}"
        stored = await s.get(MutationRow, uuid.UUID(second["id"]))
        assert stored is not None and stored.hlc == "0" * 50


async def test_which_checklist_applies_is_the_same_on_server_and_tablet(
    world: World, new_device: Any
) -> None:
    """The worked example of docs/sync-protocol.md "Which checklist applies" (issue 12 item 5)."""
    manager = await world.login("manager")
    own = await world.client.post(
        "/api/checklist-templates",
        json={
            "category": "generator_set",
            "job_kind": "inspection",
            "name": "泵站巡检",
            "items": [
                {"code": "gate", "label_zh": "闸门启闭", "label_en": "Gate", "kind": "check"},
                {
                    "code": "level",
                    "label_zh": "前池水位",
                    "label_en": "Level",
                    "kind": "measure",
                    "unit": "m",
                },
            ],
        },
        headers=manager,
    )
    assert own.status_code == 201, own.text
    jobs = {
        "A": await world.create_job(engineer="eng1", kind="repair"),
        "B": await world.create_job(engineer="eng1", kind="installation"),
        "C": await world.create_job(engineer="eng1", kind="repair", equipment_id=None),
        "D": await world.create_job(engineer="eng1", kind="inspection", equipment_id=None),
        "E": await world.create_job(engineer="eng1", kind="inspection"),
    }
    async with world.app.state.sessionmaker() as s:  # as the inspection generator sets it from a schedule
        await s.execute(
            update(Job)
            .where(Job.id.in_([uuid.UUID(jobs[k]["id"]) for k in "DE"]))
            .values(checklist_template_id=uuid.UUID(own.json()["id"]))
        )
        await s.commit()
    eng = await Sync.sign_in(world)

    async def reasons(job: dict[str, Any], *answers: dict[str, Any]) -> list[str]:
        out = []
        for a in answers:
            args = {"job_id": job["id"], "result_id": str(uuid7()), "answered_at": _now()} | a
            result = await eng.push_one(mutation("checklist.answer", args))
            out.append(result["reason"] or result["outcome"])
        return out

    pump_answers = (
        {"item_code": "insulation", "value": 0.2},
        {"item_code": "voltage"},
        {"item_code": "seal", "value": 1.0},
    )
    assert await reasons(jobs["A"], *pump_answers) == ["applied", "unknown_item", "invalid_answer"]
    assert await reasons(jobs["B"], *pump_answers) == ["applied"] * 3
    assert await reasons(jobs["C"], *pump_answers) == ["applied"] * 3
    station_answers = ({"item_code": "gate", "result": "ok"}, {"item_code": "insulation", "value": 0.2})
    assert await reasons(jobs["D"], *station_answers) == ["applied", "unknown_item"]
    assert await reasons(jobs["E"], *station_answers) == ["applied", "unknown_item"]

    device = await new_device("eng1")
    await device.sync()
    chosen = {}
    for key, job in jobs.items():
        pulled = device.replica.job(uuid.UUID(job["id"]))
        assert pulled is not None
        template = device.actions.template_for(pulled)
        chosen[key] = template["name"] if template else None
    assert chosen == {"A": "排涝泵检查", "B": None, "C": None, "D": "泵站巡检", "E": "泵站巡检"}


async def test_the_vans_believed_figure_follows_the_documented_worked_example(
    world: World, new_device: Any
) -> None:
    """docs/sync-protocol.md "Van stock", step by step on a real tablet and server (issue 12 item 6)."""
    await _to_van(world, "eng1", 3)
    j = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    k = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    device = await new_device("eng1")
    await device.sync()

    def seen() -> tuple[int, int]:
        line = device.replica.van_stock()[str(world.part_id)]
        return line.synced, line.believed

    assert seen() == (3, 3)
    device.offline()
    u1 = uuid.UUID(device.actions.use_part(j, world.part_id, 1).args["usage_id"])
    assert seen() == (3, 2)  # step 1
    device.online()
    assert await device.runner.push() == 1
    assert seen() == (3, 2)  # step 2: acknowledged, J not pulled again
    await device.runner.pull()
    assert seen() == (2, 2)  # step 3
    device.offline()
    device.actions.void_part(j, u1)
    assert seen() == (2, 3)  # step 4
    use = device.actions.use_part(k, world.part_id, 4)
    assert use.args["believed_on_hand"] == 3 and seen() == (2, -1)  # step 5
    device.online()
    await device.sync()
    assert seen() == (-1, -1)  # step 6
    conflicts = [c for c in device.replica.conflicts() if c["reason"] == "insufficient_stock"]
    assert [(c["device_value"], c["server_value"]) for c in conflicts] == [
        ({"part_id": str(world.part_id), "used": 4, "believed": 3}, {"on_hand": 3})
    ]


async def test_pending_work_rebased_on_a_pulled_job_follows_the_documented_worked_example(
    world: World, new_device: Any
) -> None:
    """docs/merge-rules.md "The device's view": a real tablet pulls office changes over its pending work."""
    await _to_van(world, "eng1", 3)
    job_id = uuid.UUID((await world.create_job(engineer="eng1"))["id"])
    device = await new_device("eng1")
    await device.sync()
    for tap in (JobEventType.ACKNOWLEDGED, JobEventType.ARRIVED):
        device.actions.tap(job_id, tap)
    device.actions.answer(job_id, "insulation", value=0.2)
    u1 = device.actions.use_part(job_id, world.part_id, 1).args["usage_id"]
    await device.sync()
    pulled = device.replica.server_job(job_id)
    assert pulled is not None and pulled["status"] == "arrived" and pulled["checklist"][0]["out_of_range"]

    device.offline()
    device.actions.tap(job_id, JobEventType.STARTED)
    device.actions.edit(job_id, symptom="出水量不足，电机过热", severity="major")
    device.actions.answer(job_id, "insulation", value=0.8)
    void = device.actions.void_part(job_id, uuid.UUID(u1))
    office = await world.login("dispatcher")
    held = await world.client.post(f"/api/jobs/{job_id}/hold", json={"reason": "等待备件"}, headers=office)
    assert held.status_code == 200, held.text
    fixed = await world.client.patch(f"/api/jobs/{job_id}", json={"symptom": "出水量不足"}, headers=office)
    assert fixed.status_code == 200, fixed.text
    device.online()
    await device.runner.pull()  # before the push gets through

    copy, view = device.replica.server_job(job_id), device.replica.job(job_id)
    assert copy is not None and view is not None
    assert (copy["status"], view["status"]) == ("on_hold", "on_hold")
    assert copy["started_at"] is None and view["started_at"] is not None
    started = [e for e in view["events"] if e["type"] == "started"]
    assert len(started) == 1 and started[0]["flagged"] is False and "received_at" not in started[0]
    assert (copy["symptom"], view["symptom"]) == ("出水量不足", "出水量不足，电机过热")
    assert copy["severity"] == view["severity"] == "general"
    [copy_answer], [view_answer] = copy["checklist"], view["checklist"]
    assert (copy_answer["value"], view_answer["value"]) == (0.2, 0.8)
    assert view_answer["id"] == copy_answer["id"] and view_answer["version"] == copy_answer["version"]
    assert view_answer["out_of_range"] is True
    assert copy["parts"][0]["voided_at"] is None and view["parts"][0]["voided_at"] == wire_time(
        datetime.fromisoformat(void.args["at"])
    )
    assert view["version"] == copy["version"] > pulled["version"]

    pending = device.replica.pending()
    await device.sync()
    async with world.app.state.sessionmaker() as s:
        rows = {r.id: r for r in (await s.scalars(select(MutationRow))).all()}
        answers = [(rows[m.id].outcome, rows[m.id].detail["reason"]) for m in pending]
        reasons = sorted(c.reason for c in (await s.scalars(select(Conflict))).all())
    assert answers == [
        ("merged", "office_on_hold"),
        ("conflict", "server_owned"),  # both_changed for symptom too: the last rule to fire names it
        ("applied", ""),
        ("applied", ""),
    ], answers
    assert reasons == ["both_changed", "office_on_hold", "server_owned"]
    assert device.replica.pending_count() == 0
    assert device.replica.job(job_id) == device.replica.server_job(job_id)


async def test_job_sign_before_resolved_is_refused_by_the_app_but_applied_by_the_server(
    world: World, new_device: Any
) -> None:
    """docs/sync-protocol.md "Does job.sign need resolved first?" (issue 12 item 9)."""
    from mobile.services.jobs import ActionError

    job = await world.create_job(engineer="eng1", equipment_id=None)
    device = await new_device("eng1")
    await device.sync()
    job_id = uuid.UUID(job["id"])
    device.actions.tap(job_id, JobEventType.ARRIVED)
    with pytest.raises(ActionError) as refused:
        device.actions.sign(job_id, satisfaction=5, signature="M0 0 L10 10")
    assert refused.value.code == "not_resolved"

    eng = await Sync.sign_in(world)
    sign = mutation(
        "job.sign",
        {"job_id": job["id"], "event_id": str(uuid7()), "satisfaction": 4, "signature": "M0 0 L5 5"}
        | {"signed_at": _now()},
    )
    assert (await eng.push_one(sign))["outcome"] == "applied"
    await device.sync()
    signed = device.replica.server_job(job_id)
    assert signed is not None
    assert (signed["status"], signed["resolved_at"], signed["signature"]) == ("signed_off", None, "M0 0 L5 5")
    assert signed["signed_off_at"] is not None
    assert (await eng.push_one(event(job["id"], "resolved")))["outcome"] == "applied"
    await device.sync()
    later = device.replica.server_job(job_id)
    assert later is not None and later["status"] == "signed_off" and later["resolved_at"] is not None
