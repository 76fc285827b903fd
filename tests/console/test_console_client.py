"""The console's calls to the server, in-process, on SQLite and PostgreSQL: signing in (office roles
only), the directory, dispatch actions, refusals in words, a revoked sign-in, downloads."""

from __future__ import annotations

import asyncio
import json
import logging
from zoneinfo import ZoneInfo

import httpx
import pytest

from console.api import ApiError, ConsoleApi
from console.logic.inspections import ScheduleForm
from console.state import NOT_KEPT, ConsoleState, Office, draft_form, draft_value
from tests.support import PASSWORD, World

TZ = ZoneInfo("Asia/Shanghai")


def office_for(world: World) -> Office:
    return Office(ConsoleState(), "http://levee.test", TZ, transport=httpx.ASGITransport(app=world.app))


async def test_office_staff_sign_in_and_the_directory_is_read(world: World) -> None:
    office = office_for(world)
    await office.sign_in("http://levee.test", "dispatcher", PASSWORD, "后台浏览器")
    assert (
        office.state.signed_in and office.state.role == "dispatcher" and office.state.user_name == "调度小刘"
    )
    directory = office.directory
    assert directory.name("customers", world.customer_id) == "临川区水利局"
    assert directory.name("sites", world.other_site_id) == "县防汛物资仓库"
    assert {e["username"] for e in directory.engineers.values()} == {"eng1", "eng2"}
    await office.sign_out()
    assert not office.state.signed_in and office.api is None


async def test_engineers_and_wrong_passwords_are_refused_in_words(world: World) -> None:
    office = office_for(world)
    with pytest.raises(ApiError) as refused:
        await office.sign_in("http://levee.test", "eng1", PASSWORD, "x")
    assert refused.value.code == "engineer"
    assert office.state.error_text(refused.value) == "后台供办公室人员使用；工程师请使用现场平板应用"
    with pytest.raises(ApiError) as wrong:
        await office.sign_in("http://levee.test", "dispatcher", "not-the-password", "x")
    assert wrong.value.code == "wrong_password"
    with pytest.raises(ApiError) as unreachable:
        await ConsoleApi.sign_in("http://127.0.0.1:9", "dispatcher", PASSWORD, "x")
    assert unreachable.value.code == "offline"


async def test_a_dispatcher_records_a_call_assigns_and_holds_it(world: World) -> None:
    office = office_for(world)
    await office.sign_in("http://levee.test", "dispatcher", PASSWORD, "x")
    job = await office.act(
        lambda api: api.post(
            "/api/jobs",
            {"customer_id": str(world.customer_id), "site_id": str(world.site_id), "severity": "major"},
        )
    )
    assert job["respond_due_at"] and job["backup_due_at"]
    engineers = await office.require().get("/api/console/engineers")
    eng1 = next(e for e in engineers if e["username"] == "eng1")
    assigned = await office.act(lambda api: api.assign(job["id"], eng1["id"]), done="ok")
    assert assigned["assigned_engineer_id"] == eng1["id"] and office.state.notice == "ok"
    revision = office.state.revision
    held = await office.act(lambda api: api.office_status(job["id"], "hold", "等待配件"))
    assert held["status"] == "on_hold" and office.state.revision == revision + 1
    again = await office.act(lambda api: api.office_status(job["id"], "hold", "再次暂停"))
    # refused, and why, in the page's language: worded from the refusal's code, not the English detail
    assert again is None and office.state.notice_error
    assert office.state.notice == f"无法执行：工单 {job['number']} 已经暂停"
    resumed = await office.act(lambda api: api.office_status(job["id"], "resume"))
    assert resumed["status"] == "assigned"


async def test_a_role_refusal_is_told_and_a_revoked_sign_in_ends_the_session(world: World) -> None:
    office = office_for(world)
    await office.sign_in("http://levee.test", "qa", PASSWORD, "x")
    job = await world.create_job()
    assert await office.act(lambda api: api.office_status(job["id"], "cancel", "客户撤回")) is None
    assert (
        office.state.notice.startswith("你的角色不能执行此操作：需要以下角色之一：")
        and office.state.signed_in
    )
    assert "（当前为质管审核）" in office.state.notice
    api = office.require()
    await api.client.post("/api/auth/logout")  # e.g. an administrator revoked this browser
    assert await office.act(lambda api: api.get("/api/jobs")) is None
    assert not office.state.signed_in and office.state.notice == "登录已失效，请重新登录"


