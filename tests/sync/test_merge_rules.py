"""The merge rules of ``sync/merge.py`` case by case, the clock's guarantees as properties, and the docs.

Pure: no server, no database. ``docs/merge-rules.md`` is parsed so that the table and
``JOB_FIELD_RULES`` cannot drift apart.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.enums import STATUS_RANK, BillableReason, CheckResult, JobEventType, JobStatus
from sync.clock import MAX_COUNTER, HybridLogicalClock, Timestamp
from sync.merge import (
    BEFORE_CALL_TOLERANCE,
    EVENT_FIELD,
    FUTURE_TOLERANCE,
    JOB_FIELD_RULES,
    LWW_JOB_FIELDS,
    MAX_AGE,
    MAX_CLOCK_OFFSET,
    OFFICE_DECIDED,
    SERVER_OWNED_JOB_FIELDS,
    Rule,
    apply_locally,
    decide_lww,
    earliest,
    flag_event_time,
    office_decided,
    rebase,
    status_after_event,
)
from sync.protocol import JobEditFields, Mutation, MutationName, wire_time

DOC = Path(__file__).resolve().parents[2] / "docs" / "merge-rules.md"
TABLE_HEADER = ("entity.field", "rule", "reason")

T0 = datetime(2025, 7, 14, 8, 0, tzinfo=UTC)
JOB_ID = uuid.UUID("01980000-0000-7000-8000-000000000001")
PART_ID = uuid.UUID("01980000-0000-7000-8000-0000000000aa")

PROPERTY = settings(database=None, deadline=None, max_examples=300)

FIELD_STATUSES = sorted(STATUS_RANK, key=STATUS_RANK.__getitem__)  # new .. closed, no office states


# --- helpers ----------------------------------------------------------------------------------------


def _doc_table() -> list[tuple[str, str, str]]:
    """Rows of the ``| entity.field | rule | reason |`` table, cells unwrapped from backticks."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    rows: list[tuple[str, str, str]] = []
    inside = False
    for line in lines:
        stripped = line.strip()
        cells = [c.strip() for c in stripped.strip("|").split("|")] if stripped.startswith("|") else []
        if not inside:
            inside = tuple(cells) == TABLE_HEADER
            continue
        if not cells:
            break
        if set("".join(cells)) <= set("-: "):
            continue  # the separator row
        assert len(cells) == 3, f"a merge-rules row needs three cells: {line!r}"
        key, rule, reason = cells
        rows.append((key.strip("`"), rule.strip("`"), reason))
    return rows


def _mutation(name: MutationName, args: dict[str, Any], seq: int = 1) -> Mutation:
    return Mutation(id=uuid.uuid4(), client_seq=seq, name=name, args=args, created_at=T0)


def _tap(event: JobEventType, at: datetime, event_id: uuid.UUID | None = None) -> Mutation:
    return _mutation(
        MutationName.JOB_EVENT,
        {
            "job_id": str(JOB_ID),
            "event_id": str(event_id or uuid.uuid4()),
            "type": event.value,
            "at": at.isoformat(),
        },
    )


def _edit(**fields: Any) -> Mutation:
    return _mutation(MutationName.JOB_EDIT, {"job_id": str(JOB_ID), "base_version": 3, "fields": fields})


def _answer(item_code: str, result_id: uuid.UUID | None = None, **answer: Any) -> Mutation:
    return _mutation(
        MutationName.CHECKLIST_ANSWER,
        {
            "job_id": str(JOB_ID),
            "result_id": str(result_id or uuid.uuid4()),
            "item_code": item_code,
            "answered_at": T0.isoformat(),
            **answer,
        },
    )


def _use_part(usage_id: uuid.UUID, quantity: int = 1) -> Mutation:
    return _mutation(
        MutationName.PART_USE,
        {
            "job_id": str(JOB_ID),
            "usage_id": str(usage_id),
            "part_id": str(PART_ID),
            "quantity": quantity,
            "used_at": T0.isoformat(),
        },
    )


def _void_part(usage_id: uuid.UUID, at: datetime) -> Mutation:
    return _mutation(
        MutationName.PART_VOID, {"job_id": str(JOB_ID), "usage_id": str(usage_id), "at": at.isoformat()}
    )


