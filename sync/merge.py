"""Merge rules for a job, as data and as pure functions used by both server and device.

``docs/merge-rules.md`` is this table in words; ``tests/sync/test_merge_rules.py`` mirrors it case by
case. The server decides (it is the only place both sides' values meet); the device uses the same
functions to show its pending work on top of the last pulled state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.enums import STATUS_RANK, JobEventType, JobStatus
from shared.paid_rules import QuoteStatus, line_amount, quote_totals, status_on_arrival
from sync.protocol import (
    ChecklistAnswerArgs,
    JobEditArgs,
    JobEventArgs,
    JobSignArgs,
    LoanLendArgs,
    LoanReturnArgs,
    Mutation,
    MutationName,
    PartUseArgs,
    PartVoidArgs,
    PhotoAddArgs,
    QuoteMakeArgs,
    wire_time,
)


class Rule(StrEnum):
    EVENT_LOG = "event_log"
    FIELD_LWW = "field_lww"
    APPEND_ONLY = "append_only"
    SERVER_OWNED = "server_owned"


@dataclass(frozen=True, slots=True)
class FieldRule:
    rule: Rule
    reason: str


_LWW = FieldRule(
    Rule.FIELD_LWW,
    "descriptive: the later arrival wins field by field; if the office changed the same field since the "
    "version the device saw, the losing value is kept in a conflict record",
)
_EVENTS = FieldRule(
    Rule.EVENT_LOG,
    "taps are append-only events with the device's time; status is the highest rank reached; an office "
    "hold or cancel is kept and the engineer's progress is recorded as a conflict",
)
_OWNED = FieldRule(
    Rule.SERVER_OWNED,
    "set by the office (dispatch, contract terms): a device write is rejected and recorded",
)
_APPEND = FieldRule(
    Rule.APPEND_ONLY,
    "rows with ids made on the device; never updated in place, removal is a void event",
)

#: entity.field -> rule. Every field a device can touch is listed; tests check the docs mirror this.
JOB_FIELD_RULES: dict[str, FieldRule] = {
    "job.status": _EVENTS,
    "job.acknowledged_at": _EVENTS,
    "job.departed_at": _EVENTS,
    "job.arrived_at": _EVENTS,
    "job.started_at": _EVENTS,
    "job.resolved_at": _EVENTS,
    "job.signed_off_at": _EVENTS,
    "job.symptom": _LWW,
    "job.cause": _LWW,
    "job.fix": _LWW,
    "job.notes": _LWW,
    "job.advice": _LWW,
    "job.billable": _LWW,  # until the office decides: see OFFICE_DECIDED
    "job.billable_reason": _LWW,
    "job.backup_lent": _LWW,
    "job.backup_note": _LWW,
    "job.acceptance": _LWW,
    "job.assigned_engineer_id": _OWNED,
    "job.severity": _OWNED,
    "job.respond_due_at": _OWNED,
    "job.onsite_due_at": _OWNED,
    "job.fix_due_at": _OWNED,
    "job.backup_due_at": _OWNED,
    "checklist_result.answer": _LWW,
    "job_part.row": _APPEND,
    "job_event.row": _APPEND,
    "job_photo.row": _APPEND,
    "job_loan.row": _APPEND,
    "job_quote.row": _APPEND,
}

EVENT_FIELD: dict[JobEventType, str] = {
    JobEventType.ACKNOWLEDGED: "acknowledged_at",
    JobEventType.DEPARTED: "departed_at",
    JobEventType.ARRIVED: "arrived_at",
    JobEventType.STARTED: "started_at",
    JobEventType.RESOLVED: "resolved_at",
    JobEventType.SIGNED_OFF: "signed_off_at",
}

OFFICE_HELD = frozenset({JobStatus.ON_HOLD, JobStatus.CANCELLED})
LWW_JOB_FIELDS = tuple(
    k.split(".", 1)[1]
    for k, v in JOB_FIELD_RULES.items()
    if v is _LWW and k.startswith("job.") and k != "job.acceptance"
)
SERVER_OWNED_JOB_FIELDS = tuple(k.split(".", 1)[1] for k, v in JOB_FIELD_RULES.items() if v is _OWNED)


#: ``field_lww`` job fields the office can take over (the 三包 billing decision): once the job carries the
#: marker field, the office's value stands; a device write of the field is not applied and is kept as a
#: conflict (``office_kept``, reason ``office_override``).
OFFICE_DECIDED: dict[str, str] = {
    "billable": "billing_override_at",
    "billable_reason": "billing_override_at",
}


def office_decided(name: str, job: Mapping[str, Any] | Any) -> bool:
    """Whether the office has taken field ``name`` over on ``job`` (a job document or a job row)."""
    marker = OFFICE_DECIDED.get(name)
    if marker is None:
        return False
    value = job.get(marker) if isinstance(job, Mapping) else getattr(job, marker, None)
    return value is not None


def rule_for(key: str) -> FieldRule:
    return JOB_FIELD_RULES[key]


@dataclass(frozen=True, slots=True)
class StatusDecision:
    status: JobStatus
    conflict: str | None  # why the device's progress did not move the status, if it did not


def status_after_event(current: JobStatus, event: JobEventType) -> StatusDecision:
    """The job's status after an engineer's tap arrives.

    The field progression only moves forward (highest rank wins, so taps arriving out of order or
    twice change nothing). An office hold or cancel, or a QA close, is not undone from the field.
    """
    target = JobStatus(event.value)
    if current in OFFICE_HELD:
        return StatusDecision(current, f"office_{current.value}")
    if current is JobStatus.CLOSED:
        return StatusDecision(current, "closed")
    if STATUS_RANK[target] > STATUS_RANK[current]:
        return StatusDecision(target, None)
    return StatusDecision(current, None)


def earliest(current: datetime | None, candidate: datetime) -> datetime:
    """Event times keep the first tap: a repeated tap does not move the recorded time."""
    return candidate if current is None or candidate < current else current


@dataclass(frozen=True, slots=True)
class FieldDecision:
    apply: bool
    conflict: bool


def decide_lww(
    device_value: Any,
    server_value: Any,
    server_field_version: int,
    base_version: int,
    *,
    same_writer: bool = False,
) -> FieldDecision:
    """Field-level last writer wins, judged against the version the device last saw.

    The device's value always lands (it is the later arrival). It is a conflict only when the
    server's value changed after the device's base version, by someone other than this device
    (``same_writer``: its own earlier offline edit is not a rival), and the two values differ.
    """
    if device_value == server_value:
        return FieldDecision(apply=False, conflict=False)
    return FieldDecision(apply=True, conflict=server_field_version > base_version and not same_writer)


# --- time plausibility -----------------------------------------------------------------------

MAX_CLOCK_OFFSET = timedelta(minutes=5)
FUTURE_TOLERANCE = timedelta(minutes=2)
BEFORE_CALL_TOLERANCE = timedelta(minutes=10)
MAX_AGE = timedelta(days=120)
#: Pushes closer together than this are one sync session (a long outbox goes in several batches).
SESSION_GAP = timedelta(minutes=10)
#: How far before the device's last contact a tap may be and still have been missed by it.
OFFLINE_TOLERANCE = timedelta(minutes=5)


def flag_event_time(
    at: datetime,
    *,
    device_time: datetime,
    received_at: datetime,
    call_received_at: datetime | None,
    offline_since: datetime | None = None,
) -> str:
    """Why a device-recorded time should not be trusted as is, or ``""``.

    ``device_time`` is the device's clock when it sent the push and ``received_at`` the server's clock
    then; their difference is the device clock's offset. ``offline_since`` is when the device's
    offline period began as the server saw it: its previous sync session (or its sign-in). A tap
    recorded before then should have come with that sync, so a time that far from the receipt time is
    not explained by the device having been offline.
    """
    offset = received_at - device_time
    if abs(offset) > MAX_CLOCK_OFFSET:
        minutes = round(abs(offset.total_seconds()) / 60)
        return f"device clock is {minutes} min {'fast' if offset < timedelta(0) else 'slow'}"
    if at > device_time + FUTURE_TOLERANCE:
        return "time is later than the device's clock when it synced"
    if call_received_at is not None and at < call_received_at - BEFORE_CALL_TOLERANCE:
        return "time is before the call was received"
    if offline_since is not None and at < offline_since - OFFLINE_TOLERANCE:
        return "time is before the device's previous sync, which did not carry it"
    if at < received_at - MAX_AGE:
        return "time is implausibly old"
    return ""


# --- the device's optimistic view ----------------------------------------------------------


def apply_locally(doc: dict[str, Any], mutation: Mutation) -> dict[str, Any]:
    """The job document as the engineer should see it with ``mutation`` applied on top.

    Used to rebase pending mutations on a freshly pulled document: the server will decide for real,
    this only shows the engineer's own work until it is acknowledged. Each mutation's view is picked
    by name from :data:`LOCAL_APPLY`, as the server picks its handler from ``HANDLERS``.
    """
    out = copy.deepcopy(doc)
    LOCAL_APPLY[mutation.name](out, mutation.parsed())
    return order_embedded(out)


def _event_locally(out: dict[str, Any], args: JobEventArgs) -> None:
    at = wire_time(args.at)
    events = out.setdefault("events", [])
    if not any(e["id"] == str(args.event_id) for e in events):
        events.append(
            {"id": str(args.event_id), "type": args.type.value, "device_time": at, "flagged": False}
        )
    field = EVENT_FIELD[args.type]
    current = out.get(field)
    out[field] = at if current is None or args.at < datetime.fromisoformat(current) else current
    decision = status_after_event(JobStatus(out["status"]), args.type)
    out["status"] = decision.status.value


def _edit_locally(out: dict[str, Any], args: JobEditArgs) -> None:
    for name, value in args.fields.model_dump(exclude_unset=True).items():
        if name in SERVER_OWNED_JOB_FIELDS or office_decided(name, out):
            continue
        out[name] = value.value if isinstance(value, StrEnum) else value


def _answer_locally(out: dict[str, Any], args: ChecklistAnswerArgs) -> None:
    answers = [a for a in out.setdefault("checklist", []) if a["item_code"] != args.item_code]
    previous = next((a for a in out["checklist"] if a["item_code"] == args.item_code), None)
    answers.append(
        {
            "id": str(previous["id"] if previous else args.result_id),
            "item_code": args.item_code,
            "result": args.result.value if args.result else None,
            "value": args.value,
            "note": args.note,
            "out_of_range": previous.get("out_of_range", False) if previous else False,
            "answered_at": wire_time(args.answered_at),
            "version": previous["version"] if previous else 0,
        }
    )
    out["checklist"] = answers


def _use_locally(out: dict[str, Any], args: PartUseArgs) -> None:
    parts = out.setdefault("parts", [])
    if not any(p["id"] == str(args.usage_id) for p in parts):
        parts.append(
            {
                "id": str(args.usage_id),
                "part_id": str(args.part_id),
                "quantity": args.quantity,
                "old_part_returned": args.old_part_returned,
                "used_at": wire_time(args.used_at),
                "voided_at": None,
            }
        )


def _void_locally(out: dict[str, Any], args: PartVoidArgs) -> None:
    for part in out.setdefault("parts", []):
        if part["id"] == str(args.usage_id) and part.get("voided_at") is None:
            part["voided_at"] = wire_time(args.at)


def _photo_locally(out: dict[str, Any], args: PhotoAddArgs) -> None:
    photos = out.setdefault("photos", [])
    if not any(p["id"] == str(args.photo_id) for p in photos):
        photos.append(
            {
                "id": str(args.photo_id),
                "filename": args.filename,
                "content_type": args.content_type,
                "caption": args.caption,
                "taken_at": wire_time(args.taken_at),
            }
        )


def _sign_locally(out: dict[str, Any], args: JobSignArgs) -> None:
    """The customer's acceptance, then the sign-off tap it carries (as the server adds it)."""
    out.update(
        acceptance_opinion=args.opinion,
        satisfaction=args.satisfaction,
        acceptance_comment=args.comment,
        signature=args.signature,
    )
    tap = {
        "job_id": str(args.job_id),
        "event_id": str(args.event_id),
        "type": JobEventType.SIGNED_OFF.value,
        "at": wire_time(args.signed_at),
    }
    _event_locally(out, JobEventArgs.model_validate(tap))


