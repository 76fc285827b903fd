"""Delivery documents (合格证, 使用说明书, 保修卡) of a delivered unit through the API on both databases:
received or not and when, a scan attached and read back, bad uploads refused in words with nothing stored,
the service desk records and the rest of the office reads, every change in the audit trail."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from server.db.models import AuditEntry, DeliveryDocument
from shared.delivery import MAX_SCAN_BYTES
from shared.refusals import refusal_text
from tests.support import World


def _png(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 190)).save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _actions(world: World) -> list[tuple[str, dict[str, Any]]]:
    async with world.app.state.sessionmaker() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
        return [(r.action, r.detail) for r in rows if r.action.startswith("delivery_document.")]


async def test_the_desk_records_which_documents_a_unit_came_with_and_attaches_their_scans(
    world: World,
) -> None:
    desk = await world.login("dispatcher")
    base = f"/api/equipment/{world.equipment_id}/documents"
    fresh = await world.client.get(base, headers=desk)
    assert fresh.status_code == 200, fresh.text
    assert [(d["kind"], d["received"], d["received_on"]) for d in fresh.json()] == [
        ("certificate", False, None),
        ("manual", False, None),
        ("warranty_card", False, None),
    ]

    r = await world.client.put(
        f"{base}/certificate", json={"received": True, "received_on": "2024-05-06"}, headers=desk
    )
    assert r.status_code == 200, r.text
    assert r.json()["received_on"] == "2024-05-06" and r.json()["scan_filename"] is None
    r = await world.client.put(
        f"{base}/warranty_card", json={"received": False, "note": "客户说随后寄回"}, headers=desk
    )
    assert r.status_code == 200, r.text

    png = _png()
    up = await world.client.put(
        f"{base}/certificate/scan",
        content=png,
        params={"filename": "合格证 扫描.png"},
        headers={**desk, "Content-Type": "image/png"},
    )
    assert up.status_code == 200, up.text
    assert up.json()["scan_size"] == len(png) and up.json()["scan_content_type"] == "image/png"
    assert up.json()["received_on"] == "2024-05-06"  # the scan leaves the receipt as it was
    pdf = _pdf()
    up = await world.client.put(
        f"{base}/manual/scan", content=pdf, headers={**desk, "Content-Type": "application/pdf"}
    )
    assert up.status_code == 200, up.text
    assert up.json()["received"] is False  # a scan alone does not say when it was received

    qa = await world.login("qa")  # everyone in the office reads
    got = await world.client.get(f"{base}/certificate/scan", headers=qa)
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"].startswith("image/png")
    assert (await world.client.get(f"{base}/manual/scan", headers=qa)).content == pdf
    missing = await world.client.get(f"{base}/warranty_card/scan", headers=qa)
    assert missing.status_code == 404 and missing.json()["code"] == "delivery.no_scan"

    whole = await world.client.get(f"/api/customers/{world.customer_id}/delivery-documents", headers=qa)
    assert whole.status_code == 200, whole.text
    unit = next(u for u in whole.json() if u["equipment_id"] == str(world.equipment_id))
    assert {d["kind"]: (d["received"], d["scan_filename"]) for d in unit["documents"]} == {
        "certificate": (True, "合格证 扫描.png"),
        "manual": (False, "scan"),
        "warranty_card": (False, None),
    }

    actions = await _actions(world)
    assert [a for a, _ in actions] == [
        "delivery_document.set",
        "delivery_document.set",
        "delivery_document.scan",
        "delivery_document.scan",
    ]
    assert actions[0][1]["kind"] == "certificate" and actions[0][1]["received_on"] == "2024-05-06"
    assert actions[2][1]["size"] == len(png) and len(actions[2][1]["sha256"]) == 64


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"", "image/png", 422, "delivery.scan_empty"),
        (b"GIF89a" + b"\0" * 40, "image/gif", 415, "delivery.scan_type"),
        (b"just text", "text/plain", 415, "delivery.scan_type"),
        (b"\x89PNG\r\n\x1a\n not really", "image/png", 422, "delivery.scan_unreadable"),
        (b"%PDF-1.4 broken %%EOF", "application/pdf", 422, "delivery.scan_unreadable"),
        (b"RIFF\0\0\0\0WAVEfmt ", "image/webp", 422, "delivery.scan_unreadable"),
        (b"\0" * (MAX_SCAN_BYTES + 1), "application/pdf", 413, "delivery.scan_too_large"),
    ],
)
async def test_a_bad_scan_is_refused_in_words_and_nothing_is_stored(
    world: World, body: bytes, content_type: str, status: int, code: str
) -> None:
    desk = await world.login("dispatcher")
    r = await world.client.put(
        f"/api/equipment/{world.equipment_id}/documents/certificate/scan",
        content=body,
        headers={**desk, "Content-Type": content_type},
    )
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    worded = refusal_text("zh-CN", r.json())
    assert worded and worded != r.json()["detail"]  # worded from the catalogue
    async with world.app.state.sessionmaker() as s:
        assert (await s.scalars(select(DeliveryDocument))).all() == []
    assert await _actions(world) == []


async def test_bad_records_and_roles_are_refused(world: World) -> None:
    desk = await world.login("dispatcher")
    base = f"/api/equipment/{world.equipment_id}/documents"
    for bad in (
        {"received": True},  # received, but when?
        {"received": False, "received_on": "2024-05-06"},
        {"received": True, "received_on": "someday"},
        {"received": "maybe"},
        {"received": True, "received_on": "2024-05-06", "extra": 1},
    ):
        r = await world.client.put(f"{base}/manual", json=bad, headers=desk)
        assert 400 <= r.status_code < 500 and r.status_code != 404, (bad, r.text)
    unknown = await world.client.put(f"{base}/invoice", json={"received": False}, headers=desk)
    assert unknown.status_code == 404 and unknown.json()["code"] == "delivery.no_such_kind"
    nowhere = await world.client.put(
        "/api/equipment/00000000-0000-7000-8000-000000000000/documents/manual",
        json={"received": False},
        headers=desk,
    )
    assert nowhere.status_code == 404
    for who in ("eng1", "qa", "warehouse"):
        headers = await world.login(who)
        r = await world.client.put(
            f"{base}/manual", json={"received": True, "received_on": "2024-05-06"}, headers=headers
        )
        assert r.status_code == 403, (who, r.text)
        r = await world.client.put(
            f"{base}/manual/scan", content=_png(), headers={**headers, "Content-Type": "image/png"}
        )
        assert r.status_code == 403, (who, r.text)
    engineer = await world.login("eng1")
    assert (await world.client.get(base, headers=engineer)).status_code == 403
    async with world.app.state.sessionmaker() as s:
        assert (await s.scalars(select(DeliveryDocument))).all() == []
