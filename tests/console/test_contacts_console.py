"""The register screen's decisions without a browser: its filters, the new contact's body and its
refusals, an inquiry's job body, and the key-customer words of the board and the job."""

from __future__ import annotations

import pytest

from console.logic.contacts import (
    can_open_job,
    can_set_care,
    care_text,
    contact_body,
    job_body,
    register_query,
)
from console.logic.customers import FormError
from console.roles import Screen, screens_for
from shared.enums import Role


def test_the_filters_leave_out_what_is_empty() -> None:
    assert register_query("", "", "", "  ") == {}
    assert register_query("inquiry", "hotline", "c", " 轴承 ") == {
        "kind": "inquiry",
        "channel": "hotline",
        "customer_id": "c",
        "q": "轴承",
    }


def test_a_contact_body_says_what_to_fix_first() -> None:
    base = {"channel": "hotline", "customer_id": "", "name": "", "phone": "", "answer": "", "outcome": ""}
    for kind, summary, extra, key in (
        ("repair", "x", {}, "console.register.need_kind"),  # repair calls are recorded on the call screen
        ("inquiry", "  ", {}, "console.register.need_summary"),
        ("inquiry", "x", {"channel": "pigeon"}, "console.register.need_channel"),
        ("complaint", "x", {}, "console.register.need_customer"),
    ):
        with pytest.raises(FormError) as problem:
            contact_body(**(base | {"kind": kind, "summary": summary} | extra))
        assert problem.value.key == key
    body = contact_body(
        **(base | {"kind": "complaint", "summary": " 迟到 ", "customer_id": "c"}), severity="major"
    )
    assert body["summary"] == "迟到" and body["severity"] == "major" and body["customer_id"] == "c"
    inquiry = contact_body(**(base | {"kind": "inquiry", "summary": "问", "answer": " 答 "}))
    assert "customer_id" not in inquiry and "severity" not in inquiry and inquiry["answer"] == "答"


def test_an_inquiry_becomes_a_job_at_a_site() -> None:
    with pytest.raises(FormError):
        job_body("", "general")
    assert job_body("s", "major", "e") == {"site_id": "s", "severity": "major", "assigned_engineer_id": "e"}


def test_who_sees_the_register_and_who_may_do_what() -> None:
    for role in (Role.DISPATCHER, Role.MANAGER, Role.QA, Role.ADMIN):
        assert Screen.REGISTER in screens_for(role)
    for role in (Role.WAREHOUSE, Role.ENGINEER):
        assert Screen.REGISTER not in screens_for(role)
    assert can_open_job("dispatcher") and not can_open_job("qa")
    assert can_set_care("manager") and not can_set_care("dispatcher") and not can_set_care("stranger")


def test_the_key_customer_words() -> None:
    def t(key: str, **params: str) -> str:
        return key + "".join(f":{v}" for v in params.values())

    assert care_text(None, {}, t) == "" and care_text({"key_customer": False}, {}, t) == ""
    customer = {"key_customer": True, "responsible_id": "u1"}
    assert care_text(customer, {"u1": "张三"}, t) == "console.care.key · console.care.responsible_short:张三"
