"""What docs/sync-protocol.md promises an outside client, checked over HTTP on both databases (issue 12 item 10).

Each case is a sentence of the protocol page that once disagreed with the server: the version is
compared before the body is judged, unknown top-level fields are refused, ``null`` for a text field is
``invalid_args``, the first download carries the same conflicts as incremental pulls (not refused
access), and limits that used to fail on PostgreSQL hold.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.models import Conflict
from server.db.models import Mutation as MutationRow
from shared.ids import uuid7
from tests.server.test_fuzz_sync import Sync, _now, edit, event, mutation
from tests.support import PASSWORD, World


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
