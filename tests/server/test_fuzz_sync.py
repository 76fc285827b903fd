"""Hostile sync input, by hand and by hypothesis, on SQLite and PostgreSQL.

Each case says what a broken or malicious client may send to ``/api/sync/push`` and ``/api/sync/pull``
and what the server must answer: a 4xx for a request that does not fit the protocol, or 200 with a
``rejected`` outcome for a mutation whose ``args`` do not fit, never a 5xx, and never a change to a job
on a refused mutation. Where the input space is large (any JSON as ``args``, any text as a cursor),
hypothesis generates it; it runs in a worker thread and hands each request to the test's event loop,
where the app and its database engine live.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.db.models import Conflict, JobEvent
from server.db.models import Mutation as MutationRow
from shared.ids import uuid7
from sync.protocol import MAX_PUSH_BATCH
from tests.support import World

T = TypeVar("T")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def mutation(name: str, args: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {"id": str(uuid7()), "client_seq": 1, "name": name, "args": args, "created_at": _now()}
    body.update(overrides)
    return body


def event(job_id: str, type_: str = "acknowledged", at: str | None = None) -> dict[str, Any]:
    return mutation(
        "job.event", {"job_id": job_id, "event_id": str(uuid7()), "type": type_, "at": at or _now()}
    )


def edit(job_id: str, **fields: Any) -> dict[str, Any]:
    return mutation("job.edit", {"job_id": job_id, "base_version": 0, "fields": fields})


class Sync:
    """Raw sync requests for one signed-in engineer, and looks at the server's copy of a job."""

    def __init__(self, world: World, headers: dict[str, str]) -> None:
        self.world, self.headers = world, headers

    @classmethod
    async def sign_in(cls, world: World, username: str = "eng1") -> Sync:
        return cls(world, await world.login(username))

    async def push(self, *mutations: dict[str, Any], device_time: str | None = None) -> httpx.Response:
        body = {"protocol": 1, "device_time": device_time or _now(), "mutations": list(mutations)}
        return await self.world.client.post("/api/sync/push", json=body, headers=self.headers)

    async def push_one(self, m: dict[str, Any]) -> dict[str, Any]:
        r = await self.push(m)
        assert r.status_code == 200, r.text
        [result] = r.json()["results"]
        return dict(result)

    async def raw(self, path: str, content: bytes | str) -> httpx.Response:
        headers = {**self.headers, "content-type": "application/json"}
        return await self.world.client.post(path, content=content, headers=headers)

    async def pull(self, cursor: Any, **extra: Any) -> httpx.Response:
        return await self.world.client.post(
            "/api/sync/pull", json={"cursor": cursor, **extra}, headers=self.headers
        )

    async def job(self, job_id: str) -> dict[str, Any]:
        """The server's job as the office sees it (without events, checklist and parts)."""
        r = await self.world.client.get(f"/api/jobs/{job_id}", headers=await self.world.login("dispatcher"))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def doc(self, job_id: str) -> dict[str, Any]:
        """The job's document as this engineer's device pulls it (with events, checklist and parts)."""
        r = await self.pull(None, limit=2000)
        assert r.status_code == 200, r.text
        [doc] = [c["data"] for c in r.json()["changes"] if c["entity"] == "job" and c["id"] == job_id]
        return dict(doc)


def assert_problem(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    assert r.json()["status"] == status


def in_thread(
    loop: asyncio.AbstractEventLoop, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 60
) -> T:
    """Run a coroutine on the test's loop from hypothesis' worker thread."""
    return asyncio.run_coroutine_threadsafe(make(), loop).result(timeout)


FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


# --- malformed requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"",
        b"null",
        b"[]",
        b'{"mutations": [}',
        '{"device_time": "2025-07-14T09:15:00+08:00", "mutations": [\u0000]}'.encode(),
        b"\xff\xfe\x00",
        b'{"device_time": NaN, "mutations": []}',
    ],
)
async def test_malformed_json_is_a_400(world: World, body: bytes) -> None:
    eng = await Sync.sign_in(world)
    assert_problem(await eng.raw("/api/sync/push", body), 400)
    assert_problem(await eng.raw("/api/sync/pull", body), 400)


