"""Knowledge cases and manuals through real sync (SQLite and PostgreSQL): the published cases of the
equipment models in an engineer's jobs reach their tablet, and no others; a draft never does; a case
published or withdrawn later follows at the next sync; a job of a new model brings that model's cases;
and the tablet finds them offline in Chinese, with two-character words and longer ones."""

from __future__ import annotations

import uuid

from tests.conftest import DeviceFactory
from tests.server.test_knowledge_api import MODEL, _pdf, closed_job, new_equipment
from tests.support import World

OTHER_MODEL = "GF-50 柴油发电机组"


async def _published(world: World, job_id: str, **edits: str) -> dict[str, str]:
    qa = await world.login("qa")
    r = await world.client.post("/api/knowledge/cases", json={"job_id": job_id}, headers=qa)
    assert r.status_code == 201, r.text
    case = r.json()
    if edits:
        r = await world.client.patch(f"/api/knowledge/cases/{case['id']}", json=edits, headers=qa)
        assert r.status_code == 200, r.text
    r = await world.client.post(f"/api/knowledge/cases/{case['id']}/publish", headers=qa)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_cases_reach_the_tablet_for_its_models_only_and_are_searched_offline(
    world: World, new_device: DeviceFactory
) -> None:
    generator = await new_equipment(world, OTHER_MODEL, "GF50-001")
    leak = await _published(world, await closed_job(world, engineer="eng2"), title="机械密封漏油")
    hot = await _published(
        world,
        await closed_job(
            world, engineer="eng2", equipment_id=generator, symptom="发电机组运行半小时后水温过高报警"
        ),
        cause="散热器外部被杂物堵塞",
        fix="清洗散热器并更换风扇皮带",
    )
    qa = await world.login("qa")
    draft = (
        await world.client.post(
            "/api/knowledge/cases",
            json={"job_id": await closed_job(world, engineer="eng2", symptom="水泵启动后出水量不足")},
            headers=qa,
        )
    ).json()
    manual = (
        await world.client.post(
            "/api/knowledge/manuals",
            params={"model": MODEL, "title": "QSZ-1500 使用说明书"},
            content=_pdf(),
            headers={**qa, "Content-Type": "application/pdf"},
        )
    ).json()

    await world.create_job(engineer="eng1")  # eng1 works on a QSZ-1500 pump only
    tablet = await new_device("eng1")
    await tablet.sync()
    ids = {c["id"] for c in tablet.replica.reference("case")}
    assert ids == {leak["id"]}  # not the generator's case, not the draft
    assert [m["id"] for m in tablet.replica.manuals()] == [manual["id"]]

    tablet.offline()  # search needs no network
    assert [c["id"] for c in tablet.replica.search_cases("漏油")] == [leak["id"]]  # two characters: LIKE
    assert [c["id"] for c in tablet.replica.search_cases("机械密封")] == [leak["id"]]  # four: the index
    assert [c["id"] for c in tablet.replica.search_cases("密封 油室进水")] == [leak["id"]]  # both words
    assert tablet.replica.search_cases("散热器") == []  # the other model's case is not here
    assert tablet.replica.search_cases("出水量") == []  # a draft is not here
    [offered] = tablet.replica.cases_like(MODEL, "水泵漏油")
    assert offered["id"] == leak["id"]
    tablet.online()

    # Published later: it follows at the next sync; a withdrawn case leaves the tablet.
    r = await world.client.post(f"/api/knowledge/cases/{draft['id']}/publish", headers=qa)
    assert r.status_code == 200, r.text
    r = await world.client.post(f"/api/knowledge/cases/{leak['id']}/unpublish", headers=qa)
    assert r.status_code == 200, r.text
    await tablet.sync()
    assert {c["id"] for c in tablet.replica.reference("case")} == {draft["id"]}
    assert [c["id"] for c in tablet.replica.search_cases("出水量")] == [draft["id"]]
    assert tablet.replica.search_cases("漏油") == []

    # A job on the generator brings the generator's cases with it.
    await world.create_job(engineer="eng1", equipment_id=str(generator))
    await tablet.sync()
    assert {c["id"] for c in tablet.replica.reference("case")} == {draft["id"], hot["id"]}
    assert [c["id"] for c in tablet.replica.search_cases("水温", model=OTHER_MODEL)] == [hot["id"]]
    assert tablet.replica.search_cases("水温", model=MODEL) == []

    # A manual deleted in the office leaves the tablet.
    assert (
        await world.client.delete(f"/api/knowledge/manuals/{manual['id']}", headers=qa)
    ).status_code == 204
    await tablet.sync()
    assert tablet.replica.manuals() == []

    # eng2, whose (closed) jobs were on both models, holds the published cases of both.
    other = await new_device("eng2")
    await other.sync()
    assert uuid.UUID(hot["id"]) in {uuid.UUID(c["id"]) for c in other.replica.reference("case")}
