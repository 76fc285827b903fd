"""Hostile input that once answered 500 (issue 13, item 10), pinned down on SQLite and PostgreSQL.

Each case is a shape of input, not one value: bodies that are not UTF-8 or nest too deep, dates past the
calendar the app can compute with, control characters that a file format cannot hold, and text longer
than the database column. Each must be a 4xx with problem details that say what is wrong, and change
nothing. ``tests/server/test_fuzz_api.py`` sends the same shapes to every route.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import resource
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from server.db.models import Job, Photo
from sync.protocol import MutationName
from tests.conftest import DeviceFactory
from tests.support import World


def _problem(r: Any, status: int | tuple[int, ...] = 400) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == r.status_code and body["detail"], body
    body["said"] = body["detail"] + " " + json.dumps(body.get("errors", ""), ensure_ascii=False)
    return dict(body)


@pytest.mark.parametrize(
    "content",
    [b'{"username": "admin\xff\xfe", "password": "x", "device_name": "d"}', b"[" * 5000, b"{" * 5000],
    ids=["invalid-utf8", "brackets", "braces"],
)
async def test_a_login_body_that_is_not_json_text_is_a_400(world: World, content: bytes) -> None:
    r = await world.client.post(
        "/api/auth/login", content=content, headers={"content-type": "application/json"}
    )
    _problem(r)


def _nested(depth: int) -> Any:
    value: Any = "漏水"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


async def test_push_arguments_nested_too_deep_are_a_400(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    body = {
        "protocol": 1,
        "device_time": "2026-05-01T08:00:00+08:00",
        "mutations": [
            {
                "id": "01890000-0000-7000-8000-000000000001",
                "client_seq": 1,
                "name": "job.edit",
                "args": {"job_id": job["id"], "base_version": 0, "fields": {"notes": _nested(700)}},
                "created_at": "2026-05-01T08:00:00+08:00",
            }
        ],
    }
    r = await world.client.post("/api/sync/push", json=body, headers=await world.login("eng1"))
    assert "deep" in _problem(r)["detail"]


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "0001-01"])
async def test_a_month_past_the_calendar_is_a_400(world: World, month: str) -> None:
    headers = await world.login("manager")
    r = await world.client.get("/api/reports/satisfaction", params={"month": month}, headers=headers)
    assert "month" in _problem(r, (400, 422))["said"]


async def test_a_warranty_past_the_calendar_is_a_400_on_create_and_on_update(world: World) -> None:
    admin = await world.login("admin")
    body = {
        "site_id": str(world.site_id),
        "category": "drainage_pump",
        "model": "QJ-200",
        "serial_no": "X-9999",
        "delivered_on": "9999-12-31",
        "warranty_years": 30,
    }
    r = await world.client.post("/api/equipment", json=body, headers=admin)
    assert "delivered_on" in _problem(r, (400, 422))["said"]
    body["delivered_on"] = "2020-01-01"
    r = await world.client.post("/api/equipment", json=body, headers=admin)
    assert r.status_code == 201, r.text
    url = f"/api/equipment/{r.json()['id']}"
    patch = {"delivered_on": "9999-12-31", "warranty_years": 30}
    assert (
        "delivered_on"
        in _problem(await world.client.patch(url, json=patch, headers=admin), (400, 422))["said"]
    )
    assert (await world.client.get(url, headers=admin)).json()["delivered_on"] == "2020-01-01"


async def test_a_control_character_in_a_fault_does_not_break_the_feedback_workbook(world: World) -> None:
    await world.create_job(engineer="eng1", symptom="漏水\x1b[31m 严重\x07")
    r = await world.client.get("/api/exports/feedback.xlsx", headers=await world.login("manager"))
    assert r.status_code == 200, r.text
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    faults = [cell for row in rows for cell in row if isinstance(cell, str) and "严重" in cell]
    assert faults and all("\x1b" not in f and "\x07" not in f for f in faults), rows


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/parts", {"code": "P-LONG", "name": "机械密封", "unit": "套" * 21}, "unit"),
        ("/api/customers", {"name": "临川水利局", "contract_no": "合" * 201}, "contract_no"),
    ],
)
async def test_text_longer_than_its_column_is_a_400_that_names_the_field(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    admin = await world.login("admin")
    before = (await world.client.get(path, headers=admin)).json()
    r = await world.client.post(path, json=body, headers=admin)
    assert field in _problem(r, (400, 422))["said"]
    assert (await world.client.get(path, headers=admin)).json() == before


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def _wav() -> bytes:
    """A second of silence as a WAV file: it starts with ``RIFF``, like a WebP."""
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "content_type", "said"),
    [
        (_png(8000, 8000), "image/png", "8000x8000"),  # 186 KB that decode to 64 million pixels
        (_wav(), "image/webp", "not a readable image/webp"),
        (_png(64, 64)[:-30], "image/png", "not a readable image/png"),  # cut short
    ],
    ids=["8000x8000-png", "wav-as-webp", "truncated-png"],
)
async def test_a_photo_that_is_not_a_bounded_image_is_refused_and_not_stored(
    world: World, new_device: DeviceFactory, content: bytes, content_type: str, said: str
) -> None:
    job = await world.create_job(engineer="eng1")
    device = await new_device("eng1")
    await device.sync()
    photo_id = str(uuid.uuid4())
    device.replica.record(
        MutationName.PHOTO_ADD,
        {
            "job_id": job["id"],
            "photo_id": photo_id,
            "filename": "现场.png",
            "content_type": content_type,
            "data_b64": base64.b64encode(content).decode(),
            "taken_at": datetime.now(UTC).isoformat(),
        },
    )
    await device.sync()
    [rejection] = device.replica.rejections()
    assert rejection.reason == "invalid_photo" and said in rejection.message, rejection
    r = await world.client.get(f"/api/photos/{photo_id}", headers=await world.login("qa"))
    assert r.status_code == 404


HUGE = "1" * 400  # a coordinate of 400 digits: inf as a float


async def test_a_signature_with_a_coordinate_out_of_range_is_refused(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    device = await new_device("eng1")
    await device.sync()
    device.replica.record(
        MutationName.JOB_SIGN,
        {
            "job_id": job["id"],
            "event_id": str(uuid.uuid4()),
            "satisfaction": 5,
            "signature": f"M 20 80 L {HUGE} 20 L 100 80",
            "signed_at": datetime.now(UTC).isoformat(),
        },
    )
    await device.sync()
    [rejection] = device.replica.rejections()
    assert rejection.reason == "invalid_args" and "coordinate" in rejection.message, rejection
    r = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("qa"))
    assert r.json()["satisfaction"] is None


def _page_streams(pdf: bytes) -> bytes:
    """The PDF's content streams, inflated, to look for what was drawn."""
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


