"""The device's sync state machine, as pure decisions (sync/client.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sync.client import PagePlan, Round, Step, ends_download, next_push, next_step, plan_page, settle
from sync.protocol import Change, ChangeOp, Mutation, MutationName, MutationResult, Outcome, PullResponse

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
JOB = uuid.UUID(int=7)


def _tap(seq: int, kind: str = "acknowledged") -> Mutation:
    return Mutation(
        id=uuid.uuid4(),
        client_seq=seq,
        name=MutationName.JOB_EVENT,
        args={"job_id": str(JOB), "event_id": str(uuid.uuid4()), "type": kind, "at": NOW.isoformat()},
        created_at=NOW,
    )


def _doc(status: str = "assigned") -> dict[str, object]:
    return {"id": str(JOB), "status": status, "version": 3, "events": [], "checklist": [], "parts": []}


def test_next_push_sends_the_oldest_taps_first_in_batches() -> None:
    taps = [_tap(3), _tap(1), _tap(2)]
    assert [m.client_seq for m in next_push(taps, 2)] == [1, 2]


def test_settle_keeps_rejections_aside_and_acknowledges_the_rest() -> None:
    ok, merged, bad = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    s = settle(
        [
            MutationResult(id=ok, outcome=Outcome.APPLIED),
            MutationResult(id=merged, outcome=Outcome.MERGED),
            MutationResult(id=bad, outcome=Outcome.REJECTED, reason="not_assigned"),
        ]
    )
    assert s.acknowledged == [ok, merged] and [r.id for r in s.rejected] == [bad]


def test_a_pulled_job_is_shown_with_the_devices_pending_taps_on_top() -> None:
    page = PullResponse(
        epoch="e",
        changes=[Change(entity="job", id=JOB, op=ChangeOp.PUT, data=_doc())],
        cursor="e:5",
        has_more=False,
    )
    plan = plan_page(page, {JOB: [_tap(1), _tap(2, "arrived")]})
    [job] = plan.jobs
    assert job.server_doc["status"] == "assigned" and job.local_doc["status"] == "arrived"
    assert plan.download_done and plan.cursor == "e:5"


def test_a_removed_job_leaves_the_replica_and_other_entities_pass_through() -> None:
    site = Change(entity="site", id=uuid.uuid4(), op=ChangeOp.PUT, data={"name": "城东排涝泵站"})
    page = PullResponse(
        epoch="e",
        changes=[Change(entity="job", id=JOB, op=ChangeOp.REMOVE), site],
        cursor=f"e:5:{uuid.uuid4()}",
        has_more=True,
    )
    plan = plan_page(page, {})
    assert plan.job_removes == [JOB] and plan.others == [site] and not plan.download_done


def test_a_round_pushes_then_pulls_to_the_end_then_pushes_what_a_resync_left() -> None:
    state = Round(pending=2)
    assert next_step(state) is Step.PUSH
    state.pushed, state.pending = True, 0
    assert next_step(state) is Step.PULL
    state.last_page = PullResponse(epoch="e", changes=[], cursor="", has_more=False, resync_required=True)
    assert next_step(state) is Step.RESYNC
    state.last_page = None
    assert next_step(state) is Step.PULL
    state.last_page = PullResponse(epoch="e", changes=[], cursor="e:9", has_more=False)
    state.pulled_to_end, state.pending = True, 1
    assert next_step(state) is Step.PUSH
    state.pending = 0
    assert next_step(state) is Step.DONE


def test_only_the_end_of_a_download_sweeps_rows_it_did_not_bring() -> None:
    """Rows go stale only when a fresh download begins (the cursor is dropped): the sweep runs when a
    download from no cursor, or from inside one, ends; never on a page of the change log, where it read
    every job of the replica for nothing."""

    def plan(cursor: str) -> PagePlan:
        return plan_page(PullResponse(epoch="e", changes=[], cursor=cursor, has_more=False), {})

    inside = f"e:5:{uuid.uuid4()}"
    assert ends_download(None, plan("e:5"))  # a download in one page
    assert ends_download(inside, plan("e:5"))  # the last page of a longer one
    assert ends_download("not a cursor", plan("e:5"))  # unknown: sweep, as before
    assert not ends_download(None, plan(inside))  # the download goes on
    assert not ends_download(inside, plan(f"e:5:{uuid.uuid4()}"))
    assert not ends_download("e:5", plan("e:9"))  # the change log
    assert not ends_download("e:5::mark", plan("e:9::mark"))