def _sign(at: datetime, event_id: uuid.UUID | None = None) -> Mutation:
    return _mutation(
        MutationName.JOB_SIGN,
        {
            "job_id": str(JOB_ID),
            "event_id": str(event_id or uuid.uuid4()),
            "opinion": "同意验收",
            "satisfaction": 5,
            "comment": "处理及时",
            "signature": "M 10 10 L 20 20",
            "signed_at": at.isoformat(),
        },
    )


def _job(status: JobStatus = JobStatus.ASSIGNED, **overrides: Any) -> dict[str, Any]:
    """A pulled job document, trimmed to what the merge functions read and write."""
    doc: dict[str, Any] = {
        "id": str(JOB_ID),
        "number": "WO-202507-00001",
        "status": status.value,
        "severity": "general",
        "assigned_engineer_id": str(uuid.UUID(int=7)),
        "symptom": "水泵启动后出水量不足",
        "cause": "",
        "fix": "",
        "notes": "",
        "billable": None,
        "billable_reason": None,
        "backup_lent": False,
        "backup_note": "",
        "acceptance_opinion": "",
        "satisfaction": None,
        "acceptance_comment": "",
        "signature": "",
        "respond_due_at": (T0 + timedelta(minutes=30)).isoformat(),
        "fix_due_at": (T0 + timedelta(hours=24)).isoformat(),
        "version": 3,
        "events": [],
        "checklist": [],
        "parts": [],
        **dict.fromkeys(EVENT_FIELD.values()),
    }
    doc.update(overrides)
    return doc


def _fold(start: JobStatus, taps: list[JobEventType]) -> JobStatus:
    status = start
    for tap in taps:
        status = status_after_event(status, tap).status
    return status


# --- (a) the documented table is the code's table -------------------------------------------------


def test_merge_rules_doc_has_exactly_one_row_per_field_rule() -> None:
    rows = _doc_table()
    keys = [key for key, _, _ in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"fields listed twice in docs/merge-rules.md: {duplicates}"
    assert set(keys) == set(JOB_FIELD_RULES), (
        f"missing from the doc: {sorted(set(JOB_FIELD_RULES) - set(keys))}; "
        f"not in JOB_FIELD_RULES: {sorted(set(keys) - set(JOB_FIELD_RULES))}"
    )


def test_merge_rules_doc_states_the_same_rule_as_the_code_for_every_field() -> None:
    documented = {key: rule for key, rule, _ in _doc_table()}
    assert documented == {key: rule.rule.value for key, rule in JOB_FIELD_RULES.items()}


def test_merge_rules_doc_gives_a_reason_in_words_for_every_field() -> None:
    for key, _, reason in _doc_table():
        assert len(reason.split()) >= 4, f"{key} needs a reason in words, got {reason!r}"


def test_merge_rules_doc_states_the_flagging_thresholds_the_code_uses() -> None:
    text = DOC.read_text(encoding="utf-8")
    for limit in (MAX_CLOCK_OFFSET, FUTURE_TOLERANCE, BEFORE_CALL_TOLERANCE):
        assert f"{int(limit.total_seconds() // 60)} minutes" in text
    assert f"{MAX_AGE.days} days" in text


def test_every_field_a_device_can_edit_has_a_rule_and_office_fields_are_server_owned() -> None:
    for name in JobEditFields.model_fields:
        rule = JOB_FIELD_RULES[f"job.{name}"].rule
        assert rule in (Rule.FIELD_LWW, Rule.SERVER_OWNED), name
        assert (name in LWW_JOB_FIELDS) == (rule is Rule.FIELD_LWW)
        assert (name in SERVER_OWNED_JOB_FIELDS) == (rule is Rule.SERVER_OWNED)
    for field in EVENT_FIELD.values():
        assert JOB_FIELD_RULES[f"job.{field}"].rule is Rule.EVENT_LOG
    assert JOB_FIELD_RULES["job.status"].rule is Rule.EVENT_LOG


# --- (b) status_after_event -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "event", "expected"),
    [
        (JobStatus.NEW, JobEventType.ACKNOWLEDGED, JobStatus.ACKNOWLEDGED),
        (JobStatus.ASSIGNED, JobEventType.ACKNOWLEDGED, JobStatus.ACKNOWLEDGED),
        (JobStatus.ACKNOWLEDGED, JobEventType.DEPARTED, JobStatus.DEPARTED),
        (JobStatus.DEPARTED, JobEventType.ARRIVED, JobStatus.ARRIVED),
        (JobStatus.ARRIVED, JobEventType.STARTED, JobStatus.STARTED),
        (JobStatus.STARTED, JobEventType.RESOLVED, JobStatus.RESOLVED),
        (JobStatus.RESOLVED, JobEventType.SIGNED_OFF, JobStatus.SIGNED_OFF),
        (JobStatus.ASSIGNED, JobEventType.ARRIVED, JobStatus.ARRIVED),
    ],
)
def test_a_tap_moves_the_status_forward_without_conflict(
    current: JobStatus, event: JobEventType, expected: JobStatus
) -> None:
    decision = status_after_event(current, event)
    assert decision.status is expected
    assert decision.conflict is None


