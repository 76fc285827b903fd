"""The manager's decision (公司领导处理意见) on a job, as the job screen shows it: read by the office,
written by the manager once the work is done."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import button, error_text, muted, panel
from console.context import use_office
from console.logic.contracts import can_decide_as_manager, decision_body
from console.logic.customers import FormError
from console.logic.times import full
from console.state import ConsoleState, use_draft, use_remote
from ui.components.common import INK, text_field
from ui.logic.clocks import parse_time

DECIDABLE = ("resolved", "signed_off", "closed")


@ft.component
def DecisionPanel(state: ConsoleState, job: dict[str, Any]) -> ft.Control:
    office = use_office()
    t = state.t
    url = f"/api/jobs/{job['id']}/manager-decision"
    loaded = use_remote(office, lambda api: api.get(url), [job["id"], state.revision])
    key = f"decision.{job['id']}.text"
    text, set_text = use_draft(office, key, "")

    async def decide(_e: object) -> None:
        try:
            body = decision_body(text)
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(lambda api: api.put(url, body), done=t("console.decision.saved")):
            office.forget(key)
            set_text("")

    decision: dict[str, Any] | None = loaded.value
    lines: list[ft.Control] = [error_text(loaded.error)] if loaded.error else []
    if decision:
        # plain text: a selectable one is not in Flutter's semantics tree, so a screen reader (and the
        # browser tests) could not read the decision at all
        lines.append(ft.Text(decision["text"], size=16, color=INK))
        when = full(parse_time(decision["decided_at"]), office.tz)
        lines.append(muted(t("form.manager_by", name=decision["decided_by_name"], when=when)))
    elif not loaded.loading:
        lines.append(muted(t("console.decision.none")))
    if can_decide_as_manager(state.role) and job["status"] in DECIDABLE:
        lines += [
            text_field(t("console.decision.text"), text, lambda e: set_text(e.control.value), multiline=True),
            button(t("console.decision.record"), decide, ident="decision-record"),
        ]
    return panel(t("form.manager_decision"), lines, ident="decision-panel")
