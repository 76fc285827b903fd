"""The form's 公司领导处理意见 (issue 16 part 5) through HTTP on both databases: only the manager records
it, only on finished work, with who and when; the service form and its printed PDF show it."""

from __future__ import annotations

from shared.refusals import refusal_text
from tests.pdf import pdf_text, squeezed
from tests.server.test_approval import answer, event, push, sign
from tests.support import World


async def test_the_manager_records_a_decision_that_the_form_and_its_pdf_show(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    url = f"/api/jobs/{job['id']}/manager-decision"
    boss = await world.login("manager")
    text = "到场及时，客户满意，给予表扬"
    early = await world.client.put(url, json={"text": text}, headers=boss)
    assert early.status_code == 409 and job["number"] in early.text
    assert early.json()["params"] == {"number": job["number"], "status": job["status"]}
    assert refusal_text("zh-CN", early.json()) == (
        f"工单 {job['number']} 当前为“已派工”，已修复、已验收或已关闭的工单才能填写处理意见"
    )
    done = [event(job["id"], "resolved"), answer(job["id"], "insulation", value=12.5)]
    done += [answer(job["id"], "seal", result="ok"), sign(job["id"])]
    assert {r["outcome"] for r in await push(world, *done)} == {"applied"}
    for who in ("dispatcher", "qa", "admin", "eng1"):
        refused = await world.client.put(url, json={"text": text}, headers=await world.login(who))
        assert refused.status_code == 403, who
    for bad in ({"text": "   "}, {"text": None}, {}, {"text": "x" * 4001}):
        assert (await world.client.put(url, json=bad, headers=boss)).status_code == 400, bad
    qa = await world.login("qa")
    assert (await world.client.get(url, headers=qa)).json() is None

    r = await world.client.put(url, json={"text": text}, headers=boss)
    assert r.status_code == 200, r.text
    assert r.json()["decided_by_name"] == "售后经理" and r.json()["decided_at"]
    form = (await world.client.get(f"/api/jobs/{job['id']}/form", headers=qa)).json()
    assert form["manager_decision"]["text"] == text
    assert form["manager_decision"]["decided_by"] == str(world.users["manager"])
    pdf = await world.client.get(f"/api/jobs/{job['id']}/form.pdf", headers=qa)
    assert pdf.status_code == 200
    printed = squeezed(pdf_text(pdf.content))
    assert squeezed(text) in printed and "决定人售后经理" in printed

    rewritten = await world.client.put(url, json={"text": "补充：奖励200元"}, headers=boss)
    assert rewritten.json()["text"] == "补充：奖励200元"
    assert (await world.client.get(url, headers=qa)).json()["text"] == "补充：奖励200元"
    missing = await world.client.put(
        "/api/jobs/00000000-0000-7000-8000-000000000000/manager-decision", json={"text": text}, headers=boss
    )
    assert missing.status_code == 404