def test_a_tap_may_skip_steps_the_engineer_did_not_tap() -> None:
    assert status_after_event(JobStatus.ASSIGNED, JobEventType.RESOLVED).status is JobStatus.RESOLVED


def test_a_repeated_tap_changes_nothing() -> None:
    decision = status_after_event(JobStatus.ARRIVED, JobEventType.ARRIVED)
    assert decision.status is JobStatus.ARRIVED and decision.conflict is None


def test_a_late_arriving_earlier_tap_does_not_move_the_status_back() -> None:
    decision = status_after_event(JobStatus.RESOLVED, JobEventType.ACKNOWLEDGED)
    assert decision.status is JobStatus.RESOLVED and decision.conflict is None


def test_taps_arriving_out_of_order_end_at_the_highest_rank() -> None:
    taps = [JobEventType.STARTED, JobEventType.ACKNOWLEDGED, JobEventType.ARRIVED, JobEventType.DEPARTED]
    assert _fold(JobStatus.ASSIGNED, taps) is JobStatus.STARTED


def test_office_cancel_is_kept_when_engineer_resolves_offline() -> None:
    decision = status_after_event(JobStatus.CANCELLED, JobEventType.RESOLVED)
    assert decision.status is JobStatus.CANCELLED
    assert decision.conflict == "office_cancelled"


def test_office_hold_is_kept_when_engineer_progress_arrives() -> None:
    decision = status_after_event(JobStatus.ON_HOLD, JobEventType.ARRIVED)
    assert decision.status is JobStatus.ON_HOLD
    assert decision.conflict == "office_on_hold"


@pytest.mark.parametrize("event", list(JobEventType))
@pytest.mark.parametrize("held", [JobStatus.ON_HOLD, JobStatus.CANCELLED])
def test_every_tap_against_an_office_hold_or_cancel_keeps_it_with_a_conflict_reason(
    held: JobStatus, event: JobEventType
) -> None:
    decision = status_after_event(held, event)
    assert decision.status is held
    assert decision.conflict == f"office_{held.value}"


@pytest.mark.parametrize("event", list(JobEventType))
def test_a_closed_job_stays_closed_and_the_tap_is_recorded_as_a_conflict(event: JobEventType) -> None:
    decision = status_after_event(JobStatus.CLOSED, event)
    assert decision.status is JobStatus.CLOSED
    assert decision.conflict == "closed"


# --- earliest -------------------------------------------------------------------------------------


def test_the_first_tap_time_is_kept_when_nothing_was_recorded() -> None:
    assert earliest(None, T0) == T0


def test_a_repeated_tap_with_a_later_time_does_not_move_the_recorded_time() -> None:
    assert earliest(T0, T0 + timedelta(minutes=3)) == T0


def test_an_earlier_tap_arriving_late_moves_the_recorded_time_back() -> None:
    assert earliest(T0, T0 - timedelta(minutes=3)) == T0 - timedelta(minutes=3)


def test_the_same_time_twice_keeps_it() -> None:
    assert earliest(T0, T0) == T0


# --- decide_lww -----------------------------------------------------------------------------------


