"""Customer acceptance: opinion, satisfaction 1-5, comment and a signature drawn on the screen."""

from __future__ import annotations

import flet as ft

from mobile.app.components.autosave import AutosaveField, use_box
from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from ui.components.common import (
    GREEN,
    INK,
    MUTED,
    big_button,
    bind,
    label_value,
    section,
    tagged,
)
from ui.components.signature_pad import SignaturePad, ink_note, signature_view
from ui.logic.clocks import parse_time
from ui.logic.signature import Stroke, is_signed, path_to_strokes, strokes_to_path
from ui.text import when


@ft.component
def AcceptanceSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t, job = state.t, view.job
    actions = device.app.actions
    # the opinion and comment are part of the signing, so until then they are drafts kept on the device
    kept = {name: actions.draft(view.id, name) for name in ("opinion", "comment")}
    drafts = {
        "opinion": kept["opinion"]
        if kept["opinion"] is not None
        else job.get("acceptance_opinion") or t("app.accept.default_opinion"),
        "comment": kept["comment"] if kept["comment"] is not None else job.get("acceptance_comment") or "",
    }
    typed = use_box(lambda: dict(drafts))
    # so are the satisfaction picked and the strokes drawn: a tab switch, leaving the job or a restart
    # before "submit" must not make the customer sign again
    kept_rating, kept_ink = actions.draft(view.id, "satisfaction"), actions.draft(view.id, "signature")
    satisfaction, set_rating = ft.use_state(
        int(kept_rating) if kept_rating and kept_rating.isdigit() else job.get("satisfaction") or 0
    )
    strokes, set_ink = ft.use_state(path_to_strokes(kept_ink) if kept_ink else list[Stroke]())

    def set_satisfaction(n: int) -> None:
        actions.keep_draft(view.id, "satisfaction", str(n))
        set_rating(n)

    def set_strokes(new: list[Stroke]) -> None:
        actions.keep_draft(view.id, "signature", strokes_to_path(new) if new else None)
        set_ink(new)

    if job.get("signature"):
        signed_at = when(state.lang, parse_time(job.get("signed_off_at")), state.now, device.app.tz)
        return section(
            t("app.accept.title"),
            [
                tagged(
                    "accept-done",
                    ft.Text(
                        t("app.accept.signed", when=signed_at),
                        size=18,
                        color=GREEN,
                        weight=ft.FontWeight.BOLD,
                    ),
                ),
                label_value(t("app.accept.opinion"), job.get("acceptance_opinion", "")),
                label_value(
                    t("app.accept.satisfaction"), t(f"app.accept.sat.{job.get('satisfaction') or 0}")
                ),
                label_value(t("app.accept.comment"), job.get("acceptance_comment", "")),
                ft.Text(t("app.accept.signature"), size=16, color=MUTED),
                signature_view(path_to_strokes(job["signature"])),
            ],
        )
    if job.get("resolved_at") is None:
        return section(t("app.accept.title"), [ft.Text(t("app.accept.resolve_first"), size=18, color=INK)])

    def submit(_e: object) -> None:
        if not satisfaction:
            state.say("error.satisfaction_needed", error=True)
            return
        if not is_signed(strokes):
            state.say("error.no_signature", error=True)
            return
        device.act(
            lambda: device.app.actions.sign(
                view.id,
                satisfaction=satisfaction,
                signature=strokes_to_path(strokes),
                opinion=typed["opinion"],
                comment=typed["comment"],
            ),
            done="app.accept.done",
        )

    def draft(name: str, *, multiline: bool = False) -> ft.Control:
        def keep(text: str) -> bool:
            typed[name] = text
            actions.keep_draft(view.id, name, text)
            return True

        return AutosaveField(
            state,
            f"accept-{name}",
            t(f"app.accept.{name}"),
            drafts[name],
            keep,
            multiline=multiline,
            on_text=lambda text: typed.__setitem__(name, text),
        )

    return section(
        t("app.accept.title"),
        [
            ft.Text(t("app.accept.hand_over"), size=17, color=INK),
            draft("opinion", multiline=True),
            ft.Text(t("app.accept.satisfaction"), size=17, color=INK),
            ft.Row(
                [
                    tagged(
                        f"sat-{n}",
                        big_button(
                            t(f"app.accept.sat.{n}"),
                            bind(set_satisfaction, n),
                            kind="selected" if satisfaction == n else "quiet",
                        ),
                    )
                    for n in range(1, 6)
                ],
                wrap=True,
                spacing=8,
                run_spacing=8,
            ),
            draft("comment"),
            ft.Text(t("app.accept.sign_here"), size=17, color=INK),
            SignaturePad(strokes, set_strokes),
            ink_note("accept-ink", strokes, t),
            ft.Row(
                [
                    big_button(
                        t("app.accept.clear"), lambda _: set_strokes([]), kind="quiet", icon=ft.Icons.CLEAR
                    ),
                    tagged("accept-submit", big_button(t("app.accept.submit"), submit, icon=ft.Icons.DRAW)),
                ],
                wrap=True,
                spacing=8,
            ),
        ],
    )
