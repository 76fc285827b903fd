"""The 人员 screen's wording and form reading, without a browser."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from console.logic.people import appraisal_line, gap_text, month_or_none, parse_day, parse_hours
from shared.enums import EquipmentCategory
from shared.i18n import translate
from shared.people import (
    Appraisal,
    CertificateState,
    GapReason,
    Held,
    QualificationGap,
    certificate_state,
    qualification_gaps,
)


def t(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def test_the_rule_of_working_with_a_certificate() -> None:
    today = date(2026, 12, 7)
    pump = EquipmentCategory.DRAINAGE_PUMP.value
    assert qualification_gaps(None, [], today) == []  # no equipment, nothing needed
    assert qualification_gaps("spaceship", [], today) == []
    assert [g.reason for g in qualification_gaps(pump, [], today)] == [GapReason.MISSING]
    old = Held(pump, date(2026, 12, 6), "排涝泵维修上岗证")
    assert [g.reason for g in qualification_gaps(pump, [old], today)] == [GapReason.EXPIRED]
    assert qualification_gaps(pump, [Held(pump, today)], today) == []  # valid on its last day
    assert qualification_gaps(pump, [old, Held(pump)], today) == []  # another one still counts
    assert certificate_state(date(2027, 1, 6), today) is CertificateState.EXPIRING  # 30 days
    assert certificate_state(date(2027, 1, 7), today) is CertificateState.VALID
    assert certificate_state(None, today) is CertificateState.VALID


def test_forms_are_read_and_the_warning_is_worded() -> None:
    assert parse_day("2026-05-01") == date(2026, 5, 1) and parse_day("5/1") is None
    assert parse_hours("2.5") == Decimal("2.5") and parse_hours("0") is None and parse_hours("1.25") is None
    assert parse_hours("abc") is None and parse_hours("NaN") is None
    assert month_or_none("2026-05") == "2026-05" and month_or_none("2026-13") is None
    gap = QualificationGap(
        category=EquipmentCategory.PUMP_TRUCK,
        reason=GapReason.EXPIRED,
        certificate_name="移动泵车操作维修证",
        expired_on=date(2026, 11, 16),
    )
    text = gap_text(t, "李强", [gap])
    assert "李强" in text and "移动泵车" in text and "2026-11-16" in text and "{" not in text
    a = Appraisal(
        engineer_id=uuid.uuid4(),
        engineer_name="张伟",
        month="2026-05",
        jobs=2,
        respond_median_min=25.0,
        onsite_median_min=150.0,
        fix_median_min=None,
        respond_compliance_pct=50.0,
        onsite_compliance_pct=100.0,
        fix_compliance_pct=None,
        breaches=1,
        first_time_fix_pct=None,
        resolved_repairs=0,
        satisfaction_avg=4.0,
        return_visits=0,
        return_visit_avg=None,
        unreachable=0,
        complaints=1,
        made_at=datetime(2026, 6, 1),
    )
    line = appraisal_line(t, a)
    assert "25/150/—" in line and "50%" in line and "{" not in line
