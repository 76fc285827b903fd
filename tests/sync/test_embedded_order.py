"""Every array embedded in a job document has one defined order, the same on both databases and on
every tablet (issue 12 items 4 and 7; docs/sync-protocol.md, "Order of embedded arrays")."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.enums import CheckResult
from shared.ids import uuid7
from tests.conftest import DeviceFactory
from tests.support import World
from tests.sync.test_sync_flows import PNG  # one that decodes: the server decodes every photo

#: the documented order (docs/sync-protocol.md), spelled out here rather than read from the code
ORDER = {
    "events": ("device_time", "id"),
    "checklist": ("item_code",),
    "parts": ("used_at", "id"),
    "photos": ("taken_at", "id"),
}


def _m(seq: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid7()),
        "client_seq": seq,
        "name": name,
        "args": args,
        "created_at": datetime.now(UTC).isoformat(),
    }


async def test_parts_checklist_photos_and_events_come_in_one_order_everywhere(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = job["id"]
    same = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(minutes=40)).isoformat()
    # Ids made in descending order, so storage (insertion) order is the reverse of id order.
    ids = sorted((str(uuid.uuid4()) for _ in range(9)), reverse=True)
    mutations = [
        _m(1, "job.event", {"job_id": job_id, "event_id": ids[0], "type": "arrived", "at": same}),
        _m(2, "job.event", {"job_id": job_id, "event_id": ids[1], "type": "acknowledged", "at": same}),
        _m(3, "job.event", {"job_id": job_id, "event_id": ids[2], "type": "departed", "at": earlier}),
        *[
            _m(
                4 + i,
                "part.use",
                {
                    "job_id": job_id,
                    "usage_id": ids[3 + i],
                    "part_id": str(world.part_id),
                    "quantity": 1,
                    "used_at": at,
                },
            )
            for i, at in enumerate((same, same, earlier))
        ],
        _m(
            7,
            "checklist.answer",
            {
                "job_id": job_id,
                "result_id": str(uuid7()),
                "item_code": "seal",
                "result": "ok",
                "answered_at": earlier,
            },
        ),
        _m(
            8,
            "checklist.answer",
            {
                "job_id": job_id,
                "result_id": str(uuid7()),
                "item_code": "insulation",
                "value": 20.0,
                "answered_at": same,
            },
        ),
        *[
            _m(
                9 + i,
                "photo.add",
                {
                    "job_id": job_id,
                    "photo_id": ids[6 + i],
                    "filename": f"p{i}.png",
                    "content_type": "image/png",
                    "data_b64": base64.b64encode(PNG + bytes([i])).decode(),
                    "taken_at": same,
                },
            )
            for i in range(2)
        ],
    ]
    r = await world.client.post(
        "/api/sync/push",
        json={"protocol": 1, "device_time": datetime.now(UTC).isoformat(), "mutations": mutations},
        headers=await world.login("eng1", "raw tablet"),
    )
    assert r.status_code == 200, r.text
    assert {x["outcome"] for x in r.json()["results"]} <= {"applied", "merged"}, r.text

    first, second = await new_device("eng1", "tablet 1"), await new_device("eng1", "tablet 2")
    await first.sync()
    await second.sync()
    one = first.replica.server_job(uuid.UUID(job_id))
    two = second.replica.server_job(uuid.UUID(job_id))
    for name, keys in ORDER.items():
        got = [row["id"] for row in one[name]]
        assert got == [row["id"] for row in two[name]], name
        expected = sorted(one[name], key=lambda row, keys=keys: tuple(str(row[k]) for k in keys))
        assert got == [row["id"] for row in expected], (name, one[name])
    # What the order means, spelled out: by time, then by id; the checklist by item code.
    assert one["events"][0]["type"] == "departed"
    assert [e["id"] for e in one["events"]][1:] == sorted([ids[0], ids[1]])
    assert [p["id"] for p in one["parts"]] == [ids[5], *sorted([ids[3], ids[4]])]
    assert [a["item_code"] for a in one["checklist"]] == ["insulation", "seal"]
    assert [p["id"] for p in one["photos"]] == sorted([ids[6], ids[7]])
    # A pending answer on the device keeps the same order in its own view.
    first.offline()
    first.actions.answer(uuid.UUID(job_id), "noise", result=CheckResult.OK)
    local = first.replica.job(uuid.UUID(job_id))
    assert [a["item_code"] for a in local["checklist"]] == ["insulation", "noise", "seal"]
