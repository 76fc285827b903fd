"""The checklist for this equipment and job kind: ok / fault / n.a., readings against limits, notes."""

from __future__ import annotations

import math
from typing import Any

import flet as ft

from mobile.app.components.autosave import AutosaveField, use_box
from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from shared.enums import ChecklistItemKind, CheckResult
from ui.components.common import (
    GREEN,
    INK,
    LINE,
    MUTED,
    RED,
    RED_BG,
    SURFACE,
    badge,
    big_button,
    bind,
    keyed,
    section,
    tagged,
)


def out_of_range(item: dict[str, Any], value: float | None) -> bool:
    """A reading outside the item's limits (the same rule the services apply)."""
    if value is None or item.get("kind") != ChecklistItemKind.MEASURE.value:
        return False
    low, high = item.get("min_value"), item.get("max_value")
    return (low is not None and value < low) or (high is not None and value > high)


def limits_text(state: AppState, item: dict[str, Any]) -> str:
    low, high, unit = item.get("min_value"), item.get("max_value"), item.get("unit") or ""
    if low is not None and high is not None:
        return state.t("app.checklist.range", low=low, high=high, unit=unit)
    if low is not None:
        return state.t("app.checklist.min", low=low, unit=unit)
    if high is not None:
        return state.t("app.checklist.max", high=high, unit=unit)
    return ""


def _number(text: str) -> float | None:
    """The reading typed, or None when it is not a finite number ("nan" and "inf" parse as floats)."""
    try:
        value = float(text.replace(",", ".").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@ft.component
def ChecklistItem(
    state: AppState, view: JobView, item: dict[str, Any], answer: dict[str, Any] | None
) -> ft.Control:
    device = use_device()
    t = state.t
    code = item["code"]
    label = item.get("label_zh" if state.lang == "zh-CN" else "label_en") or code
    measure = item.get("kind") == ChecklistItemKind.MEASURE.value
    saved_value = None if answer is None else answer.get("value")
    saved_value_text = "" if saved_value is None else f"{saved_value:g}"
    saved_note = str((answer or {}).get("note") or "")
    # what is typed now (the fields write it themselves; the buttons here send it with the answer)
    typed = use_box(lambda: {"value": saved_value_text, "note": saved_note})
    error, set_error = ft.use_state("")

    def answer_with(result: CheckResult | None) -> bool:
        value = None
        if measure:
            value = _number(typed["value"])
            if value is None:
                set_error(t("error.value_needed"))
                return False
        set_error("")

        def run() -> None:
            _mutation, flagged = device.app.actions.answer(
                view.id, code, result=result, value=value, note=typed["note"]
            )
            if flagged:
                state.say("app.checklist.flagged_now", error=True, item=label)

        return device.act(run)

    def save_value(text: str) -> bool:
        typed["value"] = text
        return answer_with(None) if text.strip() else False

    def save_note(text: str) -> bool:
        typed["note"] = text
        return device.act(lambda: device.app.actions.note_item(view.id, code, text))

    def typing(name: str) -> Any:
        return lambda text: typed.__setitem__(name, text)

    header: list[ft.Control] = [
        ft.Text(
            label + (" *" if item.get("required", True) else ""),
            size=19,
            weight=ft.FontWeight.W_600,
            color=INK,
        )
    ]
    flagged = out_of_range(item, saved_value)
    if answer is not None:
        if measure and saved_value is not None:
            text = f"{saved_value:g} {item.get('unit') or ''}".strip()
            header.append(
                tagged(
                    f"item-{code}-flag",
                    badge(t("app.checklist.out_of_range", value=text), bg=RED, fg="#ffffff")
                    if flagged
                    else badge(t("app.checklist.in_range", value=text), bg="#d7f5dc", fg=GREEN),
                )
            )
        elif answer.get("result"):
            header.append(badge(t(f"enum.check_result.{answer['result']}"), bg="#dbe9ff"))
    else:
        header.append(badge(t("app.checklist.unanswered"), bg="#e9eef3", fg=MUTED))
    controls: list[ft.Control] = [ft.Row(header, wrap=True, spacing=10)]
    if measure:
        controls.append(ft.Text(limits_text(state, item), size=16, color=MUTED))
        controls.append(
            ft.Row(
                [
                    AutosaveField(
                        state,
                        f"item-{code}-value",
                        t("app.checklist.value", item=label, unit=item.get("unit") or ""),
                        saved_value_text,
                        save_value,
                        number=True,
                        width=260,
                        debounce=False,
                        error=error or None,
                        on_text=typing("value"),
                    ),
                    tagged(
                        f"item-{code}-save",
                        big_button(t("app.checklist.save_value"), lambda _: answer_with(None)),
                    ),
                ],
                wrap=True,
                spacing=10,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        )
    else:
        current = (answer or {}).get("result")
        controls.append(
            ft.Row(
                [
                    tagged(
                        f"item-{code}-{r.value}",
                        big_button(
                            t(f"enum.check_result.{r.value}"),
                            bind(answer_with, r),
                            kind=("danger" if r is CheckResult.FAULT else "selected")
                            if current == r.value
                            else "quiet",
                        ),
                    )
                    for r in CheckResult
                ],
                wrap=True,
                spacing=8,
            )
        )
    controls.append(
        AutosaveField(
            state,
            f"item-{code}-note",
            t("app.checklist.note", item=label),
            saved_note,
            save_note,
            on_text=typing("note"),
        )
    )
    return ft.Container(
        bgcolor=RED_BG if flagged else SURFACE,
        border=ft.Border.all(2 if flagged else 1, RED if flagged else LINE),
        border_radius=10,
        padding=12,
        content=ft.Column(controls, spacing=8, tight=True),
    )


@ft.component
def ChecklistSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t = state.t
    template = view.template
    if template is None:
        return section(t("app.checklist.title"), [ft.Text(t("app.checklist.none"), size=17, color=MUTED)])
    answers = {a["item_code"]: a for a in view.job.get("checklist", [])}
    missing = device.app.actions.missing_required(view.job)
    summary = (
        ft.Text(t("app.checklist.missing", n=len(missing)), size=17, color=RED, weight=ft.FontWeight.W_600)
        if missing
        else ft.Text(t("app.checklist.complete"), size=17, color=GREEN, weight=ft.FontWeight.W_600)
    )
    items: list[ft.Control] = [
        ft.Container(
            col={"xs": 12, "lg": 6},  # two columns on a landscape tablet, one in portrait
            content=keyed(ChecklistItem)(state, view, item, answers.get(item["code"]), key=item["code"]),
        )
        for item in template["items"]
    ]
    return tagged(
        "checklist-section",
        section(
            f"{t('app.checklist.title')}: {template.get('name', '')}",
            [tagged("checklist-summary", summary), ft.ResponsiveRow(items, spacing=10, run_spacing=10)],
        ),
    )
