"""Hostile input that once answered 500 (issue 13, item 10), pinned down on SQLite and PostgreSQL.

Each case is a shape of input, not one value: bodies that are not UTF-8 or nest too deep, dates past the
calendar the app can compute with, control characters that a file format cannot hold, and text longer
than the database column. Each must be a 4xx with problem details that say what is wrong, and change
nothing. ``tests/server/test_fuzz_api.py`` sends the same shapes to every route.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

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
