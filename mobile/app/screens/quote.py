"""The quote of a paid repair (有偿维修报价), made on the tablet offline.

Only a billable repair is quoted (the three-guarantee rules decided it, ``shared.warranty``). The engineer
enters the labour hours and the travel; the parts used on the job come in at their list price, the
customer's contract discount (优惠收费) is applied, and the customer accepts the quote by signing it here.
The figures are ``shared.paid.quote_totals``, the rule the server recomputes with. The hours, travel and
signature are device drafts until the quote is recorded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import flet as ft

from mobile.app.components.autosave import AutosaveField
from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from mobile.services.jobs import ActionError
from shared.paid_rules import line_amount
from ui.components.common import GREEN, INK, LINE, MUTED, RED, SURFACE, big_button, section, tagged
from ui.components.signature_pad import SignaturePad, ink_note
from ui.logic.signature import Stroke, is_signed, path_to_strokes, strokes_to_path


def _line_text(t: Any, line: dict[str, Any]) -> str:
    kind = t(f"enum.quote_line.{line['kind']}")
    what = f"{kind} {line.get('description') or ''}".strip()
    return f"{what} · {line['quantity']} × ¥{line['unit_price']} = ¥{line.get('amount', '')}"


def _quote_card(t: Any, quote: dict[str, Any]) -> ft.Control:
    money = quote.get("figures", {})
    status = quote.get("status", "offered")
    lines: list[ft.Control] = [
        ft.Text(
            t("app.quote.total", total=money.get("total", ""), status=t(f"enum.quote_status.{status}")),
            size=18,
            weight=ft.FontWeight.W_600,
            color=RED if status == "review" else GREEN if status == "accepted" else INK,
        ),
        *(ft.Text(_line_text(t, x), size=15, color=MUTED) for x in quote.get("lines", [])),
        ft.Text(
            t(
                "app.quote.discount",
                subtotal=money.get("subtotal", ""),
                pct=money.get("discount_pct", "0"),
                discount=money.get("discount", ""),
            ),
            size=15,
            color=MUTED,
        ),
    ]
    if status == "review":
        lines.append(ft.Text(t("app.quote.in_review"), size=15, color=RED))
    return ft.Container(
        bgcolor=SURFACE,
        border=ft.Border.all(1, LINE),
        border_radius=10,
        padding=10,
        content=ft.Column(lines, spacing=2, tight=True),
    )


@ft.component
def QuoteSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t, job = state.t, view.job
    actions = device.app.actions
    hours_kept, travel_kept = actions.draft(view.id, "quote_hours"), actions.draft(view.id, "quote_travel")
    hours, set_hours = ft.use_state(hours_kept or "")
    travel, set_travel = ft.use_state(travel_kept or "")
    ink_kept = actions.draft(view.id, "quote_signature")
    strokes, set_ink = ft.use_state(path_to_strokes(ink_kept) if ink_kept else list[Stroke]())

    def set_strokes(new: list[Stroke]) -> None:
        actions.keep_draft(view.id, "quote_signature", strokes_to_path(new) if new else None)
        set_ink(new)

    quotes = job.get("quotes", [])
    made = (
        [tagged("quotes-made", ft.Column([_quote_card(t, q) for q in quotes], spacing=8))] if quotes else []
    )
    if job.get("billable") is not True:
        return section(
            t("app.quote.title"),
            [ft.Text(t("app.quote.free"), size=18, color=INK), *made],
        )

    def keep(name: str, setter: Any) -> Any:
        def save(text: str) -> bool:
            actions.keep_draft(view.id, name, text)
            setter(text)
            return True

        return save

    preview: list[ft.Control] = []
    try:
        lines = actions.quote_lines(view.id, hours, travel)
        money = actions.quote_figures(view.id, lines)
        preview = (
            []
            if not lines
            else [
                *(ft.Text(_line_text(t, {**x, "amount": _amount(x)}), size=16, color=INK) for x in lines),
                ft.Text(
                    t(
                        "app.quote.discount",
                        subtotal=money["subtotal"],
                        pct=money["discount_pct"],
                        discount=money["discount"],
                    ),
                    size=16,
                    color=MUTED,
                ),
                tagged(
                    "quote-total",
                    ft.Text(t("app.quote.to_pay", total=money["total"]), size=20, weight=ft.FontWeight.BOLD),
                ),
            ]
        )
    except ActionError as exc:
        preview = [ft.Text(state.error_text(exc), size=16, color=RED)]
    if not preview:
        preview = [ft.Text(t("error.empty_quote"), size=16, color=MUTED)]
    accepted = any(q.get("status") == "accepted" for q in quotes)

    def submit(_e: object) -> None:
        if not is_signed(strokes):
            state.say("error.no_signature", error=True)
            return
        if device.act(
            lambda: actions.make_quote(
                view.id, labour_hours=hours, travel=travel, signature=strokes_to_path(strokes)
            ),
            done="app.quote.made",
        ):
            for name in ("quote_hours", "quote_travel", "quote_signature"):
                actions.keep_draft(view.id, name, None)
            set_hours("")
            set_travel("")
            set_ink([])

    return section(
        t("app.quote.title"),
        [
            ft.Text(t("app.quote.note"), size=16, color=MUTED),
            *made,
            *([ft.Text(t("app.quote.accepted_note"), size=16, color=INK)] if accepted else []),
            ft.Row(
                [
                    AutosaveField(
                        state,
                        "quote-hours",
                        t("app.quote.hours"),
                        hours,
                        keep("quote_hours", set_hours),
                        number=True,
                        width=200,
                    ),
                    AutosaveField(
                        state,
                        "quote-travel",
                        t("app.quote.travel"),
                        travel,
                        keep("quote_travel", set_travel),
                        number=True,
                        width=200,
                    ),
                ],
                wrap=True,
                spacing=10,
            ),
            tagged("quote-preview", ft.Column(preview, spacing=4)),
            ft.Text(t("app.quote.sign_here"), size=17, color=INK),
            SignaturePad(strokes, set_strokes),
            ink_note("quote-ink", strokes, t),
            ft.Row(
                [
                    big_button(
                        t("app.accept.clear"), lambda _: set_strokes([]), kind="quiet", icon=ft.Icons.CLEAR
                    ),
                    tagged("quote-submit", big_button(t("app.quote.submit"), submit, icon=ft.Icons.DRAW)),
                ],
                wrap=True,
                spacing=8,
            ),
        ],
    )


def _amount(line: dict[str, Any]) -> str:
    return str(line_amount(Decimal(line["quantity"]), Decimal(line["unit_price"])))