@pytest.mark.parametrize(
    "body",
    [
        {"device_time": _now(), "mutations": {}},
        {"device_time": "yesterday", "mutations": []},
        {"device_time": "2025-07-14T09:15:00", "mutations": []},  # no time zone
        {"mutations": []},  # no device_time
        {"device_time": _now(), "mutations": [{"id": "not-a-uuid"}]},
        {"device_time": _now(), "mutations": [dict(edit(str(uuid.uuid4())), client_seq=0)]},
        {"device_time": _now(), "mutations": [dict(edit(str(uuid.uuid4())), client_seq=2**64)]},
        {"device_time": _now(), "mutations": [dict(edit(str(uuid.uuid4())), args="fix=1")]},
        {"device_time": _now(), "mutations": [dict(edit(str(uuid.uuid4())), created_at="2025-07-14 09:15")]},
        {"device_time": _now(), "mutations": [dict(edit(str(uuid.uuid4())), hlc="x" * 65)]},
        {"device_time": _now(), "mutations": [dict(edit(str(uuid.uuid4())), surprise=True)]},
        {"device_time": _now(), "mutations": [mutation("job.delete", {"job_id": str(uuid.uuid4())})]},
        {"device_time": _now(), "mutations": [mutation("", {})]},
        {"device_time": _now(), "mutations": [mutation("JOB.EVENT", {})]},
    ],
)
async def test_wrong_types_unknown_names_and_naive_times_refuse_the_whole_push(
    world: World, body: dict[str, Any]
) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    mixed = dict(body)
    if isinstance(mixed.get("mutations"), list):
        mixed["mutations"] = [event(job["id"]), *mixed["mutations"]]  # a good one first: it must not land
    r = await world.client.post("/api/sync/push", json=mixed, headers=eng.headers)
    assert_problem(r, 400)
    assert r.json().get("errors"), r.text  # the problem names the field
    assert (await eng.job(job["id"]))["version"] == job["version"]


async def test_pull_refuses_wrong_types_and_limits(world: World) -> None:
    eng = await Sync.sign_in(world)
    for body in (
        {"cursor": 42},
        {"cursor": ["a"]},
        {"cursor": None, "limit": 0},
        {"cursor": None, "limit": 2001},
        {"cursor": None, "limit": "all"},
        {"cursor": None, "limit": 1.5},
    ):
        r = await world.client.post("/api/sync/pull", json=body, headers=eng.headers)
        assert_problem(r, 400)


