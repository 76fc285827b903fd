"""A job's device document is the same whichever way it is read: a pull of a few jobs first asks which
kinds of children they have (``FEW_JOBS``) and reads only those, a first download's large pages read every
kind. Both are compared here on jobs with and without each kind, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from server.replication import documents
from server.replication.documents import job_documents
from shared.enums import CheckResult, JobEventType
from tests.conftest import DeviceFactory
from tests.support import World

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


async def test_a_few_jobs_read_only_the_children_they_have_and_the_same_documents(
    world: World, new_device: DeviceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    full, tapped, bare = [uuid.UUID((await world.create_job(engineer="eng1"))["id"]) for _ in range(3)]
    device = await new_device("eng1")
    await device.sync()
    device.actions.tap(full, JobEventType.ACKNOWLEDGED)
    device.actions.answer(full, "seal", result=CheckResult.FAULT, note="渗油")
    device.actions.use_part(full, world.part_id, 1)
    device.actions.add_photo(full, PNG, "现场.png", caption="叶轮")
    device.actions.tap(tapped, JobEventType.ACKNOWLEDGED)
    await device.sync()
    ids = [full, tapped, bare]
    async with world.app.state.sessionmaker() as s:
        few = await job_documents(s, ids)
        monkeypatch.setattr(documents, "FEW_JOBS", 0)  # as a first download's page reads them
        every_kind = await job_documents(s, ids)
    assert few == every_kind
    assert all(few[full][kind] for kind in ("events", "checklist", "parts", "photos"))
    assert few[tapped]["events"] and not few[tapped]["checklist"] and not few[tapped]["parts"]
    assert not any(few[bare][kind] for kind in ("events", "checklist", "parts", "photos", "loans", "quotes"))