def _lend_locally(out: dict[str, Any], args: LoanLendArgs) -> None:
    """The loan as the tablet shows it until the server judges it (a refusal takes it away again)."""
    loans = out.setdefault("loans", [])
    if not any(loan["id"] == str(args.loan_id) for loan in loans):
        loans.append(
            {
                "id": str(args.loan_id),
                "unit_id": str(args.unit_id),
                "lent_at": wire_time(args.lent_at),
                "note": args.note,
                "returned_at": None,
                "condition": None,
                "return_note": "",
            }
        )
    out["backup_lent"] = True


def _return_locally(out: dict[str, Any], args: LoanReturnArgs) -> None:
    for loan in out.setdefault("loans", []):
        if loan["id"] == str(args.loan_id) and loan.get("returned_at") is None:
            loan.update(
                returned_at=wire_time(args.returned_at), condition=args.condition.value, return_note=args.note
            )


def _quote_locally(out: dict[str, Any], args: QuoteMakeArgs) -> None:
    """The quote as the tablet shows it until the server's figures come back with the next pull."""
    quotes = out.setdefault("quotes", [])
    if any(q["id"] == str(args.quote_id) for q in quotes):
        return
    lines = [
        {
            "kind": x.kind,
            "description": x.description,
            "part_id": str(x.part_id) if x.part_id else None,
            "quantity": x.quantity,
            "unit_price": x.unit_price,
            "amount": str(line_amount(Decimal(x.quantity), Decimal(x.unit_price))),
        }
        for x in args.lines
    ]
    totals = quote_totals(
        [(Decimal(x.quantity), Decimal(x.unit_price)) for x in args.lines], Decimal(args.discount_pct)
    )
    accepted = any(q.get("status") == QuoteStatus.ACCEPTED.value for q in quotes)
    status = status_on_device(signed=bool(args.signature), accepted_exists=accepted)
    quotes.append(
        {
            "id": str(args.quote_id),
            "lines": lines,
            "figures": {
                "discount_pct": args.discount_pct,
                "subtotal": str(totals.subtotal),
                "discount": str(totals.discount),
                "total": str(totals.total),
                "device_total": args.total,
            },
            "status": status,
            "review_reason": "after_acceptance" if accepted else "",
            "quoted_at": wire_time(args.quoted_at),
            "accepted_at": wire_time(args.accepted_at or args.quoted_at) if args.signature else None,
        }
    )


