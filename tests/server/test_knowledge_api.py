"""The case library and the manuals per model through the API on both databases: QA drafts a case from a
closed job (its model, symptom, cause, fix and parts copied in), edits and publishes it; manuals are
uploaded and read back; a training session gets its phase and materials; bad input answers 4xx in words,
the wrong roles are refused, and every change is audited."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.db.models import AuditEntry, Equipment, Job, JobPart
from shared.clock import utcnow
from shared.knowledge import MAX_MANUAL_BYTES
from shared.refusals import refusal_text
from tests.support import World

MODEL = "QSZ-1500 潜水排涝泵"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 190)).save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def closed_job(
    world: World,
    *,
    engineer: str = "eng1",
    equipment_id: uuid.UUID | None = None,
    symptom: str = "水泵运行时机械密封处漏油",
) -> str:
    """A job closed by QA with its cause, fix and a part used (written straight to the database)."""
    job = await world.create_job(
        engineer=engineer, symptom=symptom, equipment_id=str(equipment_id or world.equipment_id)
    )
    async with world.app.state.sessionmaker() as s:
        row = await s.get(Job, uuid.UUID(job["id"]))
        assert row is not None
        row.status, row.closed_at = "closed", utcnow()
        row.cause, row.fix = "机械密封磨损，油室进水", "更换机械密封并换油，试运行 2 小时无渗漏"
        s.add(JobPart(id=uuid.uuid4(), job_id=row.id, part_id=world.part_id, quantity=2, used_at=utcnow()))
        await s.commit()
    return str(job["id"])


async def new_equipment(world: World, model: str, serial: str) -> uuid.UUID:
    async with world.app.state.sessionmaker() as s:
        item = Equipment(site_id=world.site_id, category="generator", model=model, serial_no=serial)
        s.add(item)
        await s.commit()
        return item.id


async def _actions(world: World) -> list[str]:
    async with world.app.state.sessionmaker() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
        return [r.action for r in rows if r.action.startswith("knowledge.")]


async def test_qa_drafts_a_case_from_a_closed_job_edits_and_publishes_it(world: World) -> None:
    qa = await world.login("qa")
    job_id = await closed_job(world)
    r = await world.client.post("/api/knowledge/cases", json={"job_id": job_id}, headers=qa)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "draft" and case["model"] == MODEL and case["number"].startswith("KC-")
    assert case["symptom"] == "水泵运行时机械密封处漏油" and case["cause"].startswith("机械密封磨损")
    assert len(case["parts"]) == 1 and case["parts"][0].endswith("×2") and case["job_number"]

    again = await world.client.post("/api/knowledge/cases", json={"job_id": job_id}, headers=qa)
    assert again.status_code == 409 and again.json()["code"] == "knowledge.job_has_case"

    r = await world.client.patch(
        f"/api/knowledge/cases/{case['id']}",
        json={"title": "机械密封漏油的处理", "fix": "更换机械密封"},
        headers=qa,
    )
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "机械密封漏油的处理" and r.json()["fix"] == "更换机械密封"

    r = await world.client.post(f"/api/knowledge/cases/{case['id']}/publish", headers=qa)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["published_at"]
    twice = await world.client.post(f"/api/knowledge/cases/{case['id']}/publish", headers=qa)
    assert twice.status_code == 409 and twice.json()["code"] == "knowledge.case_published"
    gone = await world.client.delete(f"/api/knowledge/cases/{case['id']}", headers=qa)
    assert gone.status_code == 409  # a published case is withdrawn first

    desk = await world.login("dispatcher")  # the office reads the library
    listed = await world.client.get(
        "/api/knowledge/cases", params={"status": "published", "q": "漏油"}, headers=desk
    )
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()] == [case["id"]]
    none = await world.client.get("/api/knowledge/cases", params={"q": "发电机"}, headers=desk)
    assert none.json() == []
    assert (await world.client.get("/api/knowledge/models", headers=desk)).json() == [MODEL]

    r = await world.client.post(f"/api/knowledge/cases/{case['id']}/unpublish", headers=qa)
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert (await world.client.delete(f"/api/knowledge/cases/{case['id']}", headers=qa)).status_code == 204
    assert (await world.client.get(f"/api/knowledge/cases/{case['id']}", headers=desk)).status_code == 404
    assert await _actions(world) == [
        "knowledge.case_draft",
        "knowledge.case_edit",
        "knowledge.case_publish",
        "knowledge.case_unpublish",
        "knowledge.case_delete",
    ]


async def test_a_case_is_refused_in_words_from_an_open_job_or_when_incomplete(world: World) -> None:
    qa = await world.login("qa")
    open_job = (await world.create_job(engineer="eng1"))["id"]
    r = await world.client.post("/api/knowledge/cases", json={"job_id": open_job}, headers=qa)
    assert r.status_code == 409 and r.json()["code"] == "knowledge.job_not_closed"
    assert "closed" in r.json()["detail"]
    assert "已关闭" in refusal_text("zh-CN", r.json())
    missing = await world.client.post("/api/knowledge/cases", json={"job_id": str(uuid.uuid4())}, headers=qa)
    assert missing.status_code == 404
    bad = await world.client.post("/api/knowledge/cases", json={"job_id": "not-a-uuid"}, headers=qa)
    assert bad.status_code == 400
    extra = await world.client.post("/api/knowledge/cases", json={"job_id": open_job, "x": 1}, headers=qa)
    assert extra.status_code == 400

    case = (
        await world.client.post("/api/knowledge/cases", json={"job_id": await closed_job(world)}, headers=qa)
    ).json()
    r = await world.client.patch(f"/api/knowledge/cases/{case['id']}", json={"cause": ""}, headers=qa)
    assert r.status_code == 200
    r = await world.client.post(f"/api/knowledge/cases/{case['id']}/publish", headers=qa)
    assert r.status_code == 422 and r.json()["code"] == "knowledge.case_incomplete"
    r = await world.client.patch(f"/api/knowledge/cases/{case['id']}", json={"symptom": ""}, headers=qa)
    assert r.status_code == 400
    r = await world.client.patch(f"/api/knowledge/cases/{case['id']}", json={"title": "x" * 201}, headers=qa)
    assert r.status_code == 400


async def test_only_qa_manager_and_admin_curate_and_engineers_do_not_read_the_office_library(
    world: World,
) -> None:
    job_id = await closed_job(world)
    for user in ("dispatcher", "warehouse", "eng1"):
        r = await world.client.post(
            "/api/knowledge/cases", json={"job_id": job_id}, headers=await world.login(user)
        )
        assert r.status_code == 403, user
    r = await world.client.get("/api/knowledge/cases", headers=await world.login("eng1"))
    assert r.status_code == 403
    r = await world.client.post(
        "/api/knowledge/cases", json={"job_id": job_id}, headers=await world.login("manager")
    )
    assert r.status_code == 201


async def test_manuals_are_uploaded_read_back_and_an_engineer_reads_only_their_models(world: World) -> None:
    qa = await world.login("qa")
    pdf = _pdf()
    r = await world.client.post(
        "/api/knowledge/manuals",
        params={
            "model": MODEL,
            "title": "QSZ-1500 使用说明书",
            "kind": "manual",
            "filename": "QSZ 说明书.pdf",
        },
        content=pdf,
        headers={**qa, "Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    manual = r.json()
    assert (
        manual["size"] == len(pdf) and manual["kind"] == "manual" and manual["filename"] == "QSZ 说明书.pdf"
    )
    other_model = "GF-50 柴油发电机组"
    r = await world.client.post(
        "/api/knowledge/manuals",
        params={"model": other_model, "title": "发电机组培训图", "kind": "training"},
        content=_png(),
        headers={**qa, "Content-Type": "image/png"},
    )
    assert r.status_code == 201, r.text
    other = r.json()

    listed = await world.client.get("/api/knowledge/manuals", params={"model": MODEL}, headers=qa)
    assert [m["id"] for m in listed.json()] == [manual["id"]]
    got = await world.client.get(
        f"/api/knowledge/manuals/{manual['id']}/file", headers=await world.login("dispatcher")
    )
    assert got.status_code == 200 and got.content == pdf

    await world.create_job(engineer="eng1")  # eng1 works on the QSZ-1500
    eng = await world.login("eng1")
    assert (await world.client.get(f"/api/knowledge/manuals/{manual['id']}/file", headers=eng)).content == pdf
    hidden = await world.client.get(f"/api/knowledge/manuals/{other['id']}/file", headers=eng)
    assert hidden.status_code == 404 and hidden.json()["code"] == "knowledge.manual_not_found"

    assert (await world.client.delete(f"/api/knowledge/manuals/{other['id']}", headers=qa)).status_code == 204
    assert (
        await world.client.get(f"/api/knowledge/manuals/{other['id']}/file", headers=qa)
    ).status_code == 404
    assert await _actions(world) == [
        "knowledge.manual_upload",
        "knowledge.manual_upload",
        "knowledge.manual_delete",
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "params", "status", "code"),
    [
        (b"", "image/png", {}, 422, "knowledge.file_empty"),
        (b"just text", "text/plain", {}, 415, "knowledge.file_type"),
        (b"\x89PNG\r\n\x1a\n not really", "image/png", {}, 422, "knowledge.file_unreadable"),
        (b"%PDF-1.4 broken %%EOF", "application/pdf", {}, 422, "knowledge.file_unreadable"),
        (b"\0" * (MAX_MANUAL_BYTES + 1), "application/pdf", {}, 413, None),
        (b"%PDF", "application/pdf", {"title": "   "}, 422, "knowledge.bad_text"),
        (b"%PDF", "application/pdf", {"kind": "poster"}, 400, None),
    ],
)
async def test_a_bad_manual_is_refused_in_words_and_nothing_is_stored(
    world: World, body: bytes, content_type: str, params: dict[str, Any], status: int, code: str | None
) -> None:
    qa = await world.login("qa")
    r = await world.client.post(
        "/api/knowledge/manuals",
        params={"model": MODEL, "title": "说明书", **params},
        content=body,
        headers={**qa, "Content-Type": content_type},
    )
    assert r.status_code == status, r.text
    if code:
        assert r.json()["code"] == code and refusal_text("zh-CN", r.json())
    assert (await world.client.get("/api/knowledge/manuals", headers=qa)).json() == []


async def test_a_training_session_gets_its_phase_and_materials(world: World) -> None:
    desk = await world.login("dispatcher")
    qa = await world.login("qa")
    manual = (
        await world.client.post(
            "/api/knowledge/manuals",
            params={"model": MODEL, "title": "排涝泵操作培训教材", "kind": "training"},
            content=_pdf(),
            headers={**qa, "Content-Type": "application/pdf"},
        )
    ).json()
    r = await world.client.post(
        "/api/training",
        json={
            "customer_id": str(world.customer_id),
            "site_id": str(world.site_id),
            "equipment_id": str(world.equipment_id),
            "engineer_id": str(world.users["eng1"]),
            "content": "排涝泵的操作与日常保养",
            "place": "泵站会议室",
            "scheduled_at": "2026-12-20T09:00:00+08:00",
            "attendees": ["张三"],
        },
        headers=desk,
    )
    assert r.status_code == 201, r.text
    training = r.json()["id"]
    fresh = await world.client.get(f"/api/knowledge/trainings/{training}", headers=qa)
    assert fresh.status_code == 200 and fresh.json() == {"job_id": training, "phase": None, "materials": []}
    r = await world.client.put(
        f"/api/knowledge/trainings/{training}",
        json={"phase": "commissioning", "manual_ids": [manual["id"], manual["id"]]},
        headers=desk,
    )
    assert r.status_code == 200, r.text
    assert r.json()["phase"] == "commissioning" and [m["id"] for m in r.json()["materials"]] == [manual["id"]]
    bad = await world.client.put(
        f"/api/knowledge/trainings/{training}", json={"phase": "someday", "manual_ids": []}, headers=desk
    )
    assert bad.status_code == 400
    unknown = await world.client.put(
        f"/api/knowledge/trainings/{training}", json={"manual_ids": [str(uuid.uuid4())]}, headers=desk
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "knowledge.manual_not_found"
    repair = (await world.create_job(engineer="eng1"))["id"]
    r = await world.client.put(
        f"/api/knowledge/trainings/{repair}", json={"phase": "operation"}, headers=desk
    )
    assert r.status_code == 422 and r.json()["code"] == "training.not_training"
    assert (
        await world.client.put(f"/api/knowledge/trainings/{training}", json={}, headers=qa)
    ).status_code == 403
    assert "knowledge.training_set" in await _actions(world)