def test_equal_values_apply_nothing_and_raise_no_conflict_even_when_the_server_moved_on() -> None:
    for server_field_version in (0, 3, 9):
        decision = decide_lww(
            "清理叶轮", "清理叶轮", server_field_version=server_field_version, base_version=3
        )
        assert decision.apply is False and decision.conflict is False


def test_device_value_lands_with_a_conflict_when_the_server_changed_the_field_since_the_base() -> None:
    decision = decide_lww("控制箱进水", "电缆破损", server_field_version=5, base_version=3)
    assert decision.apply is True and decision.conflict is True


def test_device_value_lands_without_conflict_when_the_server_did_not_change_the_field() -> None:
    decision = decide_lww("控制箱进水", "", server_field_version=2, base_version=3)
    assert decision.apply is True and decision.conflict is False


def test_a_field_changed_exactly_at_the_base_version_is_not_a_conflict() -> None:
    decision = decide_lww("控制箱进水", "电缆破损", server_field_version=3, base_version=3)
    assert decision.apply is True and decision.conflict is False


def test_a_field_never_changed_on_the_server_is_not_a_conflict_for_a_new_device() -> None:
    decision = decide_lww(True, None, server_field_version=0, base_version=0)
    assert decision.apply is True and decision.conflict is False


def test_checklist_answers_compare_as_a_whole_answer() -> None:
    mine = {"result": "fault", "value": None, "note": "渗油"}
    theirs = {"result": "ok", "value": None, "note": ""}
    assert decide_lww(mine, dict(mine), 1, 0).apply is False
    decision = decide_lww(mine, theirs, server_field_version=1, base_version=0)
    assert decision.apply is True and decision.conflict is True


# --- flag_event_time ------------------------------------------------------------------------------


def _flag(
    at: datetime,
    *,
    device_time: datetime = T0,
    received_at: datetime = T0,
    call_received_at: datetime | None = None,
) -> str:
    return flag_event_time(
        at, device_time=device_time, received_at=received_at, call_received_at=call_received_at
    )


def test_a_plausible_time_is_not_flagged() -> None:
    assert _flag(T0 - timedelta(minutes=20), call_received_at=T0 - timedelta(hours=1)) == ""


def test_a_device_clock_off_by_exactly_the_limit_is_trusted() -> None:
    for device_time in (T0 - MAX_CLOCK_OFFSET, T0 + MAX_CLOCK_OFFSET):
        assert _flag(device_time, device_time=device_time) == ""


def test_a_device_clock_running_slow_beyond_the_limit_is_flagged_with_the_offset() -> None:
    slow = T0 - MAX_CLOCK_OFFSET - timedelta(seconds=1)
    assert _flag(slow, device_time=slow) == "device clock is 5 min slow"


def test_a_device_clock_running_fast_beyond_the_limit_is_flagged_with_the_offset() -> None:
    fast = T0 + timedelta(hours=3)
    assert _flag(fast, device_time=fast) == "device clock is 180 min fast"


def test_a_time_up_to_the_future_tolerance_after_the_device_clock_is_trusted() -> None:
    assert _flag(T0 + FUTURE_TOLERANCE) == ""


def test_a_time_later_than_the_device_clock_beyond_the_tolerance_is_flagged() -> None:
    assert (
        _flag(T0 + FUTURE_TOLERANCE + timedelta(seconds=1))
        == "time is later than the device's clock when it synced"
    )


def test_a_time_up_to_the_tolerance_before_the_call_is_trusted() -> None:
    call = T0 - timedelta(hours=2)
    assert _flag(call - BEFORE_CALL_TOLERANCE, call_received_at=call) == ""


def test_a_time_before_the_call_beyond_the_tolerance_is_flagged() -> None:
    call = T0 - timedelta(hours=2)
    at = call - BEFORE_CALL_TOLERANCE - timedelta(seconds=1)
    assert _flag(at, call_received_at=call) == "time is before the call was received"


def test_a_time_up_to_the_maximum_age_is_trusted() -> None:
    assert _flag(T0 - MAX_AGE) == ""


def test_a_time_older_than_the_maximum_age_is_flagged() -> None:
    assert _flag(T0 - MAX_AGE - timedelta(seconds=1)) == "time is implausibly old"


