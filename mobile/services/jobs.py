"""What an engineer does to a job, as calls the UI makes; each one is kept locally first.

Ids and times are made here on the device (time from the injected clock), so a tap made offline keeps
the moment it happened.
"""

from __future__ import annotations

import base64
import math
import mimetypes
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mobile.replica.store import Replica
from shared.clock import utcnow
from shared.enums import STATUS_RANK, ChecklistItemKind, CheckResult, JobEventType, JobStatus
from shared.ids import uuid7
from shared.paid_rules import LABOUR_RATE, cents, quote_refusal, quote_totals
from sync.client import VanLine
from sync.protocol import MAX_PHOTO_B64, PHOTO_TYPES, Mutation, MutationName

# what the acceptance screen keeps on the device until the customer's signing is recorded
DRAFTS_OF_SIGNING = ("opinion", "comment", "satisfaction", "signature")


class ActionError(ValueError):
    """An action the engineer cannot take yet; ``code`` keys the UI's message catalogue."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class Refusal(dict[str, Any]):
    """An :class:`ActionError` parameter that is the server's refusal (its problem body, with ``code``
    and ``params``): worded when shown, in the language then (:func:`shared.refusals.refusal_text`)."""


class JobActions:
    def __init__(
        self,
        replica: Replica,
        clock: Callable[[], datetime] = utcnow,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.replica = replica
        self.clock = clock
        self.on_change = on_change or (lambda: None)

    def _job(self, job_id: uuid.UUID) -> dict[str, Any]:
        job = self.replica.job(job_id)
        if job is None:
            raise ActionError("no_job", "this job is no longer on this device")
        return job

    def _record(self, name: MutationName, args: dict[str, Any]) -> Mutation:
        mutation = self.replica.record(name, args)
        self.on_change()
        return mutation

    def template_for(self, job: dict[str, Any]) -> dict[str, Any] | None:
        """The job's own checklist when it names one (a scheduled inspection), else the template for its
        equipment category and kind, if there is one."""
        if job.get("checklist_template_id"):
            own = self.replica.reference("checklist_template", job["checklist_template_id"])
            if own is not None:
                return dict(own)
        if not job.get("equipment_id"):
            return None
        equipment = self.replica.reference("equipment", job["equipment_id"])
        if equipment is None:
            return None
        for template in self.replica.reference("checklist_template"):
            if template["category"] == equipment["category"] and template["job_kind"] == job["kind"]:
                return dict(template)
        return None

    def missing_required(self, job: dict[str, Any]) -> list[str]:
        """Codes of required checklist items still unanswered."""
        template = self.template_for(job)
        if template is None:
            return []
        answered = {
            a["item_code"] for a in job.get("checklist", []) if a.get("result") or a.get("value") is not None
        }
        return [i["code"] for i in template["items"] if i.get("required", True) and i["code"] not in answered]

    def tap(self, job_id: uuid.UUID, event: JobEventType) -> Mutation:
        """One tap on the timeline, stamped with the device's time now."""
        job = self._job(job_id)
        status = JobStatus(job["status"])
        if status is JobStatus.CANCELLED:
            raise ActionError("cancelled", "the office cancelled this job")
        if event is JobEventType.RESOLVED:
            missing = self.missing_required(job)
            if missing:
                raise ActionError(
                    "checklist_incomplete", "answer the required checklist items first", items=missing
                )
        if status in STATUS_RANK and STATUS_RANK[JobStatus(event.value)] <= STATUS_RANK[status]:
            raise ActionError("already_done", f"this job is already {status.value}")
        return self._record(
            MutationName.JOB_EVENT,
            {
                "job_id": str(job_id),
                "event_id": str(uuid7()),
                "type": event.value,
                "at": self.clock().isoformat(),
            },
        )

    def edit(self, job_id: uuid.UUID, **fields: Any) -> Mutation:
        job = self._job(job_id)
        server = self.replica.server_job(job_id) or job
        return self._record(
            MutationName.JOB_EDIT,
            {"job_id": str(job_id), "base_version": int(server.get("version", 0)), "fields": fields},
        )

    def answer(
        self,
        job_id: uuid.UUID,
        item_code: str,
        *,
        result: CheckResult | None = None,
        value: float | None = None,
        note: str = "",
        value_needed: bool = True,
    ) -> tuple[Mutation, bool]:
        """Answer one checklist item; returns the mutation and whether a reading is out of range.

        ``value_needed=False`` lets a measured item be written without a reading (its note alone).
        """
        job = self._job(job_id)
        template = self.template_for(job)
        item = None
        if template is not None:
            item = next((i for i in template["items"] if i["code"] == item_code), None)
            if item is None:
                raise ActionError("unknown_item", "this item is not on the checklist")
        if value is not None and not math.isfinite(value):
            raise ActionError("value_needed", "a reading is a finite number, not NaN or infinity")
        out_of_range = False
        if item is not None and item.get("kind") == ChecklistItemKind.MEASURE.value:
            if value is None and value_needed:
                raise ActionError("value_needed", "enter the measured value")
            low, high = item.get("min_value"), item.get("max_value")
            out_of_range = value is not None and (
                (low is not None and value < low) or (high is not None and value > high)
            )
        server = self.replica.server_job(job_id) or job
        previous = next((a for a in server.get("checklist", []) if a["item_code"] == item_code), None)
        mutation = self._record(
            MutationName.CHECKLIST_ANSWER,
            {
                "job_id": str(job_id),
                "result_id": previous["id"] if previous else str(uuid7()),
                "item_code": item_code,
                "result": result.value if result else None,
                "value": value,
                "note": note,
                "base_version": int(previous["version"]) if previous else 0,
                "answered_at": self.clock().isoformat(),
            },
        )
        return mutation, out_of_range

    def note_item(self, job_id: uuid.UUID, item_code: str, note: str) -> Mutation:
        """Write one checklist item's note, keeping its result and reading as this device holds them."""
        job = self._job(job_id)
        current = next((a for a in job.get("checklist", []) if a["item_code"] == item_code), None) or {}
        mutation, _flagged = self.answer(
            job_id,
            item_code,
            result=CheckResult(current["result"]) if current.get("result") else None,
            value=current.get("value"),
            note=note,
            value_needed=False,
        )
        return mutation

    def draft(self, job_id: uuid.UUID, name: str) -> str | None:
        """Text typed on this device for a job but not yet part of it (the customer's acceptance
        opinion before signing), kept so leaving the screen does not lose it."""
        return self.replica.get_meta(f"draft:{job_id}:{name}")

    def keep_draft(self, job_id: uuid.UUID, name: str, text: str | None) -> None:
        """Keep (or with None forget) a draft of ``name`` for this job on the device."""
        self.replica.set_meta(f"draft:{job_id}:{name}", text)

    # --- knowledge (offline) --------------------------------------------------------------------

    def model_of(self, job: dict[str, Any]) -> str | None:
        """The equipment model of a job, as the tablet knows its equipment."""
        equipment = (
            self.replica.reference("equipment", job["equipment_id"]) if job.get("equipment_id") else None
        )
        return str(equipment["model"]) if equipment and equipment.get("model") else None

    def search_cases(self, query: str, model: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Published cases on this tablet holding every word of ``query`` (Chinese or not), best first."""
        return self.replica.search_cases(query, model=model, limit=limit)

    def cases_for_job(self, job: dict[str, Any], limit: int = 5) -> list[dict[str, Any]]:
        """The cases of the job's model closest to its symptom (what the job's screen offers)."""
        model = self.model_of(job)
        if not model:
            return []
        return self.replica.cases_like(model, str(job.get("symptom") or ""), limit=limit)

    def manuals_for_job(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """The manuals and training materials of the job's model; ``kept`` says whether its file is here."""
        model = self.model_of(job)
        if not model:
            return []
        return [
            {**m, "kept": self.replica.manual_path(m["id"]) is not None} for m in self.replica.manuals(model)
        ]

    def van_stock(self) -> dict[str, VanLine]:
        """The van's parts by part id, as this tablet believes them (see ``Replica.van_stock``)."""
        return self.replica.van_stock()

    def in_van(self, part_id: uuid.UUID | str) -> int:
        """How many of this part the tablet believes are in the van (0 when it holds none)."""
        line = self.replica.van_stock().get(str(part_id))
        return line.believed if line is not None else 0

    def van_shortfall(self, part_id: uuid.UUID | str, quantity: int) -> int:
        """How many of ``quantity`` the van does not hold by this tablet's books (0 when it does).

        Using them is still allowed: the part was used on site. The server records the shortfall and
        tells the warehouse; the app only warns.
        """
        return max(0, quantity - max(self.in_van(part_id), 0))

    def use_part(
        self, job_id: uuid.UUID, part_id: uuid.UUID, quantity: int, old_part_returned: bool = False
    ) -> Mutation:
        """Record a part used on the job, taken from the van; never refused for want of van stock."""
        self._job(job_id)
        if quantity < 1:
            raise ActionError("bad_quantity", "quantity must be at least 1")
        return self._record(
            MutationName.PART_USE,
            {
                "job_id": str(job_id),
                "usage_id": str(uuid7()),
                "part_id": str(part_id),
                "quantity": quantity,
                "old_part_returned": old_part_returned,
                "used_at": self.clock().isoformat(),
                "believed_on_hand": self.in_van(part_id),
            },
        )

    def void_part(self, job_id: uuid.UUID, usage_id: uuid.UUID) -> Mutation:
        self._job(job_id)
        return self._record(
            MutationName.PART_VOID,
            {"job_id": str(job_id), "usage_id": str(usage_id), "at": self.clock().isoformat()},
        )

    def shipments(self) -> list[dict[str, Any]]:
        """Parts shipped to this engineer as last pulled (in transit first), each with its part's code,
        name and unit and ``receiving``: the receipt is recorded here, waiting to be sent or sent and
        not yet pulled back (between the two the shipment is still in transit in the replica, and its
        签收 button must not come back)."""
        waiting = {
            str(m.args.get("shipment_id")) for m in self.replica.not_refused(MutationName.SHIPMENT_RECEIVE)
        }
        out = []
        for shipment in self.replica.reference("shipment"):
            part = self.replica.reference("part", shipment["part_id"]) or {}
            out.append(
                {
                    **shipment,
                    "part_code": part.get("code", ""),
                    "part_name": part.get("name", ""),
                    "unit": part.get("unit", ""),
                    "receiving": shipment["id"] in waiting,
                }
            )
        return sorted(out, key=lambda s: (s["status"] != "in_transit", str(s.get("sent_at") or "")))

    def receive_shipment(self, shipment_id: uuid.UUID | str) -> Mutation:
        """The parts shipped to me arrived (签收): recorded now, offline; the server moves them from
        transit into the van when it gets the receipt."""
        shipment = self.replica.reference("shipment", shipment_id)
        if shipment is None or shipment.get("status") != "in_transit":
            raise ActionError("not_in_transit", "this shipment is not on its way to you")
        return self._record(
            MutationName.SHIPMENT_RECEIVE,
            {"shipment_id": str(shipment_id), "received_at": self.clock().isoformat()},
        )

    def backup_units(self) -> list[dict[str, Any]]:
        """The backup-equipment pool as last pulled, by category and serial number (备用设备)."""
        units = self.replica.reference("backup_unit")
        return sorted(units, key=lambda u: (str(u.get("category", "")), str(u.get("serial_no", ""))))

    def lend_unit(self, job_id: uuid.UUID, unit_id: uuid.UUID | str, note: str = "") -> Mutation:
        """Record a backup unit lent to the customer now. The server judges the unit: if another
        tablet's lend of it arrived first, this one comes back refused (``unit_out``) and is shown."""
        job = self._job(job_id)
        if self.replica.reference("backup_unit", unit_id) is None:
            raise ActionError("unknown_unit", "this unit is not in the backup pool")
        if any(
            loan["unit_id"] == str(unit_id) and loan.get("returned_at") is None
            for loan in job.get("loans", [])
        ):
            raise ActionError("already_lent", "this unit is already lent on this job")
        return self._record(
            MutationName.LOAN_LEND,
            {
                "job_id": str(job_id),
                "loan_id": str(uuid7()),
                "unit_id": str(unit_id),
                "lent_at": self.clock().isoformat(),
                "note": note,
            },
        )

    def return_unit(
        self, job_id: uuid.UUID, loan_id: uuid.UUID | str, condition: str = "good", note: str = ""
    ) -> Mutation:
        """Record the lent unit back from the customer now, in ``condition`` (good, worn, damaged)."""
        job = self._job(job_id)
        loan = next((x for x in job.get("loans", []) if x["id"] == str(loan_id)), None)
        if loan is None:
            raise ActionError("unknown_loan", "there is no such loan on this job")
        if loan.get("returned_at") is not None:
            raise ActionError("already_returned", "this unit is already back")
        mutation = self._record(
            MutationName.LOAN_RETURN,
            {
                "job_id": str(job_id),
                "loan_id": str(loan_id),
                "returned_at": self.clock().isoformat(),
                "condition": condition,
                "note": note,
            },
        )
        self.keep_draft(job_id, f"return_condition:{loan_id}", None)  # picked on the screen, now recorded
        return mutation

    def quote_lines(self, job_id: uuid.UUID, labour_hours: str, travel: str) -> list[dict[str, Any]]:
        """The lines of a paid repair's quote (有偿维修): labour hours at the labour rate, every part used on
        the job (not voided) at its list price, and the travel. Money and quantities are decimal text."""
        job = self._job(job_id)
        lines: list[dict[str, Any]] = []
        try:
            hours = Decimal(labour_hours or "0")
            trip = Decimal(travel or "0")
        except InvalidOperation:
            raise ActionError("bad_amount", "hours and travel are numbers") from None
        if not hours.is_finite() or not trip.is_finite() or hours < 0 or trip < 0 or hours > 999:
            raise ActionError("bad_amount", "hours and travel are numbers, not negative")
        if hours > 0:
            lines.append(
                {
                    "kind": "labour",
                    "description": "",
                    "quantity": str(cents(hours)),
                    "unit_price": str(LABOUR_RATE),
                }
            )
        used: dict[str, int] = {}
        for row in job.get("parts", []):
            if row.get("voided_at") is None:
                used[str(row["part_id"])] = used.get(str(row["part_id"]), 0) + int(row["quantity"])
        for part_id, quantity in used.items():
            part = self.replica.reference("part", part_id) or {}
            price = cents(Decimal(str(part.get("unit_price", 0))))
            lines.append(
                {
                    "kind": "part",
                    "description": f"{part.get('code', '')} {part.get('name', '')}".strip(),
                    "part_id": part_id,
                    "quantity": str(quantity),
                    "unit_price": str(price),
                }
            )
        if trip > 0:
            lines.append(
                {"kind": "travel", "description": "", "quantity": "1", "unit_price": str(cents(trip))}
            )
        return lines

    def quote_figures(self, job_id: uuid.UUID, lines: list[dict[str, Any]]) -> dict[str, str]:
        """Subtotal, the contract's discount and the total the tablet shows: the same rule the server
        recomputes with (``shared.paid.quote_totals``)."""
        job = self._job(job_id)
        pct = Decimal(str(job.get("repair_discount_pct") or "0"))
        totals = quote_totals([(Decimal(x["quantity"]), Decimal(x["unit_price"])) for x in lines], pct)
        return {
            "discount_pct": str(cents(pct)),
            "subtotal": str(totals.subtotal),
            "discount": str(totals.discount),
            "total": str(totals.total),
        }

    def make_quote(
        self, job_id: uuid.UUID, *, labour_hours: str, travel: str = "0", signature: str = ""
    ) -> Mutation:
        """Record the quote of a paid repair now, accepted by the customer when ``signature`` is given.

        Only a billable repair is quoted (the three-guarantee rules decided it); the server refuses the
        others too (``not_billable``) and recomputes the money with the price list."""
        job = self._job(job_id)
        if quote_refusal(job.get("billable")):
            raise ActionError("not_billable", "this repair is free: no quote")
        lines = self.quote_lines(job_id, labour_hours, travel)
        if not lines:
            raise ActionError("empty_quote", "add labour, parts or travel to the quote")
        money = self.quote_figures(job_id, lines)
        now = self.clock().isoformat()
        return self._record(
            MutationName.QUOTE_MAKE,
            {
                "job_id": str(job_id),
                "quote_id": str(uuid7()),
                "lines": lines,
                "discount_pct": money["discount_pct"],
                "total": money["total"],
                "quoted_at": now,
                "signature": signature,
                "accepted_at": now if signature else None,
            },
        )

    def add_photo(
        self,
        job_id: uuid.UUID,
        data: bytes,
        filename: str,
        content_type: str | None = None,
        caption: str = "",
    ) -> Mutation:
        """Keep a photo with the job: a copy beside the replica (for the app) and in the outbox (for the server)."""
        self._job(job_id)
        kind = content_type or mimetypes.guess_type(filename)[0] or ""
        if kind not in PHOTO_TYPES:
            raise ActionError(
                "photo_type", "only JPEG, PNG or WebP photos can be attached", filename=filename
            )
        if len(data) * 4 // 3 + 4 > MAX_PHOTO_B64:
            raise ActionError("photo_too_big", "this photo is too large; take it at a lower resolution")
        photo_id = uuid7()
        self.replica.save_photo(photo_id, data, filename)
        return self._record(
            MutationName.PHOTO_ADD,
            {
                "job_id": str(job_id),
                "photo_id": str(photo_id),
                "filename": filename,
                "content_type": kind,
                "data_b64": base64.b64encode(data).decode(),
                "caption": caption,
                "taken_at": self.clock().isoformat(),
            },
        )

    def sign(
        self, job_id: uuid.UUID, *, satisfaction: int, signature: str, opinion: str = "", comment: str = ""
    ) -> Mutation:
        job = self._job(job_id)
        if job.get("resolved_at") is None:
            raise ActionError("not_resolved", "resolve the job before the customer signs")
        if not signature:
            raise ActionError("no_signature", "the customer has not signed")
        mutation = self._record(
            MutationName.JOB_SIGN,
            {
                "job_id": str(job_id),
                "event_id": str(uuid7()),
                "opinion": opinion,
                "satisfaction": satisfaction,
                "comment": comment,
                "signature": signature,
                "signed_at": self.clock().isoformat(),
            },
        )
        # kept until the signing is recorded: a refused one leaves the drafts for the next try
        for name in DRAFTS_OF_SIGNING:
            self.keep_draft(job_id, name, None)
        return mutation
