"""The office's searches (``?q=`` on jobs, customers, equipment and the contact register).

The job search finds a job by what a dispatcher or QA reviewer types: its number, symptom or caller, and
its customer's and site's names and its equipment's model and serial number, as the QA screen's hint says
(工单号、客户、现场、设备或故障); it found none of the last four. Every search ignores case on both
databases (SQLite's LIKE did for ASCII, PostgreSQL's did not), and what is typed is text: a "%" or "_"
matched every row (``server.paging.has_text``)."""

from __future__ import annotations

import pytest

from tests.support import World

SEARCHED = ("/api/jobs", "/api/customers", "/api/equipment", "/api/contacts")


async def test_a_job_is_found_by_its_customer_site_equipment_or_its_own_text(world: World) -> None:
    dispatcher = await world.login("dispatcher")
    here = await world.create_job(symptom="叶轮磨损", caller_name="王主任")
    there = await world.create_job(
        customer_id=str(world.other_customer_id),
        site_id=str(world.other_site_id),
        equipment_id=None,
        symptom="发电机无法启动 50%负荷",
        caller_name="李科长",
    )

    async def found(q: str) -> set[str]:
        r = await world.client.get("/api/jobs", params={"q": q}, headers=dispatcher)
        assert r.status_code == 200, r.text
        return {job["id"] for job in r.json()["items"]}

    assert await found("临川区") == {here["id"]}  # the customer's name
    assert await found("防汛办") == {there["id"]}
    assert await found("城东排涝") == {here["id"]}  # the site's name
    assert await found("物资仓库") == {there["id"]}
    assert await found("QSZ-1500") == {here["id"]}  # the equipment's model
    assert await found("dp-0001") == {here["id"]}  # its serial number, in any case
    assert await found(here["number"].lower()) == {here["id"]}
    assert await found("叶轮") == {here["id"]} and await found("李科长") == {there["id"]}
    # what is typed is text: "%" and "_" are not patterns that match every job
    assert await found("50%") == {there["id"]}
    assert await found("%") == {there["id"]}
    assert await found("_") == set()
    assert await found("没有这个词") == set()


async def test_an_engineer_searching_finds_only_their_own_jobs(world: World) -> None:
    mine = await world.create_job(engineer="eng1")
    await world.create_job(engineer="eng2")
    r = await world.client.get("/api/jobs", params={"q": "临川区"}, headers=await world.login("eng1"))
    assert r.status_code == 200, r.text
    assert [job["id"] for job in r.json()["items"]] == [mine["id"]]


@pytest.mark.parametrize("path", SEARCHED)
async def test_a_percent_or_underscore_typed_is_text_not_a_pattern(world: World, path: str) -> None:
    await world.create_job()  # a job, its call in the register, and the world's customers and pump
    office = await world.login("dispatcher")
    everything = await world.client.get(path, headers=office)
    assert everything.status_code == 200 and everything.json()["total"] > 0, everything.text
    for typed in ("%", "_", "%%", "\\"):
        r = await world.client.get(path, params={"q": typed}, headers=office)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 0, (typed, r.json()["items"])


async def test_equipment_is_found_by_its_serial_number_in_any_case(world: World) -> None:
    office = await world.login("dispatcher")
    for typed in ("DP-0001", "dp-0001", "qsz-1500"):
        r = await world.client.get("/api/equipment", params={"q": typed}, headers=office)
        assert [unit["serial_no"] for unit in r.json()["items"]] == ["DP-0001"], (typed, r.text)