def test_a_wrong_device_clock_is_reported_before_anything_else() -> None:
    fast = T0 + timedelta(hours=1)
    reason = _flag(T0 - MAX_AGE - timedelta(days=1), device_time=fast, call_received_at=T0)
    assert reason.startswith("device clock is")


# --- apply_locally / rebase, for every mutation name ----------------------------------------------


def test_a_tap_appends_its_event_once_and_moves_the_status() -> None:
    event_id = uuid.uuid4()
    tap = _tap(JobEventType.ARRIVED, T0, event_id)
    once = apply_locally(_job(), tap)
    twice = apply_locally(once, tap)
    assert once == twice
    [event] = twice["events"]
    assert event["id"] == str(event_id) and event["type"] == "arrived"
    assert datetime.fromisoformat(event["device_time"]) == T0
    assert twice["status"] == "arrived"
    assert datetime.fromisoformat(twice["arrived_at"]) == T0


def test_a_second_tap_of_the_same_kind_keeps_the_earliest_time() -> None:
    doc = apply_locally(_job(), _tap(JobEventType.ARRIVED, T0))
    later = apply_locally(doc, _tap(JobEventType.ARRIVED, T0 + timedelta(minutes=5)))
    earlier = apply_locally(later, _tap(JobEventType.ARRIVED, T0 - timedelta(minutes=5)))
    assert datetime.fromisoformat(later["arrived_at"]) == T0
    assert datetime.fromisoformat(earlier["arrived_at"]) == T0 - timedelta(minutes=5)
    assert len(earlier["events"]) == 3


def test_a_tap_in_another_timezone_is_stored_in_utc() -> None:
    shanghai = T0.astimezone(timezone(timedelta(hours=8)))
    doc = apply_locally(_job(), _tap(JobEventType.ACKNOWLEDGED, shanghai))
    assert doc["acknowledged_at"] == wire_time(T0) == "2025-07-14T08:00:00.000000Z"


def test_a_tap_on_a_job_the_office_cancelled_still_shows_the_office_status() -> None:
    doc = apply_locally(_job(JobStatus.CANCELLED), _tap(JobEventType.RESOLVED, T0))
    assert doc["status"] == "cancelled"
    assert doc["resolved_at"] is not None and len(doc["events"]) == 1


def test_an_edit_sets_descriptive_fields_and_leaves_the_rest() -> None:
    doc = apply_locally(
        _job(),
        _edit(cause="叶轮被杂物缠绕", billable=False, billable_reason=BillableReason.IN_WARRANTY.value),
    )
    assert doc["cause"] == "叶轮被杂物缠绕"
    assert doc["billable"] is False and doc["billable_reason"] == "in_warranty"
    assert {k: v for k, v in doc.items() if k not in {"cause", "billable", "billable_reason"}} == {
        k: v for k, v in _job().items() if k not in {"cause", "billable", "billable_reason"}
    }


def test_an_edit_ignores_server_owned_fields() -> None:
    original = _job()
    doc = apply_locally(
        original,
        _edit(
            severity="major",
            assigned_engineer_id=str(uuid.uuid4()),
            fix_due_at=(T0 + timedelta(days=9)).isoformat(),
            respond_due_at=(T0 + timedelta(days=9)).isoformat(),
            notes="带涉水服",
        ),
    )
    for name in SERVER_OWNED_JOB_FIELDS:
        assert doc.get(name) == original.get(name), name
    assert doc["notes"] == "带涉水服"


def test_an_edit_of_only_server_owned_fields_changes_nothing_locally() -> None:
    assert apply_locally(_job(), _edit(severity="major")) == _job()


def test_a_checklist_answer_for_a_new_item_is_added_with_the_device_id() -> None:
    result_id = uuid.uuid4()
    doc = apply_locally(_job(), _answer("insulation", result_id, value=12.5))
    [answer] = doc["checklist"]
    assert answer["id"] == str(result_id) and answer["item_code"] == "insulation"
    assert answer["value"] == 12.5 and answer["result"] is None and answer["version"] == 0


