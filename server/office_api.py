"""What the OpenAPI schema says about the office's job actions and conflict review (issue 12 item 8).

Litestar names an operation after its handler (``AssignJob``) and documents only the errors every
operation shares (``server/openapi.py``). An outside team writing an office client needs to know what
each action does to the job and to the engineer's device, who may call it, and which refusals are
specific to it; ``server.openapi.complete_schema`` writes these into the schema.
``tests/server/test_office_api_docs.py`` fails when an operation under ``/api/jobs`` or
``/api/conflicts`` is missing here, or a code documented here is not answered by the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DISPATCH = "Dispatcher, manager or administrator."
QA = "QA, manager or administrator."
REVIEW = "Manager, QA, dispatcher or administrator (the warehouse: van stock conflicts only)."
DEVICE = (
    "The change is logged for the assigned engineer's device, which gets the whole job at its next pull "
    "(an office change bumps the job's `version`)."
)


@dataclass(frozen=True)
class OfficeOperation:
    summary: str
    description: str
    #: status code -> when the server answers it, beyond the 400/401/403/404 every operation has
    errors: dict[str, str] = field(default_factory=dict)


OFFICE_OPERATIONS: dict[tuple[str, str], OfficeOperation] = {
    ("post", "/api/jobs"): OfficeOperation(
        "Open a job for a customer's call",
        "The service desk records a call as a job (status `new`, or `assigned` when `assigned_engineer_id` "
        "is given) with deadlines from the most specific promise (severity x equipment category x job "
        "kind) of the customer's contract in force on the call's date, else the customer's SLA policy "
        "for the severity, else the default policy. " + DISPATCH,
        {
            "422": "The customer, site or equipment does not exist or they do not belong together; the "
            "engineer is unknown or disabled; `call_received_at` is in the future (`field` names it).",
        },
    ),
    ("get", "/api/jobs"): OfficeOperation(
        "List jobs",
        "Jobs newest first, filtered by status, engineer, customer, search text and dates; an engineer "
        "sees only their own. Any signed-in user.",
        {"422": "`received_from` or `received_to` has no time zone (`field` names it)."},
    ),
    ("get", "/api/jobs/{job_id}"): OfficeOperation(
        "One job with its customer, site, equipment and engineer",
        "The job as the office sees it. Any signed-in user who may see the job.",
    ),
    ("get", "/api/jobs/{job_id}/signatures"): OfficeOperation(
        "Every customer signature a job received",
        "Oldest first, each with who sent it, when it was signed and received; `standing` marks the one "
        "the job holds. A second signing never destroys the first: both are here and in the "
        "`signed_twice` conflict, whose override chooses one. Any signed-in user who may see the job.",
    ),
    ("patch", "/api/jobs/{job_id}"): OfficeOperation(
        "Edit a job's office fields",
        "Changes `severity` (the SLA deadlines are computed again), `symptom`, `caller_name` or "
        "`caller_phone`; fields left out or null stay as they are, an unchanged value changes nothing. "
        "Send `base_version`, the job `version` the office saw: an edit of a field changed since is "
        "refused instead of overwriting it. The engineer's own fields (`cause`, `fix`, checklist, parts) "
        "are changed through the conflict review, not here. " + DEVICE + " " + DISPATCH,
        {
            "409": "A field of the edit changed after `base_version`: nothing is applied; the answer "
            "carries the job's `version` and the `current` values of the contested fields.",
        },
    ),
    ("get", "/api/jobs/{job_id}/manager-decision"): OfficeOperation(
        "The manager's decision on a job",
        "The form's 公司领导处理意见 with who wrote it and when, or null while there is none. "
        "Any office role.",
    ),
    ("put", "/api/jobs/{job_id}/manager-decision"): OfficeOperation(
        "Record the manager's decision on a job",
        "Writes the form's 公司领导处理意见 (reward, penalty, follow-up) with the manager and the time; "
        "writing it again replaces the text, and the audit trail keeps the one before. The printed "
        "form shows it. Office only: the engineer's device does not get it. Manager only.",
        {"409": "The job is not resolved, signed off or closed yet: a decision judges finished work."},
    ),
    ("post", "/api/jobs/{job_id}/assign"): OfficeOperation(
        "Assign or reassign a job to an engineer",
        "Sets the engineer (a `new` job becomes `assigned`) and remembers every engineer who held it, with "
        "the `reason` given (optional, at most 200 characters; see the assignment history). On a "
        "reassignment the job leaves the previous engineer's device with a `remove` at their next pull; "
        "work they still push for it is applied and recorded as a `reassigned` conflict. " + DISPATCH,
        {
            "409": "The job is closed or cancelled: it cannot be assigned.",
            "422": "No engineer with that id, or the engineer is disabled (`field`: `engineer_id`).",
        },
    ),
    ("get", "/api/jobs/{job_id}/assignments"): OfficeOperation(
        "A job's assignment history",
        "Who had the job, oldest first: each engineer with the time they were given it and the time it "
        "left them (null while they have it), who assigned it and why (`reason`, as sent with the "
        "assignment; empty when none was given). Any office role; an engineer for their own jobs only "
        "(another's job is a 404).",
        {"404": "No job with that id, or not one of the engineer's own jobs."},
    ),
    ("post", "/api/jobs/{job_id}/hold"): OfficeOperation(
        "Put a job on hold",
        "The job becomes `on_hold` with the office's `reason` (shown to the engineer as `office_reason`). "
        "The engineer's taps still land as events and times but do not move the status (outcome "
        "`merged`, reason `office_on_hold`). " + DEVICE + " " + DISPATCH,
        {"409": "The job is closed or cancelled, or already on hold."},
    ),
    ("post", "/api/jobs/{job_id}/resume"): OfficeOperation(
        "Resume a job that was on hold",
        "The status is computed again from the recorded tap times (the highest tap that has a time, else "
        "`assigned` or `new`), so progress made offline while the job was held shows; `office_reason` is "
        "cleared. " + DEVICE + " " + DISPATCH,
        {"409": "The job is not on hold."},
    ),
    ("post", "/api/jobs/{job_id}/cancel"): OfficeOperation(
        "Cancel a job",
        "The job becomes `cancelled` with the office's `reason`, for good (there is no job delete). The "
        "engineer's later taps are stored but do not move the status (`office_cancelled`), and the app "
        "refuses new taps on it. " + DEVICE + " " + DISPATCH,
        {"409": "The job is already closed or cancelled."},
    ),
    ("post", "/api/jobs/{job_id}/approve"): OfficeOperation(
        "Approve a job's service form (QA close)",
        "The job becomes `closed` with QA's note; a repair, installation or training gets its return visit "
        "planned. " + DEVICE + " " + QA,
        {
            "409": "The job is not resolved or signed off, or its form lacks what approval needs "
            "(required checklist answers, the customer's signature or satisfaction; `missing` names them).",
        },
    ),
    ("post", "/api/jobs/{job_id}/return"): OfficeOperation(
        "Return a service form to the engineer",
        "The job reopens as `started` with QA's reason in `qa_note`, keeping the recorded times; "
        "`qa_returns` counts the returns. " + DEVICE + " " + QA,
        {"409": "The job is not resolved or signed off."},
    ),
    ("post", "/api/jobs/{job_id}/billing"): OfficeOperation(
        "Decide whether a job is billed (overrule the field's proposal)",
        "Sets `billable` and `billable_reason` with a note and marks the decision "
        "(`billing_override_by/at/note`); from then on a device's edit of those fields is not applied and "
        "is kept as an `office_override` conflict. " + DEVICE + " " + QA,
        {"409": "The job was cancelled: there is nothing to bill."},
    ),
    ("get", "/api/jobs/{job_id}/form"): OfficeOperation(
        "The service form of a job",
        "Job, timeline (every event with its `id`, device time, receipt time and clock flag), checklist "
        "with the template's items, parts, photos (metadata) and QA's verdict, as QA reviews it. "
        "Manager, QA, dispatcher or administrator.",
    ),
    ("get", "/api/jobs/{job_id}/form.pdf"): OfficeOperation(
        "The printable service form (PDF)",
        "The service form on A4 with the customer's signature, Chinese by default (`lang`), times in the "
        "installation's time zone. Manager, QA, dispatcher or administrator.",
    ),
    ("get", "/api/conflicts"): OfficeOperation(
        "The conflict review queue",
        "Conflicts newest first, `open` ones by default (`status=` empty lists every status), by job, "
        "engineer or entity. " + REVIEW,
    ),
    ("post", "/api/conflicts/{conflict_id}/accept"): OfficeOperation(
        "Accept a conflict's automatic resolution",
        "Closes the conflict as `accepted` with the reviewer's note; the engineer's device gets the "
        "reviewed conflict at its next pull. " + REVIEW,
        {"409": "The conflict was already accepted or overridden."},
    ),
    ("post", "/api/conflicts/{conflict_id}/override"): OfficeOperation(
        "Override a conflict: set the contested value",
        "Sets a descriptive job field or a checklist answer to `value`, or for a `signed_twice` conflict "
        'chooses the signature that stands (`{"signature_id": ...}`), as an office change, and closes '
        "the conflict as `overridden`. " + DEVICE + " Manager, QA, dispatcher or administrator.",
        {
            "409": "The conflict was already reviewed; its field cannot be overridden (status, "
            "assignment, server-owned fields, billing, van stock); or the value that won was changed again "
            "since (`current` holds the value that stands: accept instead).",
            "422": "The value does not fit the field, or names no signature of the job (`field`: `value`).",
        },
    ),
}
