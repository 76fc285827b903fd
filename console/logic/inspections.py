"""Inspection schedules and compliance shaped for the console (pure; the server decides and counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from shared.i18n import translate
from shared.schedules import MAX_LEAD_DAYS, Frequency, ScheduleKind


class FormProblem(ValueError):
    """A form value the server would refuse; ``key`` names the message in the catalogue."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class ScheduleForm:
    """What the dispatcher typed and picked on the new-schedule form (all text, as the fields hold it)."""

    customer_id: str = ""
    site_id: str = ""
    equipment_id: str = ""
    frequency: str = Frequency.MONTHLY.value
    #: shared.schedules.ScheduleKind: an inspection or a care visit (回访/走访)
    kind: str = ScheduleKind.INSPECTION.value
    template_id: str = ""
    engineer_id: str = ""
    start_on: str = ""
    lead_days: str = "7"
    note: str = ""


def schedule_body(form: ScheduleForm) -> dict[str, Any]:
    """The body of ``POST /api/inspections/schedules``, or FormProblem naming what to fix first."""
    if not form.customer_id or not form.site_id:
        raise FormProblem("console.inspections.need_place")
    care = form.kind == ScheduleKind.CARE_VISIT.value
    if not form.equipment_id and not form.template_id and not care:
        raise FormProblem("console.inspections.need_template")
    try:
        frequency = Frequency(form.frequency)
    except ValueError:
        raise FormProblem("console.inspections.need_frequency") from None
    try:
        start = date.fromisoformat(form.start_on.strip())
    except ValueError:
        raise FormProblem("console.inspections.bad_start") from None
    try:
        lead = int(form.lead_days.strip())
    except ValueError:
        raise FormProblem("console.inspections.bad_lead") from None
    if not 0 <= lead <= MAX_LEAD_DAYS:
        raise FormProblem("console.inspections.bad_lead")
    body: dict[str, Any] = {
        "customer_id": form.customer_id,
        "site_id": form.site_id,
        "frequency": frequency.value,
        "start_on": start.isoformat(),
        "lead_days": lead,
        "note": form.note.strip(),
    }
    for key in ("equipment_id", "template_id", "engineer_id"):
        if getattr(form, key):
            body[key] = getattr(form, key)
    if care:  # a care visit (回访/走访): no checklist needed
        body["kind"] = ScheduleKind.CARE_VISIT.value
    return body


def templates_for(templates: list[dict[str, Any]], category: str | None) -> list[dict[str, Any]]:
    """Checklists that fit: for equipment, those of its category (inspection first); for a site, all."""
    fitting = [tpl for tpl in templates if category is None or tpl.get("category") == category]
    return sorted(fitting, key=lambda tpl: (tpl.get("job_kind") != "inspection", tpl.get("name", "")))


def schedule_rows(lang: str, rows: list[dict[str, Any]]) -> list[list[str]]:
    """Table cells: customer, site, equipment, frequency, checklist, engineer, start, next due, jobs, state."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    out = []
    for row in rows:
        out.append(
            [
                row.get("customer_name", ""),
                row.get("site_name", ""),
                row.get("equipment_label") or t("console.inspections.whole_site"),
                t(f"enum.frequency.{row['frequency']}")
                + (
                    " · " + t("enum.schedule_kind.care_visit")
                    if row.get("kind") == ScheduleKind.CARE_VISIT.value
                    else ""
                ),
                row.get("template_name") or t("console.inspections.default_checklist"),
                row.get("engineer_name") or t("console.inspections.no_engineer"),
                row["start_on"] + (f" — {row['end_on']}" if row.get("end_on") else ""),
                row.get("next_due_on") or "—",
                str(row.get("jobs", 0)),
                t("console.inspections.active" if row.get("active") else "console.inspections.inactive"),
            ]
        )
    return out


def rate_text(row: dict[str, Any]) -> str:
    """On-time rate of the visits already judged (done or missed), or a dash when none is."""
    judged = int(row.get("on_time", 0)) + int(row.get("late", 0)) + int(row.get("missed", 0))
    if judged == 0:
        return "—"
    return f"{100 * int(row.get('on_time', 0)) / judged:.1f}%"


def compliance_rows(lang: str, report: dict[str, Any]) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """Rows per customer then the total, and the (row, column) cells to show red (missed > 0)."""
    rows: list[list[str]] = []
    red: list[tuple[int, int]] = []
    for i, row in enumerate([*report.get("rows", []), report.get("total") or {}]):
        name = row.get("customer_name") or translate(lang, "inspections.report.total")
        rows.append(
            [
                name,
                *(str(int(row.get(k, 0))) for k in ("planned", "on_time", "late", "missed", "pending")),
                rate_text(row),
            ]
        )
        if int(row.get("missed", 0)) > 0:
            red.append((i, 4))
    return rows, red


def this_month(now: datetime, tz: tzinfo) -> str:
    return now.astimezone(tz).strftime("%Y-%m")


def shift_month(month: str, months: int) -> str:
    """``YYYY-MM`` moved by ``months``; ValueError when ``month`` is not one."""
    year, mon = int(month[:4]), int(month[5:7])
    if len(month) != 7 or month[4] != "-" or not 1 <= mon <= 12:
        raise ValueError(month)
    index = year * 12 + mon - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
