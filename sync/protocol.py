"""Wire messages of the sync protocol, versioned, with their validators beside them.

Both the server and the device import these; ``docs/sync-protocol.md`` describes every field.
A message with an unknown ``protocol`` is refused with a readable reason instead of being guessed at.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from shared.acceptance import MAX_SIGNATURE_CHARS as MAX_SIGNATURE_CHARS  # part of the wire too
from shared.enums import BillableReason, CheckResult, JobEventType
from shared.loan_rules import ReturnCondition

PROTOCOL_VERSION = 1
MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 2000
MAX_CLIENT_SEQ = 2**63 - 1  # stored in a 64-bit column; a larger number was a 500, now the batch's 400
#: A busy server's ``Retry-After`` (503) is at most this many seconds; a device waits it out times a
#: random factor from 1 to ``RETRY_JITTER`` so the refused do not come back in step.
MAX_RETRY_AFTER_S = 60
RETRY_JITTER = 1.5
#: Seconds the server keeps an idle connection: longer than the longest wait a refused device may take
#: (60 s x 1.5), so it comes back on the connection it has instead of all the refused reconnecting at
#: once. A client closes its idle connections a little before this (``CLIENT_KEEP_ALIVE_S``), so it never
#: reuses one the server is closing.
SERVER_KEEP_ALIVE_S = 100
CLIENT_KEEP_ALIVE_S = SERVER_KEEP_ALIVE_S - 5


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Text = Annotated[str, StringConstraints(max_length=4000)]


def _fits_utc(value: datetime) -> datetime:
    """The server keeps times in UTC: one that cannot be written in UTC is refused, not a 500.

    The very first and last instants are refused too: PostgreSQL's driver stores them as -infinity
    and infinity, which no longer read back as times.
    """
    try:
        utc = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None
    if utc in (datetime.min, datetime.max):
        raise ValueError("the time is out of range once converted to UTC")
    return value


#: A time with a UTC offset, such as the server can store (not 9999-12-31T23:59-14:00).
Time = Annotated[AwareDatetime, AfterValidator(_fits_utc)]


class MutationName(StrEnum):
    """The named mutations a device may send; each has its own argument model and server handler."""

    JOB_EVENT = "job.event"
    JOB_EDIT = "job.edit"
    CHECKLIST_ANSWER = "checklist.answer"
    PART_USE = "part.use"
    PART_VOID = "part.void"
    JOB_SIGN = "job.sign"
    PHOTO_ADD = "photo.add"
    LOAN_LEND = "loan.lend"
    LOAN_RETURN = "loan.return"
    QUOTE_MAKE = "quote.make"
    SHIPMENT_RECEIVE = "shipment.receive"


class JobEventArgs(Strict):
    """A tap on the timeline (acknowledge, depart, arrive, start, resolve), with the device's time."""

    job_id: uuid.UUID
    event_id: uuid.UUID
    type: JobEventType
    at: Time


class JobEditFields(Strict):
    """Descriptive fields an engineer may change; leave out what was not touched."""

    symptom: Text = ""
    cause: Text = ""
    fix: Text = ""
    notes: Text = ""
    #: the engineer's maintenance advice (维护建议), written on inspection jobs
    advice: Text = ""
    billable: bool | None = None
    billable_reason: BillableReason | None = None
    backup_lent: bool = False
    backup_note: Text = ""
    # Server-owned; accepted on the wire only so that a device write is recorded, then rejected.
    assigned_engineer_id: uuid.UUID | None = None
    severity: str | None = None
    respond_due_at: Time | None = None
    onsite_due_at: Time | None = None
    fix_due_at: Time | None = None
    backup_due_at: Time | None = None


class JobEditArgs(Strict):
    job_id: uuid.UUID
    base_version: Annotated[int, Field(ge=0, description="the job version the device last pulled")]
    fields: JobEditFields


class ChecklistAnswerArgs(Strict):
    job_id: uuid.UUID
    result_id: uuid.UUID
    item_code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    result: CheckResult | None = None
    #: a reading is a finite number: NaN or infinity would pass every range check unflagged
    value: Annotated[float, Field(allow_inf_nan=False)] | None = None
    note: Text = ""
    base_version: Annotated[int, Field(ge=0, description="version of this answer last pulled; 0 if new")] = 0
    answered_at: Time


class PartUseArgs(Strict):
    job_id: uuid.UUID
    usage_id: uuid.UUID
    part_id: uuid.UUID
    quantity: Annotated[int, Field(ge=1, le=999)]
    old_part_returned: bool = False
    used_at: Time
    # Optional: how many the tablet believed its van held when the part was used (shown on a
    # shortfall conflict). Leave it out when unknown; version 1 servers accept both.
    believed_on_hand: Annotated[int, Field(ge=-999_999, le=999_999)] | None = None


class PartVoidArgs(Strict):
    job_id: uuid.UUID
    usage_id: uuid.UUID
    at: Time