async def test_a_batch_over_the_body_limit_is_a_413_and_nothing_lands(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    limit = world.app.state.settings.max_body_bytes
    filler = "修" * (limit // 3 + 1000)  # 3 bytes each in UTF-8: just over the limit
    r = await eng.push(event(job["id"]), edit(job["id"], notes=filler))
    assert_problem(r, 413)
    assert (await eng.job(job["id"]))["version"] == job["version"]


async def test_a_batch_over_max_push_batch_is_a_400_and_nothing_lands(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    batch = [event(job["id"])] + [
        edit(job["id"], notes=f"第{i}条", client_seq=i + 2) for i in range(MAX_PUSH_BATCH)
    ]
    r = await eng.push(*batch)
    assert_problem(r, 400)
    assert "mutations" in json.dumps(r.json()["errors"])
    assert (await eng.job(job["id"]))["version"] == job["version"]
    ok = await eng.push(*batch[:MAX_PUSH_BATCH])  # exactly the limit is fine
    assert ok.status_code == 200 and len(ok.json()["results"]) == MAX_PUSH_BATCH


# --- replays and other people's things -----------------------------------------------------------------


async def test_a_replayed_mutation_gets_the_same_outcome_and_applies_once(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    tap = event(job["id"])
    first = await eng.push_one(tap)
    again = await eng.push_one(tap)
    assert first == again and first["outcome"] == "applied"
    # A replay with other args is still the stored outcome: args are not looked at again.
    changed = dict(tap, args={**tap["args"], "type": "resolved"})
    assert await eng.push_one(changed) == first
    detail = await eng.doc(job["id"])
    assert detail["status"] == "acknowledged" and len(detail["events"]) == 1
    # A rejected one replays as the same rejection.
    bad = edit(job["id"], notes="x" * 4001)
    assert (await eng.push_one(bad)) == (await eng.push_one(bad))
    async with world.app.state.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(MutationRow)) == 2


async def test_a_mutation_id_used_by_another_user_is_a_duplicate_and_the_original_is_untouched(
    world: World,
) -> None:
    mine = await world.create_job(engineer="eng1")
    theirs = await world.create_job(engineer="eng2")
    eng1, eng2 = await Sync.sign_in(world, "eng1"), await Sync.sign_in(world, "eng2")
    original = edit(mine["id"], notes="叶轮缠绕")
    assert (await eng1.push_one(original))["outcome"] == "applied"
    stolen = dict(edit(theirs["id"], notes="冒用的编号"), id=original["id"])
    result = await eng2.push_one(stolen)
    assert result["outcome"] == "rejected" and result["reason"] == "duplicate_id"
    assert (await eng2.job(theirs["id"]))["notes"] == ""
    assert (await eng1.job(mine["id"]))["notes"] == "叶轮缠绕"
    async with world.app.state.sessionmaker() as s:
        row = await s.get(MutationRow, uuid.UUID(original["id"]))
        assert row is not None and row.user_id == world.users["eng1"] and row.outcome == "applied"
        assert row.args["fields"] == {"notes": "叶轮缠绕"}
    # The owner's replay still gets its own outcome.
    assert (await eng1.push_one(original))["outcome"] == "applied"


async def test_mutations_on_another_engineers_job_are_rejected_and_recorded(world: World) -> None:
    theirs = await world.create_job(engineer="eng2")
    eng1 = await Sync.sign_in(world, "eng1")
    for m in (
        event(theirs["id"], "arrived"),
        edit(theirs["id"], fix="我来修"),
        mutation(
            "part.use",
            {
                "job_id": theirs["id"],
                "usage_id": str(uuid7()),
                "part_id": str(world.part_id),
                "quantity": 1,
                "used_at": _now(),
            },
        ),
    ):
        result = await eng1.push_one(m)
        assert (result["outcome"], result["reason"]) == ("rejected", "not_assigned"), result
    after = await (await Sync.sign_in(world, "eng2")).doc(theirs["id"])
    assert after["version"] == theirs["version"] and after["fix"] == "" and after["parts"] == []
    assert after["events"] == []
    async with world.app.state.sessionmaker() as s:
        refusals = (await s.scalars(select(Conflict).where(Conflict.reason == "not_assigned"))).all()
        assert len(refusals) == 3
        assert {r.user_id for r in refusals} == {world.users["eng1"]}
        assert {r.job_id for r in refusals} == {uuid.UUID(theirs["id"])}
    # An unknown job is refused too, without a record (there is nothing to attach it to).
    ghost = await eng1.push_one(event(str(uuid.uuid4())))
    assert (ghost["outcome"], ghost["reason"]) == ("rejected", "unknown_job")


# --- args that do not fit --------------------------------------------------------------------------------


async def test_args_of_another_mutation_are_invalid_args(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    use = {
        "job_id": job["id"],
        "usage_id": str(uuid7()),
        "part_id": str(world.part_id),
        "quantity": 1,
        "used_at": _now(),
    }
    tap = event(job["id"])["args"]
    for name, args in (("job.event", use), ("part.use", tap), ("job.sign", tap), ("job.edit", use)):
        result = await eng.push_one(mutation(name, args))
        assert (result["outcome"], result["reason"]) == ("rejected", "invalid_args"), (name, result)
        assert result["message"]
    assert (await eng.job(job["id"]))["version"] == job["version"]


@pytest.mark.parametrize(
    ("quantity", "outcome"),
    [
        (-1, "invalid_args"),
        (0, "invalid_args"),
        (1.5, "invalid_args"),
        (-0.5, "invalid_args"),
        (2.0, "applied"),
        (999, "applied"),
        (1000, "invalid_args"),
        (10**30, "invalid_args"),
        (None, "invalid_args"),
        ("many", "invalid_args"),
        ([1], "invalid_args"),
    ],
)
async def test_part_quantities_must_be_whole_numbers_in_range(
    world: World, quantity: Any, outcome: str
) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    use = mutation(
        "part.use",
        {
            "job_id": job["id"],
            "usage_id": str(uuid7()),
            "part_id": str(world.part_id),
            "quantity": quantity,
            "used_at": _now(),
        },
    )
    result = await eng.push_one(use)
    got = "applied" if result["outcome"] == "applied" else result["reason"]
    assert got == outcome, result
    parts = (await eng.doc(job["id"]))["parts"]
    assert len(parts) == (1 if outcome == "applied" else 0)


async def test_checklist_readings_negative_huge_or_not_numbers(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)

    def answer(value: Any, code: str = "insulation") -> dict[str, Any]:
        args = {
            "job_id": job["id"],
            "result_id": str(uuid7()),
            "item_code": code,
            "value": value,
            "answered_at": _now(),
        }
        return mutation("checklist.answer", args)

    assert (await eng.push_one(answer(-3.5)))["outcome"] == "applied"  # stored, flagged out of range
    flagged = (await eng.doc(job["id"]))["checklist"]
    assert flagged[0]["value"] == -3.5 and flagged[0]["out_of_range"] is True
    assert (await eng.push_one(answer(1e308)))["outcome"] == "applied"
    for bad in ("abc", [1], {"v": 1}):
        assert (await eng.push_one(answer(bad)))["reason"] == "invalid_args"
    assert (await eng.push_one(answer(1.0, code="not-on-template")))["reason"] == "unknown_item"
    assert (await eng.push_one(answer(1.0, code="")))["reason"] == "invalid_args"
    assert (await eng.push_one(answer(1.0, code="x" * 41)))["reason"] == "invalid_args"
    # JSON itself has no NaN or Infinity: the body is refused before any mutation runs.
    raw = json.dumps({"device_time": _now(), "mutations": [answer(0.0)]}).replace("0.0", "Infinity")
    assert_problem(await eng.raw("/api/sync/push", raw), 400)
    pulled = await eng.pull(None)
    assert pulled.status_code == 200, pulled.text  # the stored readings still serialise


async def test_huge_strings_are_refused_by_field_and_by_batch(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    assert (await eng.push_one(edit(job["id"], notes="长" * 4000)))["outcome"] == "applied"
    too_long = await eng.push_one(edit(job["id"], notes="长" * 4001))
    assert too_long["reason"] == "invalid_args" and "notes" in too_long["message"]
    assert (await eng.job(job["id"]))["notes"] == "长" * 4000
    huge_name = await eng.push(mutation("x" * 100_000, {}))
    assert_problem(huge_name, 400)
    huge_key = await eng.push_one(edit(job["id"], **{"k" * 100_000: 1}))
    assert huge_key["reason"] == "invalid_args"


@pytest.mark.parametrize(
    "text",
    [
        "排涝泵🚒💧 叶轮缠绕",
        "مرحبا بالعالم",
        "e\u0301\u200b\u200d\ufeff",
        "\U0010ffff\u2028\u2029",
        "'; DROP TABLE jobs; --",
        "<script>alert(1)</script>",
        "\\u0000 as text",
        "\t\r\n",
    ],
)
async def test_unicode_text_is_kept_exactly(world: World, text: str) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    assert (await eng.push_one(edit(job["id"], cause=text)))["outcome"] == "applied"
    assert (await eng.job(job["id"]))["cause"] == text
    page = (await eng.pull(None)).json()
    [doc] = [c["data"] for c in page["changes"] if c["entity"] == "job"]
    assert doc["cause"] == text


async def test_a_nul_character_never_makes_a_500(world: World, backend: str) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    r = await eng.push(event(job["id"]), edit(job["id"], notes="前\x00后"))
    # No database text column can hold a NUL on PostgreSQL: the mutation carrying one is refused on
    # both databases alike, and only it; the rest of the batch lands.
    assert r.status_code == 200
    tap, note = r.json()["results"]
    assert tap["outcome"] == "applied"
    assert note["outcome"] == "rejected" and note["reason"] == "invalid_args" and "NUL" in note["message"]
    assert (await eng.job(job["id"]))["notes"] == ""
    # A NUL in a mutation *name* or the envelope is a plain validation 400 on both.
    assert_problem(await eng.push(mutation("job.event\x00", {})), 400)


@pytest.mark.parametrize("hlc_length", [33, 64])
async def test_hlc_stamps_up_to_the_protocol_limit_are_stored(world: World, hlc_length: int) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    tap = event(job["id"]) | {"hlc": "0" * hlc_length}
    assert (await eng.push_one(tap))["outcome"] == "applied"
    async with world.app.state.sessionmaker() as s:
        row = await s.get(MutationRow, uuid.UUID(tap["id"]))
        assert row is not None and row.hlc == "0" * hlc_length


# --- times -------------------------------------------------------------------------------------------------


async def test_times_without_a_zone_reject_the_mutation_and_far_ones_are_flagged(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    naive = await eng.push_one(event(job["id"], at="2025-07-14T09:12:03"))
    assert naive["reason"] == "invalid_args" and "timezone" in naive["message"]
    assert (await eng.doc(job["id"]))["events"] == []
    future = await eng.push_one(event(job["id"], "acknowledged", at="2999-01-01T00:00:00+08:00"))
    assert future["outcome"] == "applied"
    past = await eng.push_one(event(job["id"], "departed", at="1970-01-01T00:00:00+00:00"))
    assert past["outcome"] == "applied"
    events = {e["type"]: e for e in (await eng.doc(job["id"]))["events"]}
    assert events["acknowledged"]["flagged"] and events["acknowledged"]["flag_reason"]
    assert events["departed"]["flagged"] and events["departed"]["flag_reason"]


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59.999999+00:00",
        "0001-01-01T00:00:00Z",
        "2025-02-30T00:00:00Z",
        "2025-07-14T25:00:00Z",
        "2025-07-14T09:12:03+24:00",
    ],
)
async def test_times_at_the_edges_of_the_calendar_never_make_a_500(world: World, at: str) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    r = await eng.push(event(job["id"], at=at))
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        [result] = r.json()["results"]
        assert result["outcome"] in ("applied", "rejected"), result
    device_time = await eng.push(event(job["id"]), device_time=at)
    assert device_time.status_code in (200, 400), device_time.text
    assert (await eng.pull(None)).status_code == 200
    assert (
        await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("dispatcher"))
    ).is_success


# --- cursors -----------------------------------------------------------------------------------------------


async def test_cursor_garbage_gets_resync_required(world: World) -> None:
    eng = await Sync.sign_in(world)
    epoch = world.app.state.epoch
    for cursor in (
        "",
        ":",
        "::",
        ":::",
        "garbage",
        f"{epoch}",
        f"{epoch}:",
        f"{epoch}:-1",
        f"{epoch}:1.5",
        f"{epoch}:{10**40}",
        f"{epoch}:0:not-a-uuid",
        f"{epoch}:0:{uuid.uuid4()}:extra",
        f"{uuid.uuid4()}:0",
        f"{epoch}:²",
        f"{epoch}:٣",
        f"{epoch}:0:urn:uuid:{uuid.uuid4()}",
        "\x00",
        "游标" * 10_000,
    ):
        r = await eng.pull(cursor)
        assert r.status_code == 200, (cursor, r.text)
        body = r.json()
        assert body["resync_required"] is True and body["cursor"] == "" and body["reason"], cursor


async def test_fuzzed_cursors_never_make_a_500(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    epoch = world.app.state.epoch
    loop = asyncio.get_running_loop()
    cursors = st.one_of(
        st.text(),
        st.builds(lambda seq, after: f"{epoch}:{seq}:{after}", st.text(max_size=12), st.text(max_size=40)),
        st.builds(lambda seq: f"{epoch}:{seq}", st.integers(min_value=-(2**70), max_value=2**70)),
        st.builds(lambda u: f"{epoch}:0:{u}", st.uuids().map(lambda u: str(u).upper())),
        st.builds(lambda u: f"{epoch}:0:{{{u}}}", st.uuids()),
    )

    @FUZZ
    @given(cursor=cursors, limit=st.integers(min_value=1, max_value=3))
    def fuzz(cursor: str, limit: int) -> None:
        r = in_thread(loop, lambda: eng.pull(cursor, limit=limit))
        assert r.status_code in (200, 400), (cursor, r.status_code, r.text[:300])
        if r.status_code == 200:
            body = r.json()
            assert body["resync_required"] or body["cursor"].startswith(f"{epoch}:"), (cursor, body)

    await asyncio.to_thread(fuzz)
    assert (await eng.job(job["id"]))["version"] == job["version"]


# --- any JSON as args ---------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _valid_args(name: str, job_id: str, part_id: str) -> dict[str, Any]:
    now = _now()
    return {
        "job.event": {"job_id": job_id, "event_id": str(uuid7()), "type": "arrived", "at": now},
        "job.edit": {"job_id": job_id, "base_version": 0, "fields": {"notes": "n"}},
        "checklist.answer": {
            "job_id": job_id,
            "result_id": str(uuid7()),
            "item_code": "seal",
            "result": "ok",
            "answered_at": now,
        },
        "part.use": {
            "job_id": job_id,
            "usage_id": str(uuid7()),
            "part_id": part_id,
            "quantity": 1,
            "used_at": now,
        },
        "part.void": {"job_id": job_id, "usage_id": str(uuid7()), "at": now},
        "job.sign": {
            "job_id": job_id,
            "event_id": str(uuid7()),
            "satisfaction": 5,
            "signature": "sig",
            "signed_at": now,
        },
        "photo.add": {
            "job_id": job_id,
            "photo_id": str(uuid7()),
            "filename": "a.png",
            "content_type": "image/png",
            "data_b64": "iVBORw0K",
            "taken_at": now,
        },
    }[name]


NAMES = ["job.event", "job.edit", "checklist.answer", "part.use", "part.void", "job.sign", "photo.add"]


@st.composite
def hostile_args(draw: st.DrawFn, job_id: str, part_id: str) -> tuple[str, Any]:
    """A mutation name and args: any JSON, or valid args with one field broken, dropped or added."""
    name = draw(st.sampled_from(NAMES))
    how = draw(st.sampled_from(["any", "break", "drop", "add", "job"]))
    if how == "any":
        return name, draw(JSON)
    args = _valid_args(name, job_id, part_id)
    key = draw(st.sampled_from(sorted(args)))
    if how == "break":
        args[key] = draw(JSON)
    elif how == "drop":
        del args[key]
    elif how == "add":
        args[draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in args))] = draw(JSON)
    else:  # a job id that is not a job, or not an id
        args["job_id"] = draw(st.one_of(st.uuids().map(str), JSON))
    return name, args


async def test_fuzzed_args_are_rejected_or_4xx_and_never_change_the_job(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    loop = asyncio.get_running_loop()
    seen: dict[str, int] = {}

    async def version() -> int:
        return int((await eng.job(job["id"]))["version"])

    @FUZZ
    @given(case=hostile_args(job["id"], str(world.part_id)))
    def fuzz(case: tuple[str, Any]) -> None:
        name, args = case
        before = in_thread(loop, version)
        r = in_thread(loop, lambda: eng.push(mutation(name, args)))
        assert r.status_code in (200, 400), (name, args, r.status_code, r.text[:300])
        if r.status_code == 200:
            [result] = r.json()["results"]
            outcome = result["outcome"] if result["outcome"] != "rejected" else result["reason"]
            seen[outcome] = seen.get(outcome, 0) + 1
            if result["outcome"] == "rejected":
                assert in_thread(loop, version) == before, (name, args, result)
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert in_thread(loop, version) == before, (name, args, r.text[:300])
            seen["http_400"] = seen.get("http_400", 0) + 1

    await asyncio.to_thread(fuzz)
    assert seen.get("invalid_args", 0) > 10, seen  # the fuzzing reached the args validation
    assert len(seen) >= 3, seen  # and more than one answer
    landed = sum(n for outcome, n in seen.items() if outcome in ("applied", "merged", "conflict"))
    async with world.app.state.sessionmaker() as s:  # no timeline tap came from a refused mutation
        assert await s.scalar(select(func.count()).select_from(JobEvent)) <= landed
