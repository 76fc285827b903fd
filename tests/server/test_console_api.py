"""What the back-office console reads from the server, through HTTP, on SQLite and PostgreSQL.

The engineer list with open load and last sync, the conflict queue with names, the whole service form
and its printable PDF, and report exports as CSV and XLSX.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader, PdfWriter

from mobile.services.jobs import JobActions
from shared.enums import CheckResult, JobEventType
from tests.conftest import DeviceFactory
from tests.pdf import pdf_text, squeezed
from tests.support import Device, World


def site_photo() -> bytes:
    """A small JPEG that looks like something (a pump housing and a tangle), made here."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (92, 110, 124))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 40, 260, 200), fill=(40, 70, 110), outline=(230, 230, 230), width=4)
    draw.ellipse((110, 70, 210, 170), fill=(150, 150, 150), outline=(20, 20, 20), width=3)
    for i in range(8):
        draw.line((100 + i * 14, 80, 200 - i * 9, 160), fill=(60, 120, 40), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


SIGNATURE = "M 20 80 L 60 20 L 100 80 L 140 30 L 180 90 M 30 100 L 170 100"


def first_page_pdf(pdf: bytes, target: Path) -> None:
    """The first page as ``target``.pdf (the README's link to the printed form), written with pypdf
    from the lock: no system tool to draw it with, and nothing left silently stale."""
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf)).pages[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_suffix(".pdf").open("wb") as out:
        writer.write(out)


async def _worked_job(world: World, device: Device) -> dict:
    """A repair worked on the tablet: taps (one with a time before the call), checklist, part, photo, sign."""
    job = await world.create_job(engineer="eng1", severity="major")
    job_id = uuid.UUID(job["id"])
    await device.sync()
    early = datetime.fromisoformat(job["call_received_at"]) - timedelta(minutes=40)
    JobActions(device.replica, clock=lambda: early).tap(job_id, JobEventType.ACKNOWLEDGED)
    actions = device.actions
    actions.tap(job_id, JobEventType.ARRIVED)
    actions.answer(job_id, "insulation", value=0.3)
    actions.answer(job_id, "seal", result=CheckResult.OK, note="无渗漏")
    actions.use_part(job_id, world.part_id, 2, old_part_returned=True)
    actions.add_photo(job_id, site_photo(), "叶轮.jpg", caption="叶轮缠绕杂物")
    actions.edit(job_id, cause="叶轮被杂草缠绕", fix="清理叶轮，更换机械密封")
    actions.tap(job_id, JobEventType.RESOLVED)
    actions.sign(job_id, satisfaction=4, signature=SIGNATURE, opinion="同意验收", comment="响应及时")
    await device.sync()
    return job


async def test_engineer_list_shows_open_load_and_last_sync(world: World, new_device: DeviceFactory) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    await world.create_job(engineer="eng1", severity="major", call_received_at=long_ago.isoformat())
    await world.create_job(engineer="eng1")
    closed = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    r = await world.client.post(
        f"/api/jobs/{closed['id']}/cancel", json={"reason": "客户撤回"}, headers=office
    )
    assert r.status_code == 200
    device = await new_device("eng1")
    await device.sync()

    r = await world.client.get("/api/console/engineers", headers=office)
    assert r.status_code == 200, r.text
    rows = {row["username"]: row for row in r.json()}
    assert set(rows) == {"eng1", "eng2"}
    eng1, eng2 = rows["eng1"], rows["eng2"]
    assert (eng1["open_jobs"], eng1["major_open"], eng1["breached_open"]) == (2, 1, 1)
    assert eng1["devices"] == 1 and eng1["last_sync_at"] is not None
    assert datetime.fromisoformat(eng1["last_sync_at"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert (eng2["open_jobs"], eng2["devices"], eng2["last_sync_at"]) == (0, 0, None)
    assert eng1["display_name"] == "张伟"

    r = await world.client.get("/api/console/engineers", headers=await world.login("qa"))
    assert r.status_code == 403


async def test_conflict_queue_names_the_job_engineer_device_and_reviewer(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    device = await new_device("eng1", name="张伟的平板")
    await device.sync()
    device.actions.edit(job_id, symptom="叶轮缠绕杂物")
    office = await world.login("dispatcher")
    r = await world.client.patch(f"/api/jobs/{job_id}", json={"symptom": "客户改报：异响"}, headers=office)
    assert r.status_code == 200
    await device.sync()

    r = await world.client.get("/api/console/conflicts", headers=await world.login("manager"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1
    row = page["items"][0]
    assert (row["job_number"], row["engineer_name"], row["device_name"]) == (
        job["number"],
        "张伟",
        "张伟的平板",
    )
    assert (row["field"], row["device_value"], row["server_value"]) == (
        "symptom",
        "叶轮缠绕杂物",
        "客户改报：异响",
    )
    assert (row["resolution"], row["reason"], row["status"]) == ("device_wins", "both_changed", "open")
    # the office's side: who wrote the value the device replaced, and when (issue 11 item 8)
    assert row["server_by_name"] == "调度小刘" and row["server_at"] is not None, row
    assert datetime.fromisoformat(row["server_at"]) <= datetime.fromisoformat(row["created_at"])

    r = await world.client.post(
        f"/api/conflicts/{row['id']}/override",
        json={"value": "客户改报：异响", "note": "以客户电话为准"},
        headers=await world.login("manager"),
    )
    assert r.status_code == 200, r.text
    r = await world.client.get("/api/console/conflicts", headers=office)
    assert r.json()["total"] == 0
    r = await world.client.get("/api/console/conflicts", params={"status": ""}, headers=office)
    done = r.json()["items"][0]
    assert (done["status"], done["reviewer_name"]) == ("overridden", "售后经理")
    await device.sync()
    assert device.replica.job(job_id)["symptom"] == "客户改报：异响"


async def test_service_form_has_timeline_flags_checklist_parts_photos_and_signature(
    world: World, new_device: DeviceFactory
) -> None:
    device = await new_device("eng1")
    job = await _worked_job(world, device)
    r = await world.client.get(f"/api/jobs/{job['id']}/form", headers=await world.login("qa"))
    assert r.status_code == 200, r.text
    form = r.json()
    assert form["job"]["status"] == "signed_off" and form["job"]["times_flagged"] is True
    assert form["job"]["signature"] == SIGNATURE
    assert [e["type"] for e in form["events"]] == ["acknowledged", "arrived", "resolved", "signed_off"]
    flagged = [e for e in form["events"] if e["flagged"]]
    assert [e["type"] for e in flagged] == ["acknowledged"]
    assert "before the call" in flagged[0]["flag_reason"]
    assert form["template_name"] == "排涝泵检查"
    by_code = {a["item_code"]: a for a in form["checklist"]}
    assert list(by_code) == ["insulation", "seal", "noise"]
    assert (by_code["insulation"]["label_zh"], by_code["insulation"]["value"]) == ("绝缘电阻", 0.3)
    assert by_code["insulation"]["out_of_range"] is True and by_code["insulation"]["unit"] == "MΩ"
    assert (by_code["seal"]["result"], by_code["seal"]["note"]) == ("ok", "无渗漏")
    assert by_code["noise"]["result"] is None and by_code["noise"]["required"] is False
    assert [(p["code"], p["name"], p["quantity"], p["old_part_returned"]) for p in form["parts"]] == [
        ("P-DP-001", "机械密封", 2, True)
    ]
    assert [(p["filename"], p["caption"]) for p in form["photos"]] == [("叶轮.jpg", "叶轮缠绕杂物")]
    assert (
        form["job"]["customer"]["name"] == "临川区水利局"
        and form["job"]["engineer"]["display_name"] == "张伟"
    )

    for username in ("eng1", "warehouse"):
        r = await world.client.get(f"/api/jobs/{job['id']}/form", headers=await world.login(username))
        assert r.status_code == 403, username
    r = await world.client.get(f"/api/jobs/{uuid.uuid4()}/form", headers=await world.login("qa"))
    assert r.status_code == 404


async def test_printable_form_is_a_chinese_pdf_with_the_job_number(
    world: World, new_device: DeviceFactory, tmp_path: Path
) -> None:
    device = await new_device("eng1")
    job = await _worked_job(world, device)
    r = await world.client.get(f"/api/jobs/{job['id']}/form.pdf", headers=await world.login("qa"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert f'filename="{job["number"]}.pdf"' in r.headers["content-disposition"]
    assert r.content.startswith(b"%PDF")
    assert b"NotoSansCJKSC" in r.content  # the bundled CJK face is embedded
    text = squeezed(await asyncio.to_thread(pdf_text, r.content))
    for expected in (job["number"], "售后维修服务单", "临川区水利局", "绝缘电阻", "机械密封", "同意验收"):
        assert expected in text, expected
    assert "存疑" in text and "时间早于接到报修" in text  # the flagged acknowledge time
    keep = os.environ.get("LEVEE_SCREENSHOTS")
    if keep and "sqlite" in str(world.app.state.settings.database_url):
        await asyncio.to_thread(first_page_pdf, r.content, Path(keep) / "console-form-pdf")

    r = await world.client.get(
        f"/api/jobs/{job['id']}/form.pdf", params={"lang": "en"}, headers=await world.login("manager")
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = await asyncio.to_thread(pdf_text, r.content)
    assert "After-salesserviceform" in squeezed(text) and job["number"] in text


async def test_an_unsigned_job_prints_with_an_empty_signature_box(world: World, tmp_path: Path) -> None:
    job = await world.create_job()
    r = await world.client.get(f"/api/jobs/{job['id']}/form.pdf", headers=await world.login("dispatcher"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = await asyncio.to_thread(pdf_text, r.content)
    assert "用户尚未签字" in squeezed(text)


async def _report_data(world: World, new_device: DeviceFactory) -> None:
    device = await new_device("eng1")
    await _worked_job(world, device)
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    await device.sync()
    device.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
    await device.sync()


async def test_response_times_export_as_csv_matches_the_report(
    world: World, new_device: DeviceFactory
) -> None:
    await _report_data(world, new_device)
    headers = await world.login("manager")
    report = (
        await world.client.get(
            "/api/reports/response-times", params={"group_by": "engineer"}, headers=headers
        )
    ).json()
    r = await world.client.get(
        "/api/exports/response-times.csv", params={"group_by": "engineer"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="levee-response-times-' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese right
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["工程师", "工单数", "接单·计数", "接单·中位数（分钟）"]
    assert len(rows[0]) == 2 + 3 * 8
    body = {row[0]: row for row in rows[1:]}
    expected = report["rows"][0]
    assert expected["label"] == "张伟"
    line = body["张伟"]
    assert int(line[1]) == expected["jobs"] == 2
    assert int(line[2]) == expected["acknowledge"]["count"] == 2
    assert float(line[3]) == expected["acknowledge"]["median_min"]
    assert int(line[6]) == expected["acknowledge"]["flagged_jobs"] == 1

    r = await world.client.get(
        "/api/exports/response-times.csv", params={"lang": "en"}, headers=await world.login("dispatcher")
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Scope", "Jobs", "Acknowledge: count"] and rows[1][0] == "All jobs"


async def test_exports_open_as_xlsx_workbooks(world: World, new_device: DeviceFactory) -> None:
    await _report_data(world, new_device)
    headers = await world.login("manager")
    r = await world.client.get(
        "/api/exports/response-times.xlsx",
        params={"group_by": "severity", "customer_id": str(world.customer_id)},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "响应时间"
    assert list(values[3][:2]) == ["用户单位", "临川区水利局"]  # the filter, by name
    header = next(i for i, row in enumerate(values) if row[0] == "故障级别")
    data = {row[0]: row for row in values[header + 1 :]}
    assert set(data) == {"重大故障", "一般故障"}
    assert (
        data["重大故障"][1] == 1 and data["重大故障"][3] == -40
    )  # acknowledged 40 min before the call (flagged)

    for name, first_header in (
        ("sla.xlsx", "承诺"),
        ("breaches.xlsx", "工单号"),
        ("quality.xlsx", "指标"),
        ("feedback.xlsx", "月份"),
    ):
        r = await world.client.get(f"/api/exports/{name}", headers=headers)
        assert r.status_code == 200, (name, r.text)
        rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
        assert any(row and row[0] == first_header for row in rows), (name, rows[:6])


async def test_breach_and_quality_csv_exports(world: World, new_device: DeviceFactory) -> None:
    await _report_data(world, new_device)
    headers = await world.login("qa")
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    r = await world.client.get("/api/exports/breaches.csv", params={"now": later}, headers=headers)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工单号" and rows[0][-2] == "时间存疑"
    assert len(rows) > 1 and all(row[0].startswith("WO-") for row in rows[1:])
    r = await world.client.get("/api/exports/quality.csv", headers=headers)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["指标", "数值"] and rows[1] == ["已修复的报修单", "1"]


async def test_export_names_and_roles_are_checked(world: World) -> None:
    headers = await world.login("manager")
    for name in ("response-times.pdf", "nothing.csv", "sla", "../sla.csv"):
        r = await world.client.get(f"/api/exports/{name}", headers=headers)
        assert r.status_code == 404, (name, r.status_code)
    r = await world.client.get("/api/exports/sla.csv", headers=await world.login("eng1"))
    assert r.status_code == 403
    r = await world.client.get("/api/exports/sla.csv", headers=await world.login("warehouse"))
    assert r.status_code == 403
    r = await world.client.get(
        "/api/exports/sla.csv", params={"received_from": "2026-01-01T00:00:00"}, headers=headers
    )
    assert r.status_code in (400, 422)