async def test_the_form_pdf_draws_a_stored_image_bomb_and_a_wild_signature_within_bounds(
    world: World,
) -> None:
    """Rows stored before the bounds existed: a 186 KB PNG of 8000x8000 pixels, and a signature with a
    400-digit coordinate. The PDF does not decode the bomb (it made one request take 620 MB) and does not
    write ``nan``; the rest of the signature is still drawn."""
    job = await world.create_job(engineer="eng1")
    bomb = _png(8000, 8000)
    async with world.app.state.sessionmaker() as session:
        row = await session.get(Job, uuid.UUID(job["id"]))
        assert row is not None
        row.signature = f"M 20 80 L {HUGE} 20 L 100 80 L 140 30"
        row.satisfaction = 4
        for i in range(3):
            session.add(
                Photo(
                    id=uuid.uuid4(),
                    job_id=row.id,
                    filename=f"bomb{i}.png",
                    content_type="image/png",
                    size=len(bomb),
                    sha256=hashlib.sha256(bomb).hexdigest(),
                    data=bomb,
                    taken_at=datetime.now(UTC),
                )
            )
        await session.commit()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = await world.client.get(f"/api/jobs/{job['id']}/form.pdf", headers=await world.login("qa"))
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
    drawn = _page_streams(r.content)
    points = re.findall(rb"(\S+) (\S+) [ml]\n", drawn)  # the strokes' moveto and lineto operators
    assert points, "the rest of the signature is drawn"
    assert all(re.fullmatch(rb"-?\d+(\.\d+)?", v) for p in points for v in p), points  # no nan, no inf
    assert grew_mb < 150, f"the PDF request raised the peak memory by {grew_mb:.0f} MB"


async def test_a_photo_of_another_engineers_job_answers_like_a_missing_photo(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    png = _png(4, 4)
    photo_id = uuid.uuid4()
    async with world.app.state.sessionmaker() as session:
        session.add(
            Photo(
                id=photo_id,
                job_id=uuid.UUID(job["id"]),
                filename="现场.png",
                content_type="image/png",
                size=len(png),
                sha256=hashlib.sha256(png).hexdigest(),
                data=png,
                taken_at=datetime.now(UTC),
            )
        )
        await session.commit()
    own = await world.client.get(f"/api/photos/{photo_id}", headers=await world.login("eng1"))
    assert own.status_code == 200 and own.content == png
    other = await world.client.get(f"/api/photos/{photo_id}", headers=await world.login("eng2"))
    nowhere_id = uuid.uuid4()
    nowhere = await world.client.get(f"/api/photos/{nowhere_id}", headers=await world.login("eng2"))
    assert other.status_code == nowhere.status_code == 404
    assert other.headers["content-type"] == nowhere.headers["content-type"]
    assert other.json() == {
        **nowhere.json(),
        "detail": f"no photo with id {photo_id}",
        "params": {"id": str(photo_id)},  # the refusal's code and params leak no more than its words
    }
    assert "job" not in other.text