def status_on_device(*, signed: bool, accepted_exists: bool) -> str:
    return status_on_arrival(signed=signed, accepted_exists=accepted_exists, figures_differ=False).value


def _shipment_locally(out: dict[str, Any], args: Any) -> None:
    """A shipment's receipt is on no job: the tablet shows it from its outbox (mobile/app/screens/van.py)."""


#: mutation name -> its effect on the device's own view of the job document (changed in place).
LOCAL_APPLY: dict[MutationName, Callable[[dict[str, Any], Any], None]] = {
    MutationName.JOB_EVENT: _event_locally,
    MutationName.JOB_EDIT: _edit_locally,
    MutationName.CHECKLIST_ANSWER: _answer_locally,
    MutationName.PART_USE: _use_locally,
    MutationName.PART_VOID: _void_locally,
    MutationName.JOB_SIGN: _sign_locally,
    MutationName.PHOTO_ADD: _photo_locally,
    MutationName.LOAN_LEND: _lend_locally,
    MutationName.LOAN_RETURN: _return_locally,
    MutationName.QUOTE_MAKE: _quote_locally,
    MutationName.SHIPMENT_RECEIVE: _shipment_locally,
}


#: The order of every array embedded in a job document, the same from either database and on the
#: device's own view: keys compared as text (times are all in the one ``wire_time`` spelling, ids are
#: lowercase dashed UUIDs), so no database collation or storage order decides it.
EMBEDDED_ORDER: dict[str, tuple[str, ...]] = {
    "events": ("device_time", "id"),
    "checklist": ("item_code",),
    "parts": ("used_at", "id"),
    "photos": ("taken_at", "id"),
    "loans": ("lent_at", "id"),
    "quotes": ("quoted_at", "id"),
}


def order_embedded(doc: dict[str, Any]) -> dict[str, Any]:
    """Sort ``doc``'s embedded arrays in place by :data:`EMBEDDED_ORDER`; returns ``doc``."""
    for name, keys in EMBEDDED_ORDER.items():
        rows = doc.get(name)
        if isinstance(rows, list):
            rows.sort(key=lambda row: tuple(str(row.get(k) or "") for k in keys))
    return doc


def rebase(doc: dict[str, Any], pending: list[Mutation]) -> dict[str, Any]:
    """Apply the device's pending mutations, in order, on top of the server's document."""
    for mutation in pending:
        doc = apply_locally(doc, mutation)
    return doc
