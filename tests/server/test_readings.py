"""A checklist reading is a finite number (issue 13 item 13): NaN and infinity skipped the range check and
were stored as unanswered. Refused on the tablet before it is kept, and by the server however it is
spelt on the wire, on both databases."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime

import pytest

from mobile.app.screens.checklist import _number
from mobile.services.jobs import ActionError
from shared.ids import uuid7
from tests.conftest import DeviceFactory
from tests.support import World

#: JSON spellings of a non-finite number: Python's json writes NaN / Infinity, and 1e999 is valid JSON
#: that every float parser reads as infinity
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"]


async def _insulation(world: World, job_id: str) -> dict:
    r = await world.client.get(f"/api/jobs/{job_id}/form", headers=await world.login("qa"))
    assert r.status_code == 200, r.text
    return next(a for a in r.json()["checklist"] if a["item_code"] == "insulation")


@pytest.mark.parametrize("spelt", NON_FINITE)
async def test_the_server_refuses_a_non_finite_reading_however_it_is_spelt(world: World, spelt: str) -> None:
    job = await world.create_job(engineer="eng1")
    args = {
        "job_id": job["id"],
        "result_id": str(uuid7()),
        "item_code": "insulation",
        "value": "__VALUE__",
        "answered_at": datetime.now(UTC).isoformat(),
    }
    body = {
        "protocol": 1,
        "device_time": datetime.now(UTC).isoformat(),
        "mutations": [
            {
                "id": str(uuid7()),
                "client_seq": 1,
                "name": "checklist.answer",
                "args": args,
                "created_at": datetime.now(UTC).isoformat(),
            }
        ],
    }
    raw = json.dumps(body).replace('"__VALUE__"', spelt)
    headers = {**await world.login("eng1"), "content-type": "application/json"}
    r = await world.client.post("/api/sync/push", content=raw.encode(), headers=headers)
    if r.status_code == 200:  # parsed: the mutation is rejected, with the field named
        [result] = r.json()["results"]
        assert (result["outcome"], result["reason"]) == ("rejected", "invalid_args"), result
        assert "value" in result["message"]
    else:  # not JSON at all to the server: a problem details answer, never a 500
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    answer = await _insulation(world, job["id"])
    assert answer["answered_at"] is None and answer["value"] is None  # nothing stored


async def test_the_tablet_refuses_a_non_finite_reading_and_sends_nothing(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    device = await new_device("eng1")
    await device.sync()
    for typed in ("nan", "inf", "-inf", "1e999", "NaN"):
        assert _number(typed) is None  # the screen shows "enter the measured value (a number)"
    assert _number("12,5") == 12.5
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ActionError) as refused:
            device.actions.answer(job_id, "insulation", value=value)
        assert refused.value.code == "value_needed"
    assert device.runner.status.pending == 0
    device.actions.answer(job_id, "insulation", value=0.2)
    await device.sync()
    answer = await _insulation(world, job["id"])
    assert answer["value"] == 0.2 and answer["out_of_range"] is True


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_the_protocol_refuses_a_non_finite_reading_before_any_handler_sees_it(value: float) -> None:
    """The wire parser refuses NaN today; the protocol itself does too, for any other way in (a mutation
    read back from the outbox or the log, a future parser)."""
    from pydantic import ValidationError

    from sync.protocol import ChecklistAnswerArgs

    args = {
        "job_id": str(uuid.uuid4()),
        "result_id": str(uuid.uuid4()),
        "item_code": "insulation",
        "value": value,
        "answered_at": datetime.now(UTC).isoformat(),
    }
    with pytest.raises(ValidationError, match="finite"):
        ChecklistAnswerArgs.model_validate(args)
    assert ChecklistAnswerArgs.model_validate({**args, "value": 0.5}).value == 0.5
