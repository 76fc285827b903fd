"""The field app's state and rules without a browser: job list groups and SLA clocks, billing proposals,
signatures as SVG path data, conflict explanations and the message catalogues."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from shared.enums import BillableReason, JobKind
from shared.i18n import LANGS, catalogue, placeholders, translate
from shared.warranty import CauseCategory, WarrantyState, propose_billing, warranty_state
from ui.logic.clocks import Promise, current_clock
from ui.logic.explain import explain_conflict
from ui.logic.grouping import Group, JobFilter, Names, build_rows, group_rows
from ui.logic.signature import is_signed, path_to_strokes, strokes_to_path
from ui.text import clock_text

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
NAMES = Names(
    customers={"c": "临川区水利局"}, sites={"s": "城东排涝泵站"}, equipment={"e": "QSZ-1500 DP-0001"}
)


def job(id_: str, status: str = "assigned", **times: datetime | None) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": id_,
        "number": f"WO-{id_}",
        "status": status,
        "kind": "repair",
        "severity": "general",
        "customer_id": "c",
        "site_id": "s",
        "equipment_id": "e",
        "symptom": "出水量不足",
        "call_received_at": (NOW - timedelta(hours=1)).isoformat(),
    }
    doc.update({k: v.isoformat() if v else None for k, v in times.items()})
    return doc


def test_clock_counts_down_to_the_first_unkept_promise_and_turns_red_past_it() -> None:
    fresh = job("1", respond_due_at=NOW + timedelta(minutes=20), onsite_due_at=NOW + timedelta(hours=3))
    clock = current_clock(fresh, NOW)
    assert clock is not None and clock.promise is Promise.RESPOND and clock.seconds_left == 20 * 60
    assert clock_text("zh-CN", clock) == ("响应剩余 20 分钟", False)
    late = job(
        "2",
        "acknowledged",
        acknowledged_at=NOW - timedelta(minutes=50),
        onsite_due_at=NOW - timedelta(minutes=95),
    )
    clock = current_clock(late, NOW)
    assert clock is not None and clock.promise is Promise.ONSITE and clock.breached
    assert clock_text("zh-CN", clock) == ("到场已超时 1 小时 35 分", True)
    assert clock_text("en", clock) == ("On site: overdue by 1 h 35 min", True)


def test_job_list_groups_overdue_today_upcoming_and_done() -> None:
    summaries = [
        job("late", respond_due_at=NOW - timedelta(minutes=5)),
        job("today", respond_due_at=NOW + timedelta(hours=2)),
        job("later", respond_due_at=NOW + timedelta(days=3)),
        job("under_way", "departed", acknowledged_at=NOW, onsite_due_at=NOW + timedelta(days=2)),
        job("signed", "signed_off", signed_off_at=NOW - timedelta(hours=1)),
        job("cancelled", "cancelled"),
    ]
    rows = build_rows(summaries, NAMES, {"today": 2}, NOW, UTC)
    groups = group_rows(rows)
    assert [r.id for r in groups[Group.OVERDUE]] == ["late"]
    assert sorted(r.id for r in groups[Group.TODAY]) == ["today", "under_way"]
    assert [r.id for r in groups[Group.UPCOMING]] == ["later"]
    assert {r.id for r in groups[Group.DONE]} == {"signed", "cancelled"}
    assert next(r for r in rows if r.id == "today").pending == 2


def test_late_in_the_evening_a_promise_due_after_midnight_is_still_today() -> None:
    evening = datetime(2026, 11, 27, 23, 55, tzinfo=UTC)
    summaries = [
        job("respond", respond_due_at=evening + timedelta(minutes=30)),  # 00:25 tomorrow
        job("tomorrow_noon", respond_due_at=evening + timedelta(hours=12, minutes=5)),
    ]
    groups = group_rows(build_rows(summaries, NAMES, {}, evening, UTC))
    assert [r.id for r in groups[Group.TODAY]] == ["respond"]
    assert [r.id for r in groups[Group.UPCOMING]] == ["tomorrow_noon"]


def test_search_and_filters_narrow_the_list() -> None:
    rows = build_rows(
        [job("a"), job("b") | {"symptom": "机械密封漏水", "severity": "major"}], NAMES, {"a": 1}, NOW
    )
    assert [r.id for r in group_rows(rows, JobFilter(search="密封"))[Group.TODAY]] == ["b"]
    assert [r.id for r in group_rows(rows, JobFilter(search="水利局 wo-a"))[Group.TODAY]] == ["a"]
    assert [r.id for r in group_rows(rows, JobFilter(severity="major"))[Group.TODAY]] == ["b"]
    assert [r.id for r in group_rows(rows, JobFilter(unsynced_only=True))[Group.TODAY]] == ["a"]


@pytest.mark.parametrize(
    ("kind", "cause", "warranty_end", "expected"),
    [
        (JobKind.REPAIR, CauseCategory.NORMAL, date(2027, 1, 1), (False, BillableReason.IN_WARRANTY)),
        (JobKind.REPAIR, CauseCategory.NORMAL, date(2026, 7, 1), (False, BillableReason.IN_WARRANTY)),
        (JobKind.REPAIR, CauseCategory.NORMAL, date(2026, 6, 30), (True, BillableReason.OUT_OF_WARRANTY)),
        (JobKind.REPAIR, CauseCategory.MAN_MADE, date(2027, 1, 1), (True, BillableReason.MAN_MADE)),
        (JobKind.REPAIR, CauseCategory.FORCE_MAJEURE, date(2027, 1, 1), (True, BillableReason.FORCE_MAJEURE)),
        (JobKind.REPAIR, CauseCategory.MISUSE, date(2027, 1, 1), (True, BillableReason.MISUSE)),
        (JobKind.REPAIR, CauseCategory.MODIFICATION, None, (True, BillableReason.MODIFICATION)),
        (JobKind.REPAIR, CauseCategory.NORMAL, None, (None, None)),
        (JobKind.INSPECTION, CauseCategory.MAN_MADE, date(2020, 1, 1), (False, BillableReason.NOT_A_REPAIR)),
    ],
)
def test_three_guarantee_billing_proposal(
    kind: JobKind,
    cause: CauseCategory,
    warranty_end: date | None,
    expected: tuple[bool | None, BillableReason | None],
) -> None:
    proposal = propose_billing(kind, cause, warranty_end, date(2026, 7, 1))
    assert (proposal.billable, proposal.reason) == expected


def test_warranty_state_against_today() -> None:
    assert warranty_state(date(2026, 7, 1), date(2026, 7, 1)) is WarrantyState.IN_WARRANTY
    assert warranty_state(date(2026, 6, 30), date(2026, 7, 1)) is WarrantyState.EXPIRED
    assert warranty_state(None, date(2026, 7, 1)) is WarrantyState.UNKNOWN


def test_signature_strokes_become_svg_path_data_and_back() -> None:
    strokes = [[(10.0, 20.04), (30.5, 40.0), (50.0, 60.0)], [(70.0, 80.0)]]
    path = strokes_to_path(strokes)
    assert path == "M 10 20 L 30.5 40 L 50 60 M 70 80 L 70 80"
    assert re.fullmatch(r"(M -?[\d.]+ -?[\d.]+( L -?[\d.]+ -?[\d.]+)+ ?)+", path + " ")
    assert path_to_strokes(path) == [[(10.0, 20.0), (30.5, 40.0), (50.0, 60.0)], [(70.0, 80.0), (70.0, 80.0)]]
    assert not is_signed([[(1.0, 1.0)]]) and is_signed(strokes[:1] * 2)


def test_a_conflict_reads_as_a_sentence_in_both_languages() -> None:
    conflict = {
        "field": "symptom",
        "device_value": "叶轮缠绕杂物",
        "server_value": "异响",
        "resolution": "device_wins",
        "reason": "both_changed",
        "status": "open",
    }
    zh = explain_conflict("zh-CN", conflict, "WO-1")
    assert (
        "WO-1" in zh and "故障现象" in zh and "叶轮缠绕杂物" in zh and "异响" in zh and "待办公室审核" in zh
    )
    en = explain_conflict("en", conflict | {"field": "checklist:seal"}, "WO-1", {"seal": "Mechanical seal"})
    assert "checklist item “Mechanical seal”" in en and "awaiting office review" in en


def test_translate_falls_back_to_chinese_then_to_the_key() -> None:
    assert translate("en", "app.jobs.title") == "My jobs"
    assert translate("fr", "app.jobs.title") == "我的工单"
    assert translate("en", "no.such.key") == "no.such.key"
    assert translate("zh-CN", "app.jobs.unsynced", n=3) == "未同步 3 项"
    assert translate("zh-CN", "app.jobs.unsynced") == "未同步 {n} 项"


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    base = catalogue("zh-CN")
    assert set(LANGS) == {"zh-CN", "en"}
    for lang in LANGS:
        other = catalogue(lang)
        assert set(other) == set(base), (lang, set(other) ^ set(base))
        wrong = [k for k in base if placeholders(base[k]) != placeholders(other[k])]
        assert not wrong, (lang, wrong)
        assert all(v.strip() for v in other.values())


def test_every_catalogue_key_used_by_the_app_exists() -> None:
    root = Path(__file__).resolve().parents[2]
    used = set()
    for path in [*(root / "mobile" / "app").rglob("*.py"), *(root / "ui").rglob("*.py")]:
        used |= set(
            re.findall(
                r"[\"']((?:app|error|enum)\.[a-z_]+(?:\.[a-z_0-9]+)+)[\"']", path.read_text(encoding="utf-8")
            )
        )
    missing = sorted(k for k in used if k not in catalogue("zh-CN"))
    assert not missing, missing


def test_catalogue_files_are_utf8_json_objects() -> None:
    folder = Path(__file__).resolve().parents[2] / "shared" / "i18n"
    for name in ("zh_CN.json", "en.json"):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data
