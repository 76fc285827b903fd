"""The inspections screen's logic (pure) and its calls through the console's client, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from console.api import ApiError
from console.logic.inspections import (
    FormProblem,
    ScheduleForm,
    compliance_rows,
    rate_text,
    schedule_body,
    schedule_rows,
    shift_month,
    templates_for,
    this_month,
)
from console.roles import ROUTES, Screen, screen_of, screens_for
from console.state import ConsoleState, Office
from shared.enums import Role
from tests.support import PASSWORD, World

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _no_background_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEVEE_SCHEDULE_INTERVAL_S", "0")


def test_the_tab_is_for_dispatch_roles_only() -> None:
    assert ROUTES[Screen.INSPECTIONS] == "/inspections" and screen_of("/inspections") is Screen.INSPECTIONS
    for role in (Role.DISPATCHER, Role.MANAGER, Role.ADMIN):
        assert Screen.INSPECTIONS in screens_for(role)
    for role in (Role.QA, Role.WAREHOUSE, Role.ENGINEER):
        assert Screen.INSPECTIONS not in screens_for(role)


def test_schedule_body_says_what_to_fix_first() -> None:
    place = {"customer_id": "c", "site_id": "s"}
    cases = [
        (ScheduleForm(), "console.inspections.need_place"),
        (ScheduleForm(**place, start_on="2026-01-31"), "console.inspections.need_template"),
        (ScheduleForm(**place, equipment_id="e", frequency="weekly"), "console.inspections.need_frequency"),
        (ScheduleForm(**place, equipment_id="e", start_on="2026-02-30"), "console.inspections.bad_start"),
        (ScheduleForm(**place, equipment_id="e", start_on="2026-01-31", lead_days="x"), "console.inspections.bad_lead"),
        (ScheduleForm(**place, equipment_id="e", start_on="2026-01-31", lead_days="91"), "console.inspections.bad_lead"),
    ]  # fmt: skip
    for form, key in cases:
        with pytest.raises(FormProblem) as problem:
            schedule_body(form)
        assert problem.value.key == key, form
    body = schedule_body(
        ScheduleForm(**place, template_id="t", start_on=" 2024-02-29 ", lead_days=" 0 ", note=" 全站 ")
    )
    assert body == {
        "customer_id": "c",
        "site_id": "s",
        "template_id": "t",
        "frequency": "monthly",
        "start_on": "2024-02-29",
        "lead_days": 0,
        "note": "全站",
    }
    care = schedule_body(ScheduleForm(**place, kind="care_visit", start_on="2026-03-01"))
    assert care["kind"] == "care_visit" and "template_id" not in care  # a care visit needs no checklist


def test_templates_fitting_the_equipment_and_the_tables() -> None:
    templates = [
        {"id": "1", "category": "drainage_pump", "job_kind": "repair", "name": "B"},
        {"id": "2", "category": "drainage_pump", "job_kind": "inspection", "name": "Z"},
        {"id": "3", "category": "generator_set", "job_kind": "inspection", "name": "A"},
    ]
    assert [t["id"] for t in templates_for(templates, "drainage_pump")] == ["2", "1"]
    assert [t["id"] for t in templates_for(templates, None)] == ["3", "2", "1"]
    row = {
        "customer_name": "临川区水利局",
        "site_name": "城东排涝泵站",
        "equipment_label": "",
        "frequency": "half_yearly",
        "template_name": "",
        "engineer_name": "",
        "start_on": "2024-01-31",
        "end_on": "2025-01-31",
        "next_due_on": None,
        "jobs": 3,
        "active": False,
    }
    assert schedule_rows("zh-CN", [row]) == [
        ["临川区水利局", "城东排涝泵站", "整个站点", "每半年", "按设备类别的巡检表", "未指定（由调度派工）",
         "2024-01-31 — 2025-01-31", "—", "3", "已停用"]
    ]  # fmt: skip
    assert schedule_rows("en", [row])[0][3] == "Half-yearly"
    report = {
        "rows": [{"customer_name": "甲", "planned": 4, "on_time": 1, "late": 1, "missed": 1, "pending": 1}],
        "total": {"customer_name": "", "planned": 4, "on_time": 1, "late": 1, "missed": 1, "pending": 1},
    }
    rows, red = compliance_rows("zh-CN", report)
    assert rows == [["甲", "4", "1", "1", "1", "1", "33.3%"], ["合计", "4", "1", "1", "1", "1", "33.3%"]]
    assert red == [(0, 4), (1, 4)]
    assert rate_text({"pending": 3}) == "—"


def test_months() -> None:
    assert this_month(datetime(2024, 1, 31, 16, 30, tzinfo=UTC), TZ) == "2024-02"
    assert shift_month("2024-01", -1) == "2023-12" and shift_month("2024-12", 1) == "2025-01"
    assert shift_month("2024-02", 13) == "2025-03"
    for bad in ("2024-13", "2024/01", "abc"):
        with pytest.raises(ValueError):
            shift_month(bad, 1)


async def test_the_screens_calls_through_the_console_client(world: World) -> None:
    office = Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))
    await office.sign_in("http://levee.test", "dispatcher", PASSWORD, "后台浏览器")
    api = office.require()
    body = schedule_body(
        ScheduleForm(
            customer_id=str(world.customer_id),
            site_id=str(world.site_id),
            equipment_id=str(world.equipment_id),
            frequency="monthly",
            engineer_id=str(world.users["eng1"]),
            start_on=datetime.now(TZ).date().isoformat(),
            lead_days="3",
        )
    )
    created = await api.post("/api/inspections/schedules", body)
    with pytest.raises(ApiError) as twice:
        await api.post("/api/inspections/schedules", body)
    assert twice.value.code == "conflict" and "already an active monthly schedule" in twice.value.message
    result = await api.post("/api/inspections/generate")
    assert result["created"] == 1
    listed = await api.all_pages("/api/inspections/schedules", active="true")
    assert [(s["id"], s["jobs"], s["engineer_name"]) for s in listed] == [(created["id"], 1, "张伟")]
    report = await api.get("/api/reports/inspections", month=this_month(datetime.now(UTC), TZ))
    rows, _ = compliance_rows("zh-CN", report)
    assert rows[0][:2] == ["临川区水利局", "1"] and rows[-1][0] == "合计"
    data, name = await api.download("/api/reports/inspections.xlsx", month="2024-03", lang="en")
    assert name == "levee-inspections-2024-03.xlsx" and data[:2] == b"PK"
    await api.post(f"/api/inspections/schedules/{created['id']}/deactivate")
    assert await api.all_pages("/api/inspections/schedules", active="true") == []
    await office.sign_out()
