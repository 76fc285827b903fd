"""What the screens read, assembled from the replica: the job list rows and one job with its context.

Screens never touch the replica (or SQL) themselves; they call these and render the result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from mobile.replica.store import Rejection, Replica
from shared.warranty import WarrantyState, warranty_state
from sync.client import VanLine
from ui.logic.grouping import JobRow, Names, build_rows


@dataclass(frozen=True)
class VanRow:
    """One part in the van as the screens show it."""

    part_id: str
    code: str
    name: str
    unit: str
    synced: int
    believed: int

    @property
    def unsent(self) -> int:
        """Units this tablet used (net of voids) that the synced figure does not count yet."""
        return self.synced - self.believed


@dataclass
class JobView:
    """One job with everything its screen shows."""

    job: dict[str, Any]
    customer: dict[str, Any]
    site: dict[str, Any]
    equipment: dict[str, Any] | None
    template: dict[str, Any] | None
    history: list[dict[str, Any]]
    parts_catalogue: list[dict[str, Any]]
    part_names: dict[str, dict[str, Any]]
    pending: int
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    van: dict[str, VanLine] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(self.job["id"])

    def warranty(self, today: date) -> WarrantyState:
        end = (self.equipment or {}).get("warranty_end")
        return warranty_state(date.fromisoformat(end) if end else None, today)

    def item_labels(self, lang: str) -> dict[str, str]:
        items = (self.template or {}).get("items", [])
        key = "label_zh" if lang == "zh-CN" else "label_en"
        return {i["code"]: i.get(key) or i["code"] for i in items}


class JobQueries:
    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    def names(self) -> Names:
        equipment = self.replica.reference("equipment")
        return Names(
            customers={c["id"]: c.get("name", "") for c in self.replica.reference("customer")},
            sites={s["id"]: s.get("name", "") for s in self.replica.reference("site")},
            equipment={e["id"]: f"{e.get('model', '')} {e.get('serial_no', '')}".strip() for e in equipment},
            equipment_category={e["id"]: e.get("category", "") for e in equipment},
        )

    def job_rows(self, now: datetime, tz: tzinfo | None = None) -> list[JobRow]:
        """Every job on the device as a list row, with its SLA clock at ``now``."""
        return build_rows(self.replica.job_summaries(), self.names(), self.replica.pending_by_job(), now, tz)

    def job_view(self, job_id: uuid.UUID | str, template_for: Any = None) -> JobView | None:
        jid = uuid.UUID(str(job_id))
        job = self.replica.job(jid)
        if job is None:
            return None
        equipment = (
            self.replica.reference("equipment", job["equipment_id"]) if job.get("equipment_id") else None
        )
        category = (equipment or {}).get("category")
        parts = self.replica.reference("part")
        history = [
            j
            for j in (self.replica.jobs_on_equipment(job["equipment_id"]) if equipment else [])
            if j["id"] != job["id"]
        ]
        conflicts = [c for c in self.replica.conflicts() if c.get("job_id") == job["id"]]
        rejections = [r for r in self.replica.rejections() if str(r.mutation.job_id()) == job["id"]]
        return JobView(
            job=job,
            customer=self.replica.reference("customer", job["customer_id"]) or {},
            site=self.replica.reference("site", job["site_id"]) or {},
            equipment=equipment,
            template=template_for(job) if template_for else None,
            history=history,
            parts_catalogue=sorted(
                (p for p in parts if not category or category in (p.get("categories") or [])),
                key=lambda p: p.get("code", ""),
            ),
            part_names={p["id"]: p for p in parts},
            pending=self.replica.pending_by_job().get(job["id"], 0),
            conflicts=conflicts,
            rejections=rejections,
            van=self.replica.van_stock(),
        )

    def van_rows(self) -> list[VanRow]:
        """The parts in my van (with a balance, or used here beyond it), by part code."""
        parts = self.part_names()
        rows = []
        for part_id, line in self.replica.van_stock().items():
            part = parts.get(part_id, {})
            rows.append(
                VanRow(
                    part_id=part_id,
                    code=str(part.get("code") or part_id[:8]),
                    name=str(part.get("name") or part_id[:8]),
                    unit=str(part.get("unit") or ""),
                    synced=line.synced,
                    believed=line.believed,
                )
            )
        return sorted(rows, key=lambda r: r.code)

    def part_names(self) -> dict[str, dict[str, Any]]:
        """The pulled parts catalogue by part id."""
        return {p["id"]: p for p in self.replica.reference("part")}

    def job_numbers(self) -> dict[str, str]:
        return {s["id"]: s.get("number") or "" for s in self.replica.job_summaries()}

    def conflicts(self) -> list[dict[str, Any]]:
        return self.replica.conflicts()

    def rejections(self) -> list[Rejection]:
        return self.replica.rejections()

    def item_labels(self, lang: str) -> dict[str, str]:
        """Checklist item labels by code, over every template (conflicts name items by code)."""
        key = "label_zh" if lang == "zh-CN" else "label_en"
        out: dict[str, str] = {}
        for template in self.replica.reference("checklist_template"):
            for item in template.get("items", []):
                out.setdefault(item["code"], item.get(key) or item["code"])
        return out

    def photo_bytes(self, photo_id: str) -> bytes | None:
        path = self.replica.photo_path(photo_id)
        return path.read_bytes() if path else None

    def dismiss_rejection(self, mutation_id: uuid.UUID) -> None:
        self.replica.dismiss_rejection(mutation_id)