async def test_exports_and_the_form_pdf_download_with_their_names(world: World) -> None:
    office = office_for(world)
    await office.sign_in("http://levee.test", "manager", PASSWORD, "x")
    job = await world.create_job(engineer="eng1")
    data, name = await office.require().download("/api/exports/sla.xlsx", lang="en")
    assert data[:2] == b"PK" and name.startswith("levee-sla-") and name.endswith(".xlsx")
    pdf, pdf_name = await office.require().download(f"/api/jobs/{job['id']}/form.pdf")
    assert pdf.startswith(b"%PDF") and pdf_name == f"{job['number']}.pdf"
    with pytest.raises(ApiError) as missing:
        await office.require().download("/api/exports/nothing.csv")
    assert missing.value.code == "not_found"


class MemoryDrafts:
    """The browser's storage, as a dict: what BrowserDrafts keeps in localStorage per user, through
    JSON as it does (a draft JSON cannot hold fails here as it fails there)."""

    def __init__(self) -> None:
        self.kept: dict[str, dict[str, object]] = {}

    async def load(self, user_id: str) -> dict[str, object]:
        return dict(self.kept.get(user_id, {}))

    async def save(self, user_id: str, drafts: dict[str, object]) -> None:
        self.kept[user_id] = json.loads(json.dumps(drafts, ensure_ascii=False))

    async def clear(self, user_id: str) -> None:
        self.kept.pop(user_id, None)


async def _settled(office: Office) -> None:
    await asyncio.sleep(office.DRAFT_SAVE_DELAY * 3)


async def test_unsent_forms_outlive_a_reload_for_the_same_user_only_and_go_when_sent_or_signed_out(
    world: World,
) -> None:
    """Nothing typed is lost: a call half typed, then the page reloaded (or the tab closed), is there
    when the same dispatcher signs in again; never for another user; gone once sent or signed out."""
    browser = MemoryDrafts()
    first = office_for(world)
    first.draft_store = browser
    await first.sign_in("http://levee.test", "dispatcher", PASSWORD, "x")
    first.drafts.update(
        {"call.symptom": "排涝泵出水量不足", "call.caller": "王主任", "visit.outcome": "满意"}
    )
    first.drafts_changed()
    await _settled(first)
    await first.sign_out(forget_drafts=False)  # the page is reloaded: not a sign-out

    again = office_for(world)
    again.draft_store = browser
    await again.sign_in("http://levee.test", "dispatcher", PASSWORD, "x")
    assert again.drafts == {
        "call.symptom": "排涝泵出水量不足",
        "call.caller": "王主任",
        "visit.outcome": "满意",
    }

    other = office_for(world)
    other.draft_store = browser
    await other.sign_in("http://levee.test", "manager", PASSWORD, "x")
    assert other.drafts == {}

    again.forget("call.")  # the call was recorded
    await _settled(again)
    assert list(browser.kept[str(again.user["id"])]) == ["visit.outcome"]
    await again.sign_out()  # signing out forgets the rest
    assert browser.kept == {}

    # a sign-in that ran out on this page, then someone else signs in here: they do not get the drafts
    expired = office_for(world)
    await expired.sign_in("http://levee.test", "dispatcher", PASSWORD, "x")
    expired.drafts["call.phone"] = "0794-8221234"
    expired.failed(ApiError("signed_out", "the token was revoked"))
    await expired.sign_in("http://levee.test", "manager", PASSWORD, "x")
    assert expired.drafts == {}


async def test_a_form_kept_whole_outlives_a_reload_and_a_draft_json_cannot_hold_loses_no_other(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The inspection schedule form is kept as one dataclass (``use_draft``): its fields go to the
    browser's storage and come back as the form. A value the storage cannot hold is left out and
    logged; the other drafts are still saved (it once failed every save of the page)."""
    browser = MemoryDrafts()
    first = office_for(world)
    first.draft_store = browser
    await first.sign_in("http://levee.test", "dispatcher", PASSWORD, "x")
    form = ScheduleForm(customer_id="c-1", frequency="quarterly", start_on="2026-12-08", note="汛前全面检查")
    first.drafts["inspections.form"] = draft_value(form)
    first.drafts["call.symptom"] = "排涝泵出水量不足"
    first.drafts["broken"] = {1, 2}  # not JSON
    with caplog.at_level(logging.ERROR, logger="levee.console"):
        first.drafts_changed()
        await _settled(first)
    assert "broken" in caplog.text
    await first.sign_out(forget_drafts=False)

    again = office_for(world)
    again.draft_store = browser
    await again.sign_in("http://levee.test", "dispatcher", PASSWORD, "x")
    assert set(again.drafts) == {"inspections.form", "call.symptom"}
    assert draft_form(again.drafts["inspections.form"], ScheduleForm()) == form
    # fields an older form had are not fatal: the form starts afresh
    assert draft_form({"customer_id": "c-1", "gone": 1}, ScheduleForm(note="新")) == ScheduleForm(note="新")
    assert draft_form(NOT_KEPT, "初值") == "初值" and draft_form(None, "初值") is None
