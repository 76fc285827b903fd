"""What the knowledge tab decides without a browser: who curates, a case's edits from the form (only what
changed; parts one per line or separated by either kind of comma), and the type of a picked manual."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from console.logic.customers import FormError
from console.logic.knowledge import can_curate, case_edits, manual_type, split_parts
from shared.knowledge import MAX_MANUAL_BYTES, CaseOut, CaseStatus


def _case() -> CaseOut:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    return CaseOut(
        id=uuid.uuid4(),
        number="KC-00001",
        status=CaseStatus.DRAFT,
        title="机械密封漏油",
        category="drainage_pump",
        model="QSZ-1500 潜水排涝泵",
        symptom="水泵运行时机械密封处漏油",
        cause="机械密封磨损",
        fix="更换机械密封",
        parts=["P-0001 机械密封 ×1"],
        job_id=None,
        created_at=now,
        updated_at=now,
    )


def test_qa_manager_and_admin_curate_the_rest_of_the_office_reads() -> None:
    assert can_curate("qa") and can_curate("manager") and can_curate("admin")
    assert not can_curate("dispatcher") and not can_curate("warehouse") and not can_curate("engineer")
    assert not can_curate("") and not can_curate("auditor")


def test_only_what_changed_is_sent_and_parts_split_on_lines_and_commas() -> None:
    case = _case()
    assert (
        case_edits(case, case.title, case.symptom, case.cause, case.fix, "P-0001 机械密封 ×1").model_dump(
            exclude_unset=True
        )
        == {}
    )
    edits = case_edits(
        case, " 新标题 ", case.symptom, "油室进水", case.fix, "P-0001 机械密封 ×1，P-0002 油封\n\n"
    )
    assert edits.model_dump(exclude_unset=True) == {
        "title": "新标题",
        "cause": "油室进水",
        "parts": ["P-0001 机械密封 ×1", "P-0002 油封"],
    }
    assert split_parts("a, b；c;d\n e ") == ["a", "b", "c", "d", "e"]
    with pytest.raises(FormError) as empty:
        case_edits(case, case.title, "  ", case.cause, case.fix, "")
    assert empty.value.key == "console.knowledge.need_symptom"
    with pytest.raises(FormError) as long:
        case_edits(case, "x" * 201, case.symptom, case.cause, case.fix, "")
    assert long.value.key == "console.knowledge.too_long"


def test_a_picked_manual_is_sent_as_its_type_or_refused_before_upload() -> None:
    assert manual_type("说明书.PDF", 1000) == "application/pdf"
    assert manual_type("chart.webp", 10) == "image/webp"
    for name, size, key in (
        ("manual.docx", 10, "console.knowledge.bad_type"),
        ("noextension", 10, "console.knowledge.bad_type"),
        ("big.pdf", MAX_MANUAL_BYTES + 1, "console.knowledge.too_large"),
    ):
        with pytest.raises(FormError) as refused:
            manual_type(name, size)
        assert refused.value.key == key
