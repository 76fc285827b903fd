"""The console's rules without a browser: who sees which screen, the board's order, times typed by a
dispatcher, report shaping, how conflicts read, the form's timeline, and the catalogue behind it all."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from console.logic.board import Filter, Urgency, board_rows, counts, matches, search
from console.logic.conflicts import (
    can_override,
    field_label,
    override_label,
    resolution_text,
    value_text,
)
from console.logic.reports import (
    Period,
    flagged_total,
    group_label,
    minutes,
    nice_max,
    period_range,
    response_bars,
)
from console.logic.times import parse_day, parse_local
from console.roles import Screen, can_dispatch, can_review, screen_of, screens_for
from shared.enums import Role
from shared.i18n import LANGS, catalogue, translate
from shared.service_form import ServiceForm, flag_reason_text, timeline

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 7, 14, 2, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


def iso(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def job(number: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "number": number,
        "status": "assigned",
        "severity": "general",
        "customer_id": "c1",
        "site_id": "s1",
        "assigned_engineer_id": "e1",
        "symptom": "",
        "caller_name": "",
        "call_received_at": iso(-60),
        "respond_due_at": iso(120),
        "onsite_due_at": iso(300),
        "fix_due_at": iso(1000),
        "backup_due_at": iso(500),
        "backup_lent": False,
    }
    return {**base, **fields}


def test_each_role_sees_only_its_screens() -> None:
    assert screens_for(Role.DISPATCHER) == (
        Screen.BOARD,
        Screen.CALL,
        Screen.REGISTER,
        Screen.CONFLICTS,
        Screen.REPORTS,
        Screen.INSPECTIONS,
        Screen.CUSTOMERS,
        Screen.LOANS,
        Screen.PAID,
        Screen.RETURNS,
        Screen.QUALITY,
        Screen.NOTIFICATIONS,
        Screen.PEOPLE,
        Screen.KNOWLEDGE,
    )
    assert Screen.QA in screens_for(Role.QA) and Screen.CALL not in screens_for(Role.QA)
    assert screens_for(Role.WAREHOUSE) == (
        Screen.BOARD,
        Screen.STOCK,
        Screen.LOANS,
        Screen.NOTIFICATIONS,
        Screen.KNOWLEDGE,
    )
    assert Screen.ESCALATION in screens_for(Role.MANAGER) and Screen.ESCALATION not in screens_for(
        Role.DISPATCHER
    )
    assert Screen.STOCK in screens_for(Role.MANAGER) and Screen.STOCK not in screens_for(Role.DISPATCHER)
    assert screens_for(Role.ADMIN) == tuple(Screen) and screens_for(Role.ENGINEER) == ()
    # signed out (no role) or an unknown role: nothing, never an error (screens re-render while signing out)
    assert screens_for("") == () and not can_dispatch("") and not can_review("auditor")
    assert (
        can_dispatch("manager")
        and not can_dispatch("qa")
        and can_review("qa")
        and not can_review("dispatcher")
    )
    assert (
        screen_of("/job/123") is Screen.BOARD
        and screen_of("/qa/1") is Screen.QA
        and screen_of("/reports") is Screen.REPORTS
    )


def test_board_puts_breached_first_then_due_soon_or_past_backup_limit_then_by_next_deadline() -> None:
    jobs = [
        job("later", respond_due_at=iso(200)),
        job("soon", respond_due_at=iso(20)),
        job("breached-a-little", respond_due_at=iso(-5)),
        job("breached-long-ago", acknowledged_at=iso(-50), onsite_due_at=iso(-40)),
        job(
            "needs-backup",
            acknowledged_at=iso(-90),
            arrived_at=iso(-60),
            backup_due_at=iso(-1),
            fix_due_at=iso(60),
        ),
    ]
    rows = board_rows(jobs, NOW)
    assert [r.job["number"] for r in rows] == [
        "breached-long-ago",
        "breached-a-little",
        "needs-backup",
        "soon",
        "later",
    ]
    assert [r.urgency for r in rows[:2]] == [Urgency.BREACHED, Urgency.BREACHED]
    assert rows[2].needs_backup and rows[2].urgency is Urgency.ON_TRACK and rows[2].clock is not None
    tally = counts(rows)
    assert (tally[Filter.BREACHED], tally[Filter.SOON], tally[Filter.BACKUP], tally[Filter.ALL]) == (
        2,
        1,
        1,
        5,
    )


def test_a_breached_job_needing_backup_comes_before_other_breached_ones_and_lent_backup_clears_the_flag() -> (
    None
):
    late = {"respond_due_at": iso(-100)}
    rows = board_rows(
        [job("breached", **late), job("breached-no-backup-yet", **late, backup_due_at=iso(-10))], NOW
    )
    assert [r.job["number"] for r in rows] == ["breached-no-backup-yet", "breached"]
    lent = board_rows([job("lent", **late, backup_due_at=iso(-10), backup_lent=True)], NOW)[0]
    assert not lent.needs_backup and lent.backup_lent


def test_board_filters_and_search_use_names() -> None:
    rows = board_rows(
        [job("WO-1", assigned_engineer_id=None), job("WO-2", status="on_hold", symptom="漏水")], NOW
    )
    assert [r.job["number"] for r in rows if matches(r, Filter.UNASSIGNED)] == ["WO-1"]
    assert [r.job["number"] for r in rows if matches(r, Filter.ON_HOLD)] == ["WO-2"]
    assert [r.job["number"] for r in search(rows, "漏水", {})] == ["WO-2"]
    assert [r.job["number"] for r in search(rows, "临川", {"c1": "临川区水利局"})] == ["WO-1", "WO-2"]


def test_kept_late_promises_are_remembered_on_the_board() -> None:
    row = board_rows([job("x", acknowledged_at=iso(130))], NOW + timedelta(minutes=140))[0]
    assert row.kept_late == ("respond",)


def test_a_dispatcher_types_the_call_time_in_local_time() -> None:
    now = datetime(2026, 7, 14, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    assert parse_local("", CST, now) is None
    assert parse_local("2026-07-14 09:30", CST, now) == datetime(2026, 7, 14, 1, 30, tzinfo=UTC)
    assert parse_local("09:30", CST, now) == datetime(2026, 7, 14, 1, 30, tzinfo=UTC)
    assert parse_local("07-13 23:00", CST, now) == datetime(2026, 7, 13, 15, 0, tzinfo=UTC)
    assert parse_local("9：30", CST, now) == datetime(2026, 7, 14, 1, 30, tzinfo=UTC)  # full-width colon
    for bad in ("tomorrow", "11:30", "2026-13-01 00:00"):
        with pytest.raises(ValueError):
            parse_local(bad, CST, now)


def test_report_periods_are_local_months_and_inclusive_custom_days() -> None:
    now = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 July in Beijing, still 30 June nowhere
    assert period_range(Period.THIS_MONTH, now, CST) == (datetime(2026, 7, 1, tzinfo=CST), None)
    assert period_range(Period.LAST_MONTH, now, CST) == (
        datetime(2026, 6, 1, tzinfo=CST),
        datetime(2026, 7, 1, tzinfo=CST),
    )
    assert period_range(Period.ALL, now, CST) == (None, None)
    assert period_range(Period.CUSTOM, now, CST, "2026-06-01", "2026-06-30") == (
        datetime(2026, 6, 1, tzinfo=CST),
        datetime(2026, 7, 1, tzinfo=CST),
    )
    assert parse_day("2026/6/1").isoformat() == "2026-06-01"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        period_range(Period.CUSTOM, now, CST, "June", "")


def _stats(median: float | None, p90: float | None, flagged: int = 0) -> dict[str, Any]:
    count = 0 if median is None else 3
    clean = {"count": count, "median_min": median, "p90_min": p90, "max_min": p90}
    return {**clean, "flagged_jobs": flagged, "excluding_flagged": clean}


def test_response_time_rows_become_bars_labels_and_minutes() -> None:
    report = {
        "group_by": "severity",
        "rows": [
            {
                "key": "major",
                "label": None,
                "jobs": 3,
                "acknowledge": _stats(5, 9),
                "arrive": _stats(80, 120, 1),
                "fix": _stats(200, 300),
            },
            {
                "key": "general",
                "label": None,
                "jobs": 1,
                "acknowledge": _stats(None, None),
                "arrive": _stats(None, None),
                "fix": _stats(None, None),
            },
        ],
    }
    bars = response_bars("zh-CN", report, "arrive")
    assert [(b.label, b.median, b.p90) for b in bars] == [("重大故障", 80, 120)]
    assert flagged_total(report) == 1
    assert (
        group_label("en", None, {}) == "All jobs"
        and group_label("zh-CN", "engineer", {"key": None}) == "未派工"
    )
    assert minutes(None) == "—" and minutes(8.25) == "8.2" and nice_max(0) == 10 and nice_max(263) == 300


def test_conflicts_read_in_office_words_and_only_descriptive_fields_can_be_overridden() -> None:
    lww = {
        "entity": "job",
        "field": "symptom",
        "status": "open",
        "resolution": "device_wins",
        "reason": "both_changed",
    }
    assert can_override(lww) and not can_override({**lww, "status": "accepted"})
    assert not can_override(
        {**lww, "field": "status", "resolution": "office_kept", "reason": "office_cancelled"}
    )
    assert can_override({"entity": "checklist_result", "field": "checklist:seal", "status": "open"})
    assert field_label("zh-CN", lww) == "故障现象"
    assert field_label("en", {"field": "checklist:seal"}) == "Checklist item seal"
    assert value_text("zh-CN", None) == "（空）" and value_text("zh-CN", True) == "是"
    assert value_text("zh-CN", {"result": "fault", "value": None, "note": "渗油"}) == "故障 · 渗油"
    text = resolution_text("zh-CN", lww)
    assert "已采用工程师的值" in text and "办公室也修改了同一内容" in text


def _form(**job_fields: Any) -> ServiceForm:
    customer = {
        "id": str(uuid.uuid4()),
        "name": "临川区水利局",
        "contract_no": "",
        "contact_name": "",
        "contact_phone": "",
        "address": "",
        "warranty_years": 2,
    }
    site = {
        "id": str(uuid.uuid4()),
        "customer_id": customer["id"],
        "name": "城东排涝泵站",
        "address": "",
        "contact_name": "",
        "contact_phone": "",
        "latitude": None,
        "longitude": None,
    }
    stamps = dict.fromkeys(
        (
            "acknowledged_at",
            "departed_at",
            "arrived_at",
            "started_at",
            "resolved_at",
            "signed_off_at",
            "closed_at",
            "qa_at",
        )
    )
    base = {
        "id": str(uuid.uuid4()),
        "number": "WO-1",
        "kind": "repair",
        "severity": "general",
        "status": "resolved",
        "customer_id": customer["id"],
        "site_id": site["id"],
        "equipment_id": None,
        "assigned_engineer_id": None,
        "caller_name": "",
        "caller_phone": "",
        "symptom": "",
        "cause": "",
        "fix": "",
        "billable": None,
        "billable_reason": None,
        "backup_lent": False,
        "backup_note": "",
        "notes": "",
        "office_reason": "",
        "acceptance_opinion": "",
        "satisfaction": None,
        "acceptance_comment": "",
        "times_flagged": False,
        "qa_note": "",
        "qa_returns": 0,
        "call_received_at": iso(-600),
        **stamps,
        "respond_due_at": iso(-570),
        "onsite_due_at": iso(-360),
        "fix_due_at": iso(840),
        "backup_due_at": iso(-120),
        "version": 1,
        "created_at": iso(-600),
        "updated_at": iso(-600),
        "signature": "",
        "customer": customer,
        "site": site,
        "equipment": None,
        "engineer": None,
    }
    base.update(job_fields)
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": "acknowledged",
            "device_time": iso(-580),
            "received_at": iso(-580),
            "flagged": False,
            "flag_reason": "",
        },
        {
            "id": str(uuid.uuid4()),
            "type": "arrived",
            "device_time": iso(-300),
            "received_at": iso(-10),
            "flagged": True,
            "flag_reason": "device clock is 12 min slow",
        },
    ]
    return ServiceForm.model_validate(
        {"job": base, "events": events, "checklist": [], "parts": [], "photos": []}
    )


def test_the_form_timeline_names_each_step_once_with_its_deadline_and_flags() -> None:
    form = _form(acknowledged_at=iso(-580), arrived_at=iso(-300))
    steps = {s.step: s for s in timeline(form, NOW)}
    assert list(steps) == ["call", "acknowledged", "arrived", "resolved", "backup"]
    assert steps["acknowledged"].outcome == "met" and not steps["acknowledged"].bad
    assert steps["arrived"].outcome == "late" and steps["arrived"].late_seconds == 60 * 60
    assert steps["arrived"].flags == ("device clock is 12 min slow",) and steps["arrived"].bad
    assert steps["resolved"].outcome == "open" and steps["backup"].outcome == "backup_not_lent"
    assert flag_reason_text("zh-CN", "device clock is 12 min slow") == "设备时钟慢 12 分钟"
    assert flag_reason_text("en", "time is before the call was received") == "before the call was received"
    assert flag_reason_text("zh-CN", "设备时钟偏差超过 5 分钟") == "设备时钟偏差超过 5 分钟"


def test_every_catalogue_key_the_console_and_the_printed_form_use_exists_in_both_languages() -> None:
    pattern = re.compile(
        r"[\"']((?:console|error|form|report|flag|app|enum)\.[a-z_0-9\-]+(?:\.[a-z_0-9\-]+)+)[\"']"
    )
    used: set[str] = set()
    for folder in (ROOT / "console", ROOT / "server" / "console"):
        for path in folder.rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    for lang in LANGS:
        missing = sorted(k for k in used if k not in catalogue(lang))
        assert not missing, (lang, missing)
    assert translate("zh-CN", "console.title") == "Levee 售后服务后台"


def test_every_character_of_the_catalogues_is_in_the_bundled_font() -> None:
    from fontTools.ttLib import TTFont

    cmap = TTFont(ROOT / "shared" / "assets" / "fonts" / "NotoSansSC-Levee.otf").getBestCmap()
    for name in ("zh_CN.json", "en.json"):
        text = "".join(json.loads((ROOT / "shared" / "i18n" / name).read_text(encoding="utf-8")).values())
        missing = sorted({c for c in text if ord(c) not in cmap and not c.isspace()})
        assert not missing, (name, missing)  # Flutter draws boxes and the PDF drops them


def test_a_job_signed_twice_can_keep_its_first_signature() -> None:
    first = {
        "signature_id": "01980e3a-0000-7000-8000-000000000001",
        "comment": "comment-1",
        "satisfaction": 5,
    }
    conflict = {
        "entity": "job",
        "field": "acceptance",
        "status": "open",
        "resolution": "device_wins",
        "reason": "signed_twice",
        "server_value": first,
        "device_value": {**first, "signature_id": "01980e3a-0000-7000-8000-000000000002", "comment": "c2"},
    }
    assert can_override(conflict) and override_label(conflict) == "console.conflicts.keep_first_signature"
    assert not can_override({**conflict, "status": "overridden"})
    # a conflict recorded before signatures were kept has no signature to choose
    assert not can_override({**conflict, "server_value": {"opinion": "", "satisfaction": 5}})
    assert "comment-1" in value_text("en", first)


def test_a_refusal_reads_in_one_language_never_chinese_with_the_servers_english_detail() -> None:
    from console.api import ApiError
    from console.state import ConsoleState

    offline = ApiError("offline", "cannot reach the server")
    assert ConsoleState(lang="zh-CN").error_text(offline) == "连不上服务器"
    assert ConsoleState(lang="en").error_text(offline) == "Cannot reach the server: cannot reach the server"
    named = ApiError("conflict", "机械密封 库存不足")
    assert ConsoleState(lang="zh-CN").error_text(named) == "无法执行：机械密封 库存不足"
    # the server's code and params, worded by the catalogue; a code this build does not know (a newer
    # server) or no code (an older one) falls back to the words above
    body = {"detail": "job J-001 is closed; it cannot be assigned", "code": "job.not_assignable"}
    coded = ApiError(
        "conflict", body["detail"], 409, {**body, "params": {"number": "J-001", "status": "closed"}}
    )
    assert ConsoleState(lang="zh-CN").error_text(coded) == "无法执行：工单 J-001 已关闭，不能派工"
    assert (
        ConsoleState(lang="en").error_text(coded)
        == "Not possible now: Job J-001 is Closed; it cannot be assigned"
    )
    newer = ApiError("conflict", body["detail"], 409, {**body, "code": "job.from_the_future", "params": {}})
    assert ConsoleState(lang="zh-CN").error_text(newer) == "无法执行"
    assert ConsoleState(lang="en").error_text(newer) == "Not possible now: " + body["detail"]
    garbled = ApiError("conflict", body["detail"], 409, {**body, "params": ["J-001"]})
    assert ConsoleState(lang="zh-CN").error_text(garbled) == "无法执行"
    gone = ApiError("not_found", "no job with id 7", 404, {"code": "job.not_found", "params": {"id": "7"}})
    assert ConsoleState(lang="zh-CN").error_text(gone) == "没有编号为 7 的工单"
    for lang in LANGS:
        for code in ("busy", "conflict", "forbidden", "invalid", "not_found", "offline", "server_error"):
            text = ConsoleState(lang=lang).error_text(ApiError(code, "the job is not resolved"))
            han = bool(re.search(r"[\u4e00-\u9fff]", text))
            latin = bool(re.search(r"[A-Za-z]{3,}", text))
            assert (han and not latin) if lang == "zh-CN" else (latin and not han), (lang, code, text)
