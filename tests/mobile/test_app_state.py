"""The app's state over a real device session and server (in-process, no browser)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from mobile.app.state import AppState, FieldApp, PageBinding
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
