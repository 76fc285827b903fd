"""The device side of sync as pure decisions: what to push next, how to apply a pulled page, what next.

No I/O here (requests in, instructions out, as in PowerSync's core): ``mobile/replica`` carries the
instructions out on SQLite and ``mobile/services/sync.py`` does the HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sync.merge import rebase
from sync.protocol import (
    Change,
    ChangeOp,
    Mutation,
    MutationName,
    MutationResult,
    Outcome,
    PullResponse,
    parse_cursor,
)


def next_push(pending: Sequence[Mutation], batch_size: int) -> list[Mutation]:
    """The next batch to push: the oldest unsent mutations, in the order they were made."""
    return sorted(pending, key=lambda m: m.client_seq)[:batch_size]


@dataclass(frozen=True, slots=True)
class Settlement:
    acknowledged: list[uuid.UUID]
    rejected: list[MutationResult]


def settle(results: Sequence[MutationResult]) -> Settlement:
    """Split push results: acknowledged ones leave the outbox; rejected ones are kept aside, visible."""
    return Settlement(
        acknowledged=[r.id for r in results if r.outcome is not Outcome.REJECTED],
        rejected=[r for r in results if r.outcome is Outcome.REJECTED],
    )


@dataclass(frozen=True, slots=True)
class JobUpsert:
    id: uuid.UUID
    server_doc: dict[str, Any]
    local_doc: dict[str, Any]


@dataclass
class PagePlan:
    """What to write for one pulled page; to be applied in one transaction with the cursor."""

    jobs: list[JobUpsert] = field(default_factory=list)
    job_removes: list[uuid.UUID] = field(default_factory=list)
    others: list[Change] = field(default_factory=list)
    cursor: str = ""
    epoch: str = ""
    download_done: bool = False


def plan_page(page: PullResponse, pending_by_job: Mapping[uuid.UUID, Sequence[Mutation]]) -> PagePlan:
    """Turn a page into writes, rebasing the device's pending work on every job it brings.

    A removed job is dropped from the replica, but its pending mutations stay in the outbox: they are
    pushed and recorded on the server (reassignment), never silently lost.
    """
    plan = PagePlan(cursor=page.cursor, epoch=page.epoch)
    for change in page.changes:
        if change.entity != "job":
            plan.others.append(change)
        elif change.op is ChangeOp.REMOVE:
            plan.job_removes.append(change.id)
        else:
            doc = change.data or {}
            local = rebase(doc, list(pending_by_job.get(change.id, ())))
            plan.jobs.append(JobUpsert(change.id, doc, local))
    _, _, after = parse_cursor(page.cursor)
    plan.download_done = after is None
    return plan


def ends_download(previous_cursor: str | None, plan: PagePlan) -> bool:
    """Whether applying ``plan`` ends a download, so that rows the download did not bring go.

    Rows are marked stale only when a fresh download begins (the cursor is dropped), so only a page
    that ends a download from no cursor, or from a cursor still inside a download, can leave any; a
    page of the change log never does.
    """
    if not plan.download_done:
        return False
    if previous_cursor is None:
        return True
    try:
        _, _, after = parse_cursor(previous_cursor)
    except ValueError:
        return True  # not a cursor we understand: sweep, as before
    return after is not None


class Step(StrEnum):
    PUSH = "push"
    PULL = "pull"
    RESYNC = "resync"
    DONE = "done"


@dataclass
class Round:
    """Where one sync round stands; :func:`next_step` says what to do next."""

    pushed: bool = False
    pending: int = 0
    last_page: PullResponse | None = None
    pulled_to_end: bool = False
    resyncs: int = 0


MAX_RESYNCS = 2


def next_step(state: Round) -> Step:
    """Push everything first, then pull to the end (restarting the download on resync), then push
    again whatever a resync left behind."""
    if not state.pushed:
        return Step.PUSH
    page = state.last_page
    if page is not None and page.resync_required and not state.pulled_to_end:
        return Step.RESYNC
    if not state.pulled_to_end:
        return Step.PULL
    return Step.PUSH if state.pending else Step.DONE


# --- van stock as the tablet believes it ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VanLine:
    """One part in the engineer's van: the server's figure at the last pull, and what the tablet believes.

    ``believed`` is ``synced`` less the units of this tablet's part uses the pulled figure does not yet
    count, plus the units of its voids it does not yet count. Either may be below zero: the books are
    short (a use beyond what the van held was recorded, and the warehouse was told).
    """

    part_id: str
    synced: int
    believed: int


@dataclass(frozen=True, slots=True)
class ServerUsage:
    """A part usage as the pulled job shows it."""

    part_id: str
    quantity: int
    voided: bool


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A part.use or part.void from the outbox; ``pending`` when not yet acknowledged by the server."""

    mutation: Mutation
    pending: bool


def believed_van_stock(
    synced: Mapping[str, int],
    outbox: Sequence[OutboxEntry],
    server_usages: Mapping[str, ServerUsage],
    jobs_on_device: Collection[str],
) -> dict[str, VanLine]:
    """What the van holds as far as this tablet knows, by part id.

    The pulled balance counts a use once the server has applied it; the tablet knows it has when the
    usage is in the pulled job (both come from one server transaction). So a use still waiting in the
    outbox is taken off, and so is one the server acknowledged but whose job was not pulled again yet;
    a void gives its units back on the same terms. Uses on jobs no longer on this device, refused uses
    (not in ``outbox``) and resends of a usage the server already has count nothing.
    """
    believed = {part: int(n) for part, n in synced.items()}
    counted: dict[str, tuple[str, int]] = {}  # usage id -> (part, quantity) taken off here
    for entry in sorted(outbox, key=lambda e: e.mutation.client_seq):
        m = entry.mutation
        usage_id = str(m.args.get("usage_id", ""))
        job_id = str(m.args.get("job_id", ""))
        if not entry.pending and job_id not in jobs_on_device:
            continue  # acknowledged work on a job that left the device: the balance is the server's word
        on_server = server_usages.get(usage_id)
        if m.name is MutationName.PART_USE:
            if on_server is not None:
                continue  # already counted in the pulled balance
            part, quantity = str(m.args.get("part_id", "")), int(m.args.get("quantity", 0))
            believed[part] = believed.get(part, 0) - quantity
            counted[usage_id] = (part, quantity)
        elif m.name is MutationName.PART_VOID:
            if usage_id in counted:
                part, quantity = counted.pop(usage_id)
            elif on_server is not None and not on_server.voided:
                part, quantity = on_server.part_id, on_server.quantity
            else:
                continue  # unknown usage, or the pulled job already shows the void
            believed[part] = believed.get(part, 0) + quantity
    return {
        part: VanLine(part, int(synced.get(part, 0)), n)
        for part, n in sorted(believed.items())
        if part in synced or n != 0
    }