class JobSignArgs(Strict):
    """The customer's acceptance: opinion, satisfaction and a signature drawn on the device."""

    job_id: uuid.UUID
    event_id: uuid.UUID
    opinion: Text = ""
    satisfaction: Annotated[int, Field(ge=1, le=5)]
    comment: Text = ""
    signature: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SIGNATURE_CHARS)]
    signed_at: Time


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_B64 = 6 * 1024 * 1024  # about 4.5 MB of image: phones' photos are scaled down before this


class PhotoAddArgs(Strict):
    """A photo taken or picked on the device, sent with its bytes so it arrives with the work it shows."""

    job_id: uuid.UUID
    photo_id: uuid.UUID
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data_b64: Annotated[str, StringConstraints(min_length=4, max_length=MAX_PHOTO_B64)]
    caption: Text = ""
    taken_at: Time


class LoanLendArgs(Strict):
    """A backup unit lent to the customer on this job (备用设备), with the device's time of lending."""

    job_id: uuid.UUID
    loan_id: uuid.UUID
    unit_id: uuid.UUID
    lent_at: Time
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class LoanReturnArgs(Strict):
    """The lent unit came back from the customer: when, and in what condition."""

    job_id: uuid.UUID
    loan_id: uuid.UUID
    returned_at: Time
    condition: ReturnCondition = ReturnCondition.GOOD
    note: Annotated[str, StringConstraints(max_length=500)] = ""


