"""The app's state over a real device session and server (in-process, no browser)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mobile.app.state import AppState, FieldApp, PageBinding
from mobile.services.jobs import ActionError
from mobile.services.session import DeviceSession
from shared.enums import JobEventType
from tests.support import PASSWORD, World
from ui.logic.grouping import Group, group_rows


async def test_field_app_lists_and_details_jobs_from_the_replica(world: World, tmp_path: Path) -> None:
    job = await world.create_job(engineer="eng1", severity="major")
    session = DeviceSession(tmp_path, transport=httpx.ASGITransport(app=world.app))
    app = FieldApp(tmp_path, session=session)
    await app.sign_in("http://levee.test", "eng1", PASSWORD, "平板")
    try:
        state = AppState()
        binding = PageBinding(app, state)
        binding.refresh()
        assert state.signed_in and state.user_name == "张伟" and state.sync.online
        rows = app.queries.job_rows(datetime.now(UTC))
        today = group_rows(rows)[Group.TODAY]
        assert [r.number for r in today] == [job["number"]]
        assert today[0].customer == "临川区水利局" and today[0].site == "城东排涝泵站"

        job_id = uuid.UUID(job["id"])
        app.actions.tap(job_id, JobEventType.ACKNOWLEDGED)
        revision = state.revision
        # a tap (its data, the pending count, its notice) moves only the parts that show it: the page
        # state itself, watched by the whole page (bars and screens), stays put (issue 14: the ✓)
        page_changes: list[str | None] = []
        data_changes: list[str | None] = []

        def on_page(_s: object, name: str | None) -> None:  # held here: listeners are weak references
            page_changes.append(name)

        def on_data(_s: object, name: str | None) -> None:
            data_changes.append(name)

        state.subscribe(on_page)
        state.data.subscribe(on_data)
        binding.changed_locally()
        state.say("app.job.tapped", what="x")
        assert state.revision > revision and state.sync.pending == 1 and state.notice
        assert page_changes == [] and data_changes == ["revision"], (page_changes, data_changes)
        view = app.queries.job_view(job_id, app.actions.template_for)
        assert view is not None and view.pending == 1
        assert view.template is not None and [i["code"] for i in view.template["items"]][:2] == [
            "insulation",
            "seal",
        ]
        assert [p["code"] for p in view.parts_catalogue] == ["P-DP-001"]
        assert view.item_labels("en")["seal"] == "Mechanical seal"
        summaries = app.session.replica.job_summaries()
        assert summaries[0]["status"] == "acknowledged" and summaries[0]["number"] == job["number"]
        assert app.session.replica.pending_by_job() == {job["id"]: 1}
    finally:
        await app.stop()
        if app.current is not None:
            await app.current.runner.aclose()


async def test_a_refused_sign_in_says_why_in_the_pages_language(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's refusal is worded from its code (here the sign-in throttle's 429), not 'refused'."""
    monkeypatch.setattr("server.auth.service.MAX_FAILURES_PER_IP", 1)
    session = DeviceSession(tmp_path, transport=httpx.ASGITransport(app=world.app))
    with pytest.raises(ActionError) as wrong:
        await session.sign_in("http://levee.test", "eng1", "not-the-password", "平板")
    assert wrong.value.code == "wrong_password"
    with pytest.raises(ActionError) as refused:
        await session.sign_in("http://levee.test", "eng1", PASSWORD, "平板")
    assert refused.value.code == "sign_in_refused"
    assert re.fullmatch(r"服务器拒绝登录：请 \d+ 分钟后再试", AppState().error_text(refused.value))
    state = AppState(lang="en")
    assert re.fullmatch(
        r"The server refused the sign-in: try again in \d+ min", state.error_text(refused.value)
    )
    state.say_error(refused.value)
    state.lang = "zh-CN"  # the notice follows the language switch
    assert state.notice.startswith("服务器拒绝登录：请 ")


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (429, {"detail": "x", "code": "auth.from_a_newer_server", "params": {}}, "sign_in_failed"),
        (400, {"detail": "the body is not UTF-8 text"}, "sign_in_failed"),  # an older server: no code
        (429, {"detail": "x", "code": "auth.throttled", "params": {"minutes": 3}}, "sign_in_refused"),
    ],
)
async def test_a_refusal_without_a_code_this_build_knows_keeps_the_general_message(
    tmp_path: Path, status: int, body: dict[str, object], code: str
) -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    with pytest.raises(ActionError) as refused:
        await DeviceSession(tmp_path, transport=answer).sign_in("http://levee.test", "eng1", "pw", "平板")
    assert refused.value.code == code
    if code == "sign_in_failed":
        assert AppState().error_text(refused.value) == "服务器拒绝登录，请稍后再试或联系办公室。"
    else:
        assert AppState().error_text(refused.value) == "服务器拒绝登录：请 3 分钟后再试"