def test_a_checklist_answer_replaces_the_answer_for_the_same_item_code() -> None:
    pulled = {
        "id": str(uuid.uuid4()),
        "item_code": "seal",
        "result": "ok",
        "value": None,
        "note": "",
        "out_of_range": False,
        "answered_at": T0.isoformat(),
        "version": 4,
    }
    other = dict(pulled, id=str(uuid.uuid4()), item_code="noise")
    doc = apply_locally(
        _job(checklist=[pulled, other]),
        _answer("seal", uuid.uuid4(), result=CheckResult.FAULT.value, note="渗油"),
    )
    answers = {a["item_code"]: a for a in doc["checklist"]}
    assert len(doc["checklist"]) == 2
    assert answers["seal"]["result"] == "fault" and answers["seal"]["note"] == "渗油"
    assert answers["seal"]["id"] == pulled["id"] and answers["seal"]["version"] == 4
    assert answers["noise"] == other


def test_a_part_use_is_added_once_by_usage_id() -> None:
    usage_id = uuid.uuid4()
    use = _use_part(usage_id, quantity=2)
    doc = apply_locally(apply_locally(_job(), use), use)
    [part] = doc["parts"]
    assert part["id"] == str(usage_id) and part["quantity"] == 2 and part["voided_at"] is None
    assert part["part_id"] == str(PART_ID)


def test_two_uses_of_the_same_part_are_two_rows_not_a_counter() -> None:
    doc = rebase(_job(), [_use_part(uuid.uuid4()), _use_part(uuid.uuid4())])
    assert [p["quantity"] for p in doc["parts"]] == [1, 1]


def test_a_void_stamps_the_usage_once_and_keeps_the_row() -> None:
    usage_id = uuid.uuid4()
    doc = rebase(
        _job(),
        [
            _use_part(usage_id),
            _void_part(usage_id, T0 + timedelta(minutes=1)),
            _void_part(usage_id, T0 + timedelta(minutes=9)),
        ],
    )
    [part] = doc["parts"]
    assert datetime.fromisoformat(part["voided_at"]) == T0 + timedelta(minutes=1)


def test_a_void_of_an_unknown_usage_changes_nothing() -> None:
    doc = apply_locally(_job(), _void_part(uuid.uuid4(), T0))
    assert doc == _job()


def test_signing_records_the_acceptance_and_the_signed_off_event() -> None:
    event_id = uuid.uuid4()
    doc = apply_locally(_job(JobStatus.RESOLVED), _sign(T0, event_id))
    assert doc["acceptance_opinion"] == "同意验收" and doc["acceptance_comment"] == "处理及时"
    assert doc["satisfaction"] == 5 and doc["signature"] == "M 10 10 L 20 20"
    assert doc["status"] == "signed_off"
    assert datetime.fromisoformat(doc["signed_off_at"]) == T0
    assert [(e["id"], e["type"]) for e in doc["events"]] == [(str(event_id), "signed_off")]


