"""Van stock on the tablet: what it believes is in the van, the warning before using more, and the words
for a shortfall conflict. A real replica file; the pulled pages are built here as the server sends them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mobile.app.queries import JobQueries
from mobile.replica.store import Replica
from mobile.services.jobs import JobActions
from shared.i18n import translate
from shared.ids import uuid7
from sync.client import OutboxEntry, ServerUsage, VanLine, believed_van_stock
from sync.protocol import (
    Change,
    ChangeOp,
    Mutation,
    MutationName,
    MutationResult,
    Outcome,
    PullResponse,
    wire_time,
)
from ui.logic.explain import explain_conflict

EPOCH = "01980d2c-84ff-720a-b37d-692d3b313e93"
SEAL = str(uuid.uuid4())
BOLT = str(uuid.uuid4())
NOW = datetime(2026, 7, 14, 9, 0, tzinfo=UTC)


def _mutation(seq: int, name: MutationName, **args: Any) -> Mutation:
    return Mutation(id=uuid7(), client_seq=seq, name=name, args=args, created_at=NOW)


def _use(seq: int, job: str, usage: str, part: str, quantity: int) -> Mutation:
    return _mutation(
        seq,
        MutationName.PART_USE,
        job_id=job,
        usage_id=usage,
        part_id=part,
        quantity=quantity,
        used_at=NOW.isoformat(),
    )


def _void(seq: int, job: str, usage: str) -> Mutation:
    return _mutation(seq, MutationName.PART_VOID, job_id=job, usage_id=usage, at=NOW.isoformat())


# --- the rule, pure ----------------------------------------------------------------------------------


def test_unsent_uses_come_off_and_unsent_voids_go_back() -> None:
    job, u1, u2 = (str(uuid.uuid4()) for _ in range(3))
    outbox = [
        OutboxEntry(_use(1, job, u1, SEAL, 2), pending=True),
        OutboxEntry(_use(2, job, u2, BOLT, 5), pending=True),
        OutboxEntry(_void(3, job, u1), pending=True),
    ]
    lines = believed_van_stock({SEAL: 3}, outbox, {}, {job})
    assert lines == {SEAL: VanLine(SEAL, 3, 3), BOLT: VanLine(BOLT, 0, -5)}


def test_an_acknowledged_use_counts_until_the_pulled_job_shows_it() -> None:
    job, usage = str(uuid.uuid4()), str(uuid.uuid4())
    acked = [OutboxEntry(_use(1, job, usage, SEAL, 1), pending=False)]
    # pushed and acknowledged, the pull has not come back yet: the synced 3 does not count it
    assert believed_van_stock({SEAL: 3}, acked, {}, {job})[SEAL] == VanLine(SEAL, 3, 2)
    # the pull brought the job with the usage, and the balance that counts it
    pulled = {usage: ServerUsage(SEAL, 1, voided=False)}
    assert believed_van_stock({SEAL: 2}, acked, pulled, {job})[SEAL] == VanLine(SEAL, 2, 2)
    # the job left the device (reassigned): the server's figure is all there is
    assert believed_van_stock({SEAL: 3}, acked, {}, set())[SEAL] == VanLine(SEAL, 3, 3)


def test_a_void_gives_back_only_what_the_books_still_count() -> None:
    job, usage = str(uuid.uuid4()), str(uuid.uuid4())
    used_on_server = {usage: ServerUsage(SEAL, 2, voided=False)}
    void = [OutboxEntry(_void(5, job, usage), pending=True)]
    assert believed_van_stock({SEAL: 1}, void, used_on_server, {job})[SEAL].believed == 3
    voided_on_server = {usage: ServerUsage(SEAL, 2, voided=True)}
    assert believed_van_stock({SEAL: 3}, void, voided_on_server, {job})[SEAL].believed == 3
    unknown = [OutboxEntry(_void(5, job, str(uuid.uuid4())), pending=True)]
    assert believed_van_stock({SEAL: 1}, unknown, used_on_server, {job})[SEAL].believed == 1


def test_a_resent_use_the_server_already_has_counts_once() -> None:
    job, usage = str(uuid.uuid4()), str(uuid.uuid4())
    resend = [OutboxEntry(_use(1, job, usage, SEAL, 1), pending=True)]
    assert (
        believed_van_stock({SEAL: 4}, resend, {usage: ServerUsage(SEAL, 1, False)}, {job})[SEAL].believed == 4
    )


def test_parts_the_van_never_held_and_nothing_used_are_not_listed() -> None:
    assert believed_van_stock({}, [], {}, set()) == {}
    assert believed_van_stock({SEAL: 0}, [], {}, set()) == {SEAL: VanLine(SEAL, 0, 0)}


# --- on a real replica ---------------------------------------------------------------------------------


def _job_doc(job_id: str, parts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": job_id,
        "number": "WO-202607-00001",
        "kind": "repair",
        "severity": "general",
        "status": "arrived",
        "customer_id": str(uuid.uuid4()),
        "site_id": str(uuid.uuid4()),
        "equipment_id": None,
        "assigned_engineer_id": str(uuid.uuid4()),
        "symptom": "机械密封漏水",
        "caller_name": "",
        "call_received_at": wire_time(NOW),
        "fix_due_at": None,
        "version": 3,
        "events": [],
        "checklist": [],
        "parts": parts or [],
        "photos": [],
    }


def _page(seq: int, *changes: Change) -> PullResponse:
    return PullResponse(epoch=EPOCH, changes=list(changes), cursor=f"{EPOCH}:{seq}", has_more=False)


def _put(entity: str, data: dict[str, Any]) -> Change:
    return Change.model_validate({"entity": entity, "id": data["id"], "op": ChangeOp.PUT, "data": data})


def _balance(balance_id: str, part: str, quantity: int) -> Change:
    return _put(
        "van_stock", {"id": balance_id, "part_id": part, "quantity": quantity, "updated_at": wire_time(NOW)}
    )


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    r = Replica(tmp_path / "device.db", clock=lambda: NOW)
    yield r
    r.close()


def test_the_replica_believes_pulled_stock_less_its_own_unsent_work(replica: Replica) -> None:
    job_id, seal_row = str(uuid.uuid4()), str(uuid.uuid4())
    catalogue = [
        _put("part", {"id": SEAL, "code": "P-DP-001", "name": "机械密封", "unit": "套", "unit_price": 380.0}),
        _put("part", {"id": BOLT, "code": "P-DP-009", "name": "地脚螺栓", "unit": "个", "unit_price": 4.0}),
    ]
    replica.apply_pull(_page(10, *catalogue, _balance(seal_row, SEAL, 2), _put("job", _job_doc(job_id))))
    actions = JobActions(replica, clock=lambda: NOW)
    assert actions.in_van(SEAL) == 2 and actions.in_van(BOLT) == 0

    used = actions.use_part(uuid.UUID(job_id), uuid.UUID(SEAL), 1)
    assert used.args["believed_on_hand"] == 2  # sent along, so a shortfall can show it
    assert replica.van_stock()[SEAL] == VanLine(SEAL, 2, 1)
    assert actions.van_shortfall(SEAL, 1) == 0
    assert actions.van_shortfall(SEAL, 3) == 2  # the app warns, and still lets them save
    short = actions.use_part(uuid.UUID(job_id), uuid.UUID(SEAL), 3)
    assert short.args["believed_on_hand"] == 1
    assert replica.van_stock()[SEAL].believed == -2
    assert actions.van_shortfall(BOLT, 1) == 1

    # the first is acknowledged; the second refused (it will never reach the books)
    replica.apply_push_results(
        [
            MutationResult(id=used.id, outcome=Outcome.APPLIED),
            MutationResult(id=short.id, outcome=Outcome.REJECTED, reason="unknown_part"),
        ]
    )
    assert replica.van_stock()[SEAL] == VanLine(SEAL, 2, 1)  # acknowledged, not pulled yet
    usage = {
        "id": used.args["usage_id"],
        "part_id": SEAL,
        "quantity": 1,
        "old_part_returned": False,
        "used_at": wire_time(NOW),
        "voided_at": None,
    }
    replica.apply_pull(_page(11, _balance(seal_row, SEAL, 1), _put("job", _job_doc(job_id, [usage]))))
    assert replica.van_stock()[SEAL] == VanLine(SEAL, 1, 1)

    actions.void_part(uuid.UUID(job_id), uuid.UUID(used.args["usage_id"]))
    assert replica.van_stock()[SEAL] == VanLine(SEAL, 1, 2)

    rows = JobQueries(replica).van_rows()
    assert [(r.code, r.name, r.unit, r.synced, r.believed, r.unsent) for r in rows] == [
        ("P-DP-001", "机械密封", "套", 1, 2, -1)
    ]
    view = JobQueries(replica).job_view(job_id)
    assert view is not None and view.van[SEAL].believed == 2


def test_a_fresh_download_replaces_the_van_rows(replica: Replica) -> None:
    old_row, new_row = str(uuid.uuid4()), str(uuid.uuid4())
    replica.apply_pull(_page(5, _balance(old_row, BOLT, 4)))
    replica.begin_resync()
    replica.apply_pull(_page(9, _balance(new_row, SEAL, 1)))
    assert replica.van_stock() == {SEAL: VanLine(SEAL, 1, 1)}


# --- words -----------------------------------------------------------------------------------------------


def test_the_warning_before_saving_says_what_the_books_hold_in_both_languages() -> None:
    zh = translate("zh-CN", "app.parts.short_warning", n=1, qty=3, unit="套")
    en = translate("en", "app.parts.short_warning", n=1, qty=3, unit="set")
    assert "1 套" in zh and "3 套" in zh and "仓库" in zh
    assert "holds 1 set" in en and "recording 3" in en and "still save" in en


def test_a_shortfall_conflict_is_explained_in_words() -> None:
    conflict = {
        "id": str(uuid.uuid4()),
        "entity": "van_stock",
        "entity_id": str(uuid.uuid4()),
        "job_id": str(uuid.uuid4()),
        "field": "quantity",
        "device_value": {"part_id": SEAL, "used": 2, "believed": 1},
        "server_value": {"on_hand": 1},
        "resolution": "recorded_short",
        "reason": "insufficient_stock",
        "status": "open",
    }
    en = explain_conflict("en", conflict, "WO-1", part_names={SEAL: "Mechanical seal"})
    assert en.startswith("Job WO-1: you used 2 of “Mechanical seal” but the van had 1 by the books")
    assert "warehouse has been told" in en and "quantity" not in en and "insufficient_stock" not in en
    zh = explain_conflict("zh-CN", conflict, "WO-1", part_names={SEAL: "机械密封"})
    assert "用了 2 个「机械密封」" in zh and "只有 1 个" in zh and "已通知仓库" in zh
    already_short = {**conflict, "server_value": {"on_hand": -3}, "status": "accepted"}
    text = explain_conflict("en", already_short, "WO-1")  # no name known: never the raw field
    assert "had 0 by the books" in text and SEAL[:8] in text
    assert translate("en", "enum.conflict_status.accepted") in text
