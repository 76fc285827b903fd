"""The device side of sync as pure decisions: what to push next, how to apply a pulled page, what next.

No I/O here (requests in, instructions out, as in PowerSync's core): ``mobile/replica`` carries the
instructions out on SQLite and ``mobile/services/sync.py`` does the HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sync.merge import rebase
from sync.protocol import Change, ChangeOp, Mutation, MutationResult, Outcome, PullResponse, parse_cursor


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
