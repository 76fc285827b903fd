"""The customer screens' logic: search, complaint steps per role, and the forms' request bodies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.logic.customers import (
    FormError,
    average_text,
    billing_body,
    complaint_actions,
    complaint_body,
    matching_customers,
    parse_attendees,
    parse_when,
    training_body,
    visit_body,
)
from console.roles import ROUTES, Screen, screen_of, screens_for
from shared.i18n import translate

CST = timezone(timedelta(hours=8))


def test_customers_screen_is_routed_for_the_desk_and_quality_but_not_the_warehouse() -> None:
    assert ROUTES[Screen.CUSTOMERS] == "/customers"
    assert screen_of("/customers/0198-abc") is Screen.CUSTOMERS
    for role in ("dispatcher", "manager", "qa", "admin"):
        assert Screen.CUSTOMERS in screens_for(role), role
    assert Screen.CUSTOMERS not in screens_for("warehouse")
    assert translate("zh-CN", "console.nav.customers") == "客户"


def test_a_search_matches_name_or_contract_and_puts_names_starting_with_it_first() -> None:
    customers = [
        {"name": "临川区水利局", "contract_no": "FX-2025-001"},
        {"name": "南丰县防汛办", "contract_no": "FX-2025-002"},
        {"name": "水利局（进贤）", "contract_no": ""},
    ]
    assert [c["name"] for c in matching_customers(customers, "水利局")] == ["水利局（进贤）", "临川区水利局"]
    assert [c["name"] for c in matching_customers(customers, "fx-2025-002")] == ["南丰县防汛办"]
    assert matching_customers(customers, "没有") == []


@pytest.mark.parametrize(
    ("status", "role", "actions"),
    [
        ("received", "dispatcher", ["handle"]),
        ("handling", "dispatcher", ["handle"]),
        ("handling", "qa", ["handle", "close"]),
        ("received", "qa", ["handle"]),
        ("closed", "admin", []),
        ("handling", "warehouse", []),
        ("handling", "", []),
    ],
)
def test_a_complaint_offers_the_next_steps_the_role_may_take(
    status: str, role: str, actions: list[str]
) -> None:
    assert complaint_actions(status, role) == actions


def test_a_complaint_needs_content_and_names_its_job_only_when_chosen() -> None:
    with pytest.raises(FormError) as err:
        complaint_body("c1", "  ", "王", "", "")
    assert err.value.key == "console.customers.need_content"
    assert complaint_body("c1", " 迟到 ", " 王主任 ", "0794", "") == {
        "customer_id": "c1",
        "content": "迟到",
        "complainant": "王主任",
        "phone": "0794",
    }
    assert complaint_body("c1", "迟到", "", "", "j1")["job_id"] == "j1"


def test_a_done_visit_needs_a_satisfaction_and_an_unreachable_one_sends_none() -> None:
    for score in (None, 0, 6):
        with pytest.raises(FormError) as err:
            visit_body("done", "phone", score, "", "")
        assert err.value.key == "console.customers.need_satisfaction"
    assert visit_body("done", "on_site", 5, " 很好 ", "")["satisfaction"] == 5
    assert "satisfaction" not in visit_body("unreachable", "phone", 4, "", "无人接听")
    with pytest.raises(FormError):
        visit_body("scheduled", "phone", None, "", "")


def test_attendees_split_on_lines_commas_and_dun_and_drop_repeats() -> None:
    assert parse_attendees("刘站长、陈师傅\n 王技术员 ,刘站长；；\n") == ["刘站长", "陈师傅", "王技术员"]
    assert parse_attendees("  ") == []
    with pytest.raises(FormError):
        parse_attendees("长" * 101)


def test_a_training_time_may_be_in_the_future_and_a_day_alone_means_nine() -> None:
    assert parse_when("2026-08-03 09:30", CST) == datetime(2026, 8, 3, 9, 30, tzinfo=CST)
    assert parse_when("2026/08/03 14：00", CST) == datetime(2026, 8, 3, 14, 0, tzinfo=CST)
    assert parse_when("2026-08-03", CST) == datetime(2026, 8, 3, 9, 0, tzinfo=CST)
    for bad in ("", "明天上午", "08-03"):
        with pytest.raises(FormError):
            parse_when(bad, CST)


def test_a_training_form_becomes_the_api_body() -> None:
    args = {
        "customer_id": "c1",
        "site_id": "s1",
        "equipment_id": "",
        "engineer_id": "e1",
        "content": " 发电机组操作 ",
        "place": "会议室",
        "when": "2026-08-03 09:30",
        "attendees": "甲、乙",
        "tz": CST,
    }
    body = training_body(**args)  # type: ignore[arg-type]
    assert body == {
        "customer_id": "c1",
        "site_id": "s1",
        "content": "发电机组操作",
        "place": "会议室",
        "scheduled_at": "2026-08-03T09:30:00+08:00",
        "attendees": ["甲", "乙"],
        "engineer_id": "e1",
    }
    with pytest.raises(FormError) as err:
        training_body(**{**args, "site_id": ""})  # type: ignore[arg-type]
    assert err.value.key == "console.customers.need_site"


@pytest.mark.parametrize(
    ("billable", "reason", "note", "key"),
    [
        (None, "misuse", "x", "console.billing.need_choice"),
        (True, "", "x", "console.billing.need_reason"),
        (True, "in_warranty", "x", "console.billing.paid_in_warranty"),
        (False, "out_of_warranty", "  ", "console.billing.need_note"),
    ],
)
def test_a_billing_decision_needs_a_choice_a_consistent_reason_and_a_note(
    billable: bool | None, reason: str, note: str, key: str
) -> None:
    with pytest.raises(FormError) as err:
        billing_body(billable, reason, note)
    assert err.value.key == key
    assert translate("en", key) != key


def test_a_billing_decision_body_and_averages_in_words() -> None:
    assert billing_body(False, "out_of_warranty", " 老客户 ") == {
        "billable": False,
        "reason": "out_of_warranty",
        "note": "老客户",
    }
    assert average_text(None) == "—" and average_text(4.333) == "4.3"


def test_every_message_key_the_customer_screens_use_is_in_both_catalogues() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [
        *sorted((root / "console/screens/customers").glob("*.py")),
        root / "console/logic/customers.py",
        root / "mobile/app/screens/job_overview.py",
    ]
    keys = {
        k for src in sources for k in re.findall(r'"((?:console|app)\.[a-z_]+\.[a-z_.]+)"', src.read_text())
    }
    assert len(sources) > 3 and len(keys) > 20  # the screens' own keys, not an empty folder
    for key in keys:
        for lang in ("zh-CN", "en"):
            assert (
                translate(lang, key, what="", reason="", note="", n=0, when="", number="", day="", avg="")
                != key
            ), (
                lang,
                key,
            )
