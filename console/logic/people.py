"""How the 人员 screen words a staff file, an expiring certificate, a qualification gap and an appraisal
row; and how it reads the dates and hours typed into its forms. Pure: tested without a browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from shared.people import (
    Appraisal,
    CertificateOut,
    ExpiringCertificate,
    QualificationGap,
    TrainingOut,
    valid_month,
)

T = Callable[..., str]


def parse_day(text: str) -> date | None:
    """``YYYY-MM-DD`` as a day, or None when it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_hours(text: str) -> Decimal | None:
    """Training hours as typed (``8``, ``2.5``): a positive number to one decimal, else None."""
    try:
        hours = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not hours.is_finite() or hours <= 0 or hours >= 1000 or hours != hours.quantize(Decimal("0.1")):
        return None
    return hours


def month_or_none(text: str) -> str | None:
    return text.strip() if valid_month(text.strip()) else None


def certificate_line(t: T, c: CertificateOut) -> str:
    line = t(
        "console.people.certificate_line",
        name=c.name,
        level=c.level or "—",
        number=c.number,
        issued=c.issued_on.isoformat(),
        expires=c.expires_on.isoformat() if c.expires_on else t("console.people.no_expiry"),
    )
    if c.days_left is not None and c.days_left >= 0 and c.state.value == "expiring":
        line += "（" + t("console.people.days_left", n=c.days_left) + "）"
    return line


def expiring_line(t: T, c: ExpiringCertificate) -> str:
    state = t(f"enum.certificate_state.{c.state.value}")
    if c.days_left is not None and c.days_left >= 0:
        state += " " + t("console.people.days_left", n=c.days_left)
    return t(
        "console.people.expiring_line",
        engineer=c.engineer_name,
        name=c.name,
        number=c.number,
        expires=c.expires_on.isoformat() if c.expires_on else "",
        state=state,
    )


def training_line(t: T, row: TrainingOut) -> str:
    return t(
        "console.people.training_line",
        day=row.taken_on.isoformat(),
        course=row.course,
        hours=row.hours,
        result=t(f"enum.training_result.{row.result.value}"),
    )


def gap_text(t: T, name: str, gaps: list[QualificationGap]) -> str:
    """The dispatcher's warning for an assignment the engineer is not qualified for."""
    gap = gaps[0]
    reason = t(f"enum.gap_reason.{gap.reason.value}")
    if gap.expired_on is not None:
        reason += f"（{gap.certificate_name} {gap.expired_on.isoformat()}）"
    return t(
        "console.people.unqualified",
        name=name,
        category=t(f"enum.category.{gap.category.value}"),
        reason=reason,
    )


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def appraisal_line(t: T, a: Appraisal) -> str:
    return t(
        "console.people.appraisal_line",
        name=a.engineer_name,
        jobs=a.jobs,
        respond=_num(a.respond_median_min),
        onsite=_num(a.onsite_median_min),
        fix=_num(a.fix_median_min),
        respond_pct=_num(a.respond_compliance_pct, "%"),
        onsite_pct=_num(a.onsite_compliance_pct, "%"),
        fix_pct=_num(a.fix_compliance_pct, "%"),
        breaches=a.breaches,
        ftf=_num(a.first_time_fix_pct, "%"),
        sat=_num(a.satisfaction_avg),
        visits=a.return_visits,
        visit_avg=_num(a.return_visit_avg),
        complaints=a.complaints,
    )