#: money and quantities travel as decimal text, never as a float: "1234.50", "2", "0.5"
MoneyText = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$")]
QuantityText = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}(\.[0-9]{1,2})?$")]
PercentText = Annotated[str, StringConstraints(pattern=r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$")]


class QuoteLineArgs(Strict):
    """One line of a quote: labour (hours × rate), a part (quantity × list price) or the travel."""

    kind: Literal["labour", "part", "travel"]
    description: Annotated[str, StringConstraints(max_length=200)] = ""
    part_id: uuid.UUID | None = None
    quantity: QuantityText
    unit_price: MoneyText


class QuoteMakeArgs(Strict):
    """A quote for a paid repair (有偿维修) made on the tablet, with the customer's acceptance signature
    when the customer accepted it there. The server recomputes the money with the price list and the
    contract's discount (``shared.paid.quote_totals``); ``total`` is what the tablet showed."""

    job_id: uuid.UUID
    quote_id: uuid.UUID
    lines: Annotated[list[QuoteLineArgs], Field(min_length=1, max_length=40)]
    discount_pct: PercentText
    total: MoneyText
    quoted_at: Time
    signature: Annotated[str, StringConstraints(max_length=MAX_SIGNATURE_CHARS)] = ""
    accepted_at: Time | None = None


class ShipmentReceiveArgs(Strict):
    """Parts shipped to this engineer arrived (备件发运签收): they move from transit into the van."""

    shipment_id: uuid.UUID
    received_at: Time


ARGS_MODELS: dict[MutationName, type[Strict]] = {
    MutationName.JOB_EVENT: JobEventArgs,
    MutationName.JOB_EDIT: JobEditArgs,
    MutationName.CHECKLIST_ANSWER: ChecklistAnswerArgs,
    MutationName.PART_USE: PartUseArgs,
    MutationName.PART_VOID: PartVoidArgs,
    MutationName.JOB_SIGN: JobSignArgs,
    MutationName.PHOTO_ADD: PhotoAddArgs,
    MutationName.LOAN_LEND: LoanLendArgs,
    MutationName.LOAN_RETURN: LoanReturnArgs,
    MutationName.QUOTE_MAKE: QuoteMakeArgs,
    MutationName.SHIPMENT_RECEIVE: ShipmentReceiveArgs,
}

MutationArgs = (
    JobEventArgs
    | JobEditArgs
    | ChecklistAnswerArgs
    | PartUseArgs
    | PartVoidArgs
    | JobSignArgs
    | PhotoAddArgs
    | LoanLendArgs
    | LoanReturnArgs
    | QuoteMakeArgs
    | ShipmentReceiveArgs
)


class Mutation(Strict):
    """One user action recorded on a device, sent until the server has stored its outcome."""

    id: uuid.UUID = Field(description="UUIDv7 made on the device; the idempotency key")
    client_seq: Annotated[
        int, Field(ge=1, le=MAX_CLIENT_SEQ, description="the device's running number, gap-free")
    ]
    name: MutationName
    args: dict[str, Any]
    hlc: Annotated[str, StringConstraints(max_length=64)] = ""
    created_at: Time

    def parsed(self) -> MutationArgs:
        """The arguments validated against this mutation's model; raises ``ValidationError``."""
        return ARGS_MODELS[self.name].model_validate(self.args)  # type: ignore[return-value]

    def job_id(self) -> uuid.UUID | None:
        raw = self.args.get("job_id")
        try:
            return uuid.UUID(str(raw)) if raw is not None else None
        except ValueError:
            return None


def describe_validation_error(exc: ValidationError) -> str:
    """One readable line for the first few problems in ``exc``."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "value"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class ProtocolMismatch(Exception):
    """A request that names a sync protocol version this code does not speak.

    Not a ``ValueError``: pydantic lets it through instead of folding it into a validation error, so
    the server answers the readable 422 "update the app" before judging the rest of the body.
    """

    def __init__(self, sent: int) -> None:
        super().__init__(
            f"this server speaks sync protocol {PROTOCOL_VERSION}, the app sent {sent}: update the app"
        )
        self.sent = sent


class Envelope(BaseModel):
    """A push or pull request: the version is compared first, then the body checked strictly.

    A newer app's body may carry fields or shapes version 1 does not know; it gets the version's
    answer (``ProtocolMismatch``, 422), not a list of validation errors. Within version 1 an unknown
    field is refused like anywhere else in the protocol (400).
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _version_first(cls, data: Any) -> Any:
        if isinstance(data, dict):
            sent = data.get("protocol", PROTOCOL_VERSION)
            if isinstance(sent, int) and not isinstance(sent, bool) and sent != PROTOCOL_VERSION:
                raise ProtocolMismatch(sent)
        return data


class PushRequest(Envelope):
    protocol: int = PROTOCOL_VERSION
    device_time: Time = Field(description="the device clock when sending; gives the clock offset")
    mutations: Annotated[list[Mutation], Field(max_length=MAX_PUSH_BATCH)]


class Outcome(StrEnum):
    APPLIED = "applied"  # applied as sent
    MERGED = "merged"  # applied; something the office did meanwhile was kept beside it
    CONFLICT = "conflict"  # applied in part; a value lost and is kept for review
    REJECTED = "rejected"  # not applied; ``reason`` says why and will not change on resend


class MutationResult(Strict):
    id: uuid.UUID
    outcome: Outcome
    reason: str = ""
    message: str = ""
    conflict_ids: list[uuid.UUID] = []


class PushResponse(Strict):
    protocol: int = PROTOCOL_VERSION
    results: list[MutationResult]
    clock_offset_ms: int = Field(description="server receipt time minus device_time")
    server_seq: int = Field(description="the newest change-log number at the end of the push")


class PullRequest(Envelope):
    protocol: int = PROTOCOL_VERSION
    cursor: str | None = Field(default=None, description="as returned by the last pull; null to start")
    limit: Annotated[int, Field(ge=1, le=MAX_PULL_LIMIT)] = 500


EntityName = Literal[
    "job",
    "customer",
    "site",
    "equipment",
    "checklist_template",
    "part",
    "conflict",
    "van_stock",
    "backup_unit",
    "shipment",
    "case",
    "manual",
]


class ChangeOp(StrEnum):
    PUT = "put"
    REMOVE = "remove"


class Change(Strict):
    entity: EntityName
    id: uuid.UUID
    op: ChangeOp
    data: dict[str, Any] | None = None


class ResyncCode(StrEnum):
    """Why the server asks for a fresh download."""

    BAD_CURSOR = "bad_cursor"  # not a cursor this server made
    NEW_EPOCH = "new_epoch"  # the data was restored or replaced
    AHEAD_OF_LOG = "ahead_of_log"  # the cursor is past the log: restored from a backup
    TOO_OLD = "too_old"  # offline longer than the change log is kept

    @property
    def server_restored(self) -> bool:
        """The server may have lost work it once acknowledged: the device sends its recent work again."""
        return self in (ResyncCode.NEW_EPOCH, ResyncCode.AHEAD_OF_LOG)


class PullResponse(Strict):
    protocol: int = PROTOCOL_VERSION
    epoch: str
    changes: list[Change]
    cursor: str = Field(description="pass back on the next pull")
    has_more: bool
    resync_required: bool = False
    reason: str = ""
    resync_code: ResyncCode | None = Field(
        default=None, description="why a fresh download is needed; server_restored means re-send recent work"
    )


class WaitResponse(Strict):
    seq: int = Field(description="newest change-log number that concerns this device")


def wire_time(moment: datetime) -> str:
    """A time as documents carry it: UTC, always with microseconds and a ``Z``.

    One spelling everywhere, so that the device's own view and the server's agree character for
    character and times sort as strings.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_cursor(cursor: str) -> tuple[str, int, str | None]:
    """Split ``epoch:seq`` (incremental) or ``epoch:seq:after_id`` (initial download) into parts.

    A server may add a fourth part, the mark of the log at ``seq`` (``epoch:seq::mark`` or
    ``epoch:seq:after_id:mark``, see :func:`cursor_mark`); an empty ``after_id`` means none."""
    parts = cursor.split(":")
    if len(parts) not in (2, 3, 4) or not parts[1].isdigit():
        raise ValueError(f"malformed cursor {cursor!r}")
    return parts[0], int(parts[1]), (parts[2] or None) if len(parts) >= 3 else None


def cursor_mark(cursor: str) -> str | None:
    """The log mark a cursor carries (None for a cursor made before marks existed)."""
    parts = cursor.split(":")
    return parts[3] if len(parts) == 4 and parts[3] else None


def make_cursor(epoch: str, seq: int, after_id: str | None = None, mark: str | None = None) -> str:
    if mark is not None:
        return f"{epoch}:{seq}:{after_id or ''}:{mark}"
    return f"{epoch}:{seq}" if after_id is None else f"{epoch}:{seq}:{after_id}"
