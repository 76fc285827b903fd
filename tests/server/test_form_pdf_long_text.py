"""The printed service form with the longest texts the schema allows (issue 13 item 9), through HTTP on
both databases: a 4,000-character fix, notes, cause, checklist note and acceptance comment print (no
500), every word of them is on the pages (read back with pypdf), and the acceptance heading is never left
alone at the foot of a page, whatever length pushes it there."""

from __future__ import annotations

import re

import pytest

from tests.pdf import pdf_text, squeezed
from tests.server.test_approval import answer, event, mutation, push, sign
from tests.support import World


def _long(tag: str, n: int) -> str:
    """``n`` characters of numbered segments (``[fix001]`` ...), so every part can be found again."""
    out, i = "", 0
    while len(out) < n:
        out += f"[{tag}{i:03d}]清理叶轮并更换机械密封，试运行正常。"
        i += 1
    return out[:n]


def _markers(text: str) -> list[str]:
    """The whole ``[tagNNN]`` markers in ``text`` (a cut one at the end is left out)."""
    return re.findall(r"\[[a-z]+\d{3}\]", text)


@pytest.mark.parametrize("length", [4000, 1500])
async def test_the_longest_texts_print_whole_across_pages(world: World, length: int) -> None:
    job = await world.create_job(engineer="eng1", symptom=_long("sym", length))
    jid = job["id"]
    texts = {
        "fix": _long("fix", length),
        "notes": _long("not", length),
        "cause": _long("cau", length),
    }
    note = _long("chk", length)
    comment = _long("com", length)
    results = await push(
        world,
        event(jid, "resolved"),
        mutation("job.edit", job_id=jid, base_version=0, fields=texts),
        answer(jid, "seal", result="fault", note=note),
        {**sign(jid), "args": {**sign(jid)["args"], "comment": comment}},
    )
    assert {r["outcome"] for r in results} == {"applied"}, results
    r = await world.client.get(f"/api/jobs/{jid}/form.pdf", headers=await world.login("qa"))
    assert r.status_code == 200, r.text[:500]
    pages = pdf_text(r.content).split("\f")
    assert len(pages) >= 2
    # the page footer ("WO-… 第 2 页，共 5 页") sits between the parts of a paragraph that flows on
    printed = re.sub(r"WO-\d{6}-\d{5}第\d+页，共\d+页", "", squeezed("".join(pages)))
    for text in (*texts.values(), note, comment, job["symptom"]):
        missing = [m for m in _markers(text) if m not in printed]
        assert not missing, missing[:5]


@pytest.mark.parametrize("length", [400, 900, 1400, 1900, 2400, 2900, 3400, 3900])
async def test_the_acceptance_heading_is_never_alone_at_the_foot_of_a_page(world: World, length: int) -> None:
    """The fix's length moves the acceptance section down the pages; wherever it lands, its heading is on
    the same page as what it heads (the opinion and the signature box)."""
    job = await world.create_job(engineer="eng1")
    jid = job["id"]
    results = await push(
        world,
        event(jid, "resolved"),
        mutation("job.edit", job_id=jid, base_version=0, fields={"fix": _long("fix", length)}),
        sign(jid),
    )
    assert {r["outcome"] for r in results} == {"applied"}
    r = await world.client.get(f"/api/jobs/{jid}/form.pdf", headers=await world.login("qa"))
    assert r.status_code == 200, r.text[:500]
    pages = [squeezed(p) for p in pdf_text(r.content).split("\f")]
    [page] = [p for p in pages if "用户验收" in p]
    assert page.index("用户验收") < page.index("验收意见") and "用户签字" in page


async def test_an_inspection_prints_as_an_inspection_report_with_its_readings_and_limits(
    world: World,
) -> None:
    """Issue 11 item 14 (in part): the title; the readings with their limits are the checklist's."""
    job = await world.create_job(engineer="eng1", kind="inspection")
    jid = job["id"]
    results = await push(
        world,
        event(jid, "resolved"),
        answer(jid, "insulation", value=0.3),
        answer(jid, "seal", result="ok"),
        sign(jid),
    )
    assert {r["outcome"] for r in results} == {"applied"}
    qa = await world.login("qa")
    zh = squeezed(pdf_text((await world.client.get(f"/api/jobs/{jid}/form.pdf", headers=qa)).content))
    assert zh.startswith("巡检报告") and "售后维修服务单" not in zh
    assert "绝缘电阻" in zh and "0.3MΩ" in zh and "≥0.5MΩ" in zh  # the reading, flagged, and its limit
    en = (await world.client.get(f"/api/jobs/{jid}/form.pdf", params={"lang": "en"}, headers=qa)).content
    assert squeezed(pdf_text(en)).startswith("Inspectionreport")
    repair = await world.create_job(engineer="eng1")
    printed = (await world.client.get(f"/api/jobs/{repair['id']}/form.pdf", headers=qa)).content
    assert squeezed(pdf_text(printed)).startswith("售后维修服务单")