def test_every_mutation_name_changes_the_local_view() -> None:
    usage_id = uuid.uuid4()
    with_part = apply_locally(_job(), _use_part(usage_id))
    loan_id = uuid.uuid4()
    lend = _mutation(
        MutationName.LOAN_LEND,
        {
            "job_id": str(JOB_ID),
            "loan_id": str(loan_id),
            "unit_id": str(uuid.uuid4()),
            "lent_at": T0.isoformat(),
        },
    )
    with_loan = apply_locally(_job(), lend)
    samples: dict[MutationName, tuple[dict[str, Any], Mutation]] = {
        MutationName.JOB_EVENT: (_job(), _tap(JobEventType.ACKNOWLEDGED, T0)),
        MutationName.JOB_EDIT: (_job(), _edit(fix="更换机械密封")),
        MutationName.CHECKLIST_ANSWER: (_job(), _answer("seal", result="ok")),
        MutationName.PART_USE: (_job(), _use_part(uuid.uuid4())),
        MutationName.PART_VOID: (with_part, _void_part(usage_id, T0)),
        MutationName.JOB_SIGN: (_job(JobStatus.RESOLVED), _sign(T0)),
        MutationName.PHOTO_ADD: (
            _job(),
            _mutation(
                MutationName.PHOTO_ADD,
                {
                    "job_id": str(JOB_ID),
                    "photo_id": str(uuid.uuid4()),
                    "filename": "现场.jpg",
                    "content_type": "image/jpeg",
                    "data_b64": "/9j/4AAQ",
                    "taken_at": T0.isoformat(),
                },
            ),
        ),
        MutationName.LOAN_LEND: (_job(), lend),
        MutationName.LOAN_RETURN: (
            with_loan,
            _mutation(
                MutationName.LOAN_RETURN,
                {
                    "job_id": str(JOB_ID),
                    "loan_id": str(loan_id),
                    "returned_at": T0.isoformat(),
                    "condition": "worn",
                },
            ),
        ),
    }
    samples[MutationName.QUOTE_MAKE] = (
        _job(),
        _mutation(
            MutationName.QUOTE_MAKE,
            {
                "job_id": str(JOB_ID),
                "quote_id": str(uuid.uuid4()),
                "lines": [{"kind": "travel", "quantity": "1", "unit_price": "120.00"}],
                "discount_pct": "10",
                "total": "108.00",
                "quoted_at": T0.isoformat(),
            },
        ),
    )
    # shipment.receive is on no job: the tablet shows it from its outbox (tests/sync/test_shipments.py)
    assert set(samples) == set(MutationName) - {MutationName.SHIPMENT_RECEIVE}
    for name, (doc, mutation) in samples.items():
        assert mutation.name is name
        assert apply_locally(doc, mutation) != doc, name


def test_apply_locally_never_changes_the_pulled_document() -> None:
    pulled = _job()
    kept = copy.deepcopy(pulled)
    rebase(pulled, [_tap(JobEventType.ARRIVED, T0), _edit(cause="x"), _answer("seal", result="ok")])
    assert pulled == kept


def test_rebase_with_nothing_pending_is_the_pulled_document() -> None:
    assert rebase(_job(), []) == _job()


def test_rebase_applies_pending_work_in_order_on_a_freshly_pulled_job() -> None:
    pending = [
        _tap(JobEventType.ARRIVED, T0),
        _edit(fix="清理叶轮"),
        _edit(fix="更换叶轮"),
        _tap(JobEventType.STARTED, T0 + timedelta(minutes=10)),
    ]
    pulled = _job(JobStatus.DEPARTED, notes="office note", version=8)
    doc = rebase(pulled, pending)
    assert doc["fix"] == "更换叶轮" and doc["status"] == "started"
    assert doc["notes"] == "office note" and doc["version"] == 8
    assert [e["type"] for e in doc["events"]] == ["arrived", "started"]


def test_rebase_keeps_an_office_hold_pulled_after_the_engineer_tapped() -> None:
    doc = rebase(_job(JobStatus.ON_HOLD), [_tap(JobEventType.ARRIVED, T0), _tap(JobEventType.STARTED, T0)])
    assert doc["status"] == "on_hold"
    assert doc["arrived_at"] is not None and doc["started_at"] is not None


def test_rebase_does_not_repeat_an_event_the_server_already_has() -> None:
    event_id = uuid.uuid4()
    pulled = _job(
        JobStatus.ARRIVED,
        arrived_at=wire_time(T0),
        events=[{"id": str(event_id), "type": "arrived", "device_time": wire_time(T0), "flagged": False}],
    )
    doc = rebase(pulled, [_tap(JobEventType.ARRIVED, T0, event_id)])
    assert doc == pulled


# --- (c) properties -------------------------------------------------------------------------------

nodes = st.text(alphabet="abcdef0123456789xyz", min_size=1, max_size=12)
walls = st.integers(min_value=0, max_value=10**13)
timestamps = st.builds(
    Timestamp,
    wall_ms=st.integers(min_value=0, max_value=10**15 - 1),
    counter=st.integers(min_value=0, max_value=MAX_COUNTER),
    node=nodes,
)


@PROPERTY
@given(readings=st.lists(walls, min_size=1, max_size=60), node=nodes)
def test_hlc_now_strictly_increases_even_when_the_wall_clock_jumps_backwards(
    readings: list[int], node: str
) -> None:
    it = iter(readings)
    clock = HybridLogicalClock(node, wall=lambda: next(it))
    previous = clock.last
    for reading in readings:
        stamp = clock.now()
        assert stamp > previous
        assert stamp.wall_ms >= reading
        assert stamp.node == node
        previous = stamp


