"""The contract forms' rules without a browser: hours become the API's minutes, bad input is a message
key before anything is sent, only what changed on a customer is sent, and who sees which form."""

from __future__ import annotations

import pytest

from console.logic.contracts import (
    can_decide_as_manager,
    can_edit_customers,
    can_manage_contracts,
    contract_body,
    customer_changes,
    decision_body,
    hours_text,
    promise_body,
)
from console.logic.customers import FormError


def test_a_promise_in_hours_is_sent_in_minutes_with_open_keys_as_null() -> None:
    body = promise_body("general", "", "repair", "2", "4", "24", "8")
    assert body == {
        "severity": "general",
        "category": None,
        "job_kind": "repair",
        "respond_minutes": 120,
        "onsite_minutes": 240,
        "fix_minutes": 1440,
        "backup_minutes": 480,
    }
    assert promise_body("", "", "", "0.5", "1.25", "2", "8")["onsite_minutes"] == 75
    assert hours_text(90) == "1.5" and hours_text(480) == "8"


@pytest.mark.parametrize(
    ("hours", "key"),
    [
        (("", "4", "24", "8"), "console.contracts.bad_hours"),
        (("0", "4", "24", "8"), "console.contracts.bad_hours"),
        (("NaN", "4", "24", "8"), "console.contracts.bad_hours"),
        (("1.001", "4", "24", "8"), "console.contracts.bad_hours"),  # not a whole minute
        (("2", "1441", "1442", "8"), "console.contracts.bad_hours"),
        (("5", "4", "24", "8"), "console.contracts.unordered"),
    ],
)
def test_bad_hours_are_refused_before_sending(hours: tuple[str, str, str, str], key: str) -> None:
    with pytest.raises(FormError) as refused:
        promise_body("", "", "", *hours)
    assert refused.value.key == key


def test_a_contract_needs_a_number_and_a_period_in_order() -> None:
    body = contract_body("c1", " HT-1 ", "2026-01-01", "", "3", " 2小时响应 ")
    assert body["number"] == "HT-1" and body["ends_on"] is None and body["warranty_years"] == 3
    for args, key in (
        (("", "2026-01-01", "", "2"), "console.contracts.need_number"),
        (("HT", "2026/01/01", "", "2"), "console.contracts.bad_date"),
        (("HT", "2026-02-01", "2026-01-31", "2"), "console.contracts.end_before_start"),
        (("HT", "2026-01-01", "", "31"), "console.contracts.bad_years"),
        (("HT", "2026-01-01", "", "two"), "console.contracts.bad_years"),
    ):
        with pytest.raises(FormError) as refused:
            contract_body("c1", *args, "")
        assert refused.value.key == key


def test_only_what_changed_on_a_customer_is_sent_and_a_name_is_required() -> None:
    customer = {"name": "临川区水利局", "contact_name": "王主任", "contact_phone": "", "address": None}
    fields = {"name": "临川区水利局", "contact_name": "赵科长 ", "contact_phone": "", "address": ""}
    assert customer_changes(customer, fields) == {"contact_name": "赵科长"}
    with pytest.raises(FormError):
        customer_changes(customer, {**fields, "name": "  "})
    with pytest.raises(FormError):
        decision_body("   ")


def test_who_sees_which_form() -> None:
    assert [r for r in ("dispatcher", "manager", "admin", "qa") if can_edit_customers(r)] == [
        "dispatcher",
        "manager",
        "admin",
    ]
    assert [r for r in ("dispatcher", "manager", "admin") if can_manage_contracts(r)] == ["manager", "admin"]
    assert [r for r in ("manager", "admin", "qa") if can_decide_as_manager(r)] == ["manager"]


def test_a_certificate_or_agreement_sends_only_what_changed_checked_as_on_creation() -> None:
    from console.logic.contracts import document_changes

    cert = {
        "number": "ZLBX-1",
        "issued_on": "2024-03-01",
        "scope": "排涝泵",
        "starts_on": "2024-03-01",
        "ends_on": "2026-02-28",
        "responsibility": "",
    }
    assert document_changes("certificate", cert, {**cert, "ends_on": " 2027-02-28 "}) == {
        "ends_on": "2027-02-28"
    }
    assert document_changes("certificate", cert, dict(cert)) == {}
    agreement = {
        "number": "W",
        "scope": "全部",
        "fee": "36800.10",
        "starts_on": "2026-03-01",
        "ends_on": "2029-02-28",
    }
    assert document_changes("agreement", agreement, {"fee": "36800.1"}) == {}  # the same amount
    assert document_changes("agreement", agreement, {"fee": "40000"}) == {"fee": "40000.00"}
    # the paid-repair discount (优惠收费): absent on an older agreement reads as 0 %
    assert document_changes("agreement", agreement, {"repair_discount_pct": "0"}) == {}
    assert document_changes("agreement", agreement, {"repair_discount_pct": " 8.5 "}) == {
        "repair_discount_pct": "8.50"
    }
    for kind, loaded, fields, key in (
        ("certificate", cert, {"number": " "}, "console.contracts.need_number"),
        ("certificate", cert, {"scope": ""}, "console.contracts.need_scope"),
        ("certificate", cert, {"issued_on": "2024/03/01"}, "console.contracts.bad_date"),
        ("certificate", cert, {"ends_on": "2024-01-01"}, "console.contracts.end_before_start"),
        ("agreement", agreement, {"fee": "1.005"}, "console.contracts.bad_fee"),
        ("agreement", agreement, {"fee": "-1"}, "console.contracts.bad_fee"),
        ("agreement", agreement, {"fee": "NaN"}, "console.contracts.bad_fee"),
        ("agreement", agreement, {"fee": "1e20"}, "console.contracts.bad_fee"),
        ("agreement", agreement, {"repair_discount_pct": "100.5"}, "console.contracts.bad_discount"),
        ("agreement", agreement, {"repair_discount_pct": "-2"}, "console.contracts.bad_discount"),
        ("agreement", agreement, {"repair_discount_pct": "8.555"}, "console.contracts.bad_discount"),
        ("agreement", agreement, {"repair_discount_pct": "百分之十"}, "console.contracts.bad_discount"),
    ):
        with pytest.raises(FormError) as refused:
            document_changes(kind, loaded, fields)
        assert refused.value.key == key, fields