def test_hlc_now_rolls_into_the_next_millisecond_when_the_counter_is_full() -> None:
    last = Timestamp(1_000, MAX_COUNTER, "dev")
    clock = HybridLogicalClock("dev", wall=lambda: 500, last=last)
    assert clock.now() == Timestamp(1_001, 0, "dev")


@PROPERTY
@given(last=timestamps, remote=timestamps, wall=st.integers(min_value=0, max_value=10**15 - 1), after=walls)
def test_hlc_receive_is_after_both_the_local_last_and_the_remote_timestamp(
    last: Timestamp, remote: Timestamp, wall: int, after: int
) -> None:
    readings = iter([wall, after])
    node = "local"
    clock = HybridLogicalClock(
        node, wall=lambda: next(readings), last=Timestamp(last.wall_ms, last.counter, node)
    )
    merged = clock.receive(remote)
    assert merged > Timestamp(last.wall_ms, last.counter, node)
    assert merged > remote
    assert merged.wall_ms >= wall
    assert clock.now() > merged


@PROPERTY
@given(stamp=timestamps)
def test_hlc_timestamp_survives_encode_and_decode(stamp: Timestamp) -> None:
    assert Timestamp.decode(stamp.encode()) == stamp


@PROPERTY
@given(a=timestamps, b=timestamps)
def test_hlc_encoded_string_order_is_timestamp_order(a: Timestamp, b: Timestamp) -> None:
    assert (a.encode() < b.encode()) == (a < b)
    assert (a.encode() == b.encode()) == (a == b)


def test_hlc_decode_refuses_text_that_is_not_a_timestamp() -> None:
    for text in ("", "yesterday", "000000000000001-zz-node", "-1-0000-node"):
        with pytest.raises(ValueError, match="not a hybrid logical clock timestamp"):
            Timestamp.decode(text)


@PROPERTY
@given(
    start=st.sampled_from(FIELD_STATUSES),
    taps_and_order=st.lists(st.sampled_from(list(JobEventType)), min_size=1, max_size=8).flatmap(
        lambda taps: st.tuples(st.just(taps), st.permutations(taps))
    ),
)
def test_status_after_any_order_of_the_same_taps_is_the_same_when_the_office_did_not_hold(
    start: JobStatus, taps_and_order: tuple[list[JobEventType], list[JobEventType]]
) -> None:
    taps, shuffled = taps_and_order
    final = _fold(start, taps)
    assert _fold(start, list(shuffled)) is final
    highest = max([start, *(JobStatus(t.value) for t in taps)], key=STATUS_RANK.__getitem__)
    assert final is highest


# --- the office's billing decision ------------------------------------------------------------------


def test_billing_is_the_engineers_until_the_office_decides_it() -> None:
    assert set(OFFICE_DECIDED) == {"billable", "billable_reason"}
    assert all(JOB_FIELD_RULES[f"job.{name}"].rule is Rule.FIELD_LWW for name in OFFICE_DECIDED)
    assert not office_decided("billable", _job())
    decided = _job(billing_override_at=T0.isoformat())
    assert office_decided("billable", decided) and office_decided("billable_reason", decided)
    assert not office_decided("cause", decided)


def test_after_the_office_decides_a_local_billing_edit_shows_the_office_value_and_the_rest_lands() -> None:
    decided = _job(billable=True, billable_reason="man_made", billing_override_at=T0.isoformat())
    doc = apply_locally(decided, _edit(billable=False, billable_reason="in_warranty", cause="叶轮磨损"))
    assert doc["billable"] is True and doc["billable_reason"] == "man_made"
    assert doc["cause"] == "叶轮磨损"
    undecided = apply_locally(_job(), _edit(billable=False, billable_reason="in_warranty"))
    assert undecided["billable"] is False and undecided["billable_reason"] == "in_warranty"


def test_merge_rules_doc_describes_the_office_billing_decision() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "## Office billing decision" in text
    assert "`office_override`" in text and "billing_override_at" in text
