"""The examples of docs/sync-protocol.md, run against a real server on both databases (issue 12 item 11).

An outside team writes its client from that page alone, so its examples must be what the server
does. Every fenced block marked ``example=<name>`` is read from the page; requests are sent (the
documented ids of things the test made, such as the job, replaced by the real ones) and each answer
is compared with the documented one:

- objects must have exactly the documented keys (an object written ``{"...": "..."}`` is elided);
- ids must be UUIDs, and one documented id must stand for one real id throughout an example (a
  conflict id in a push result is the id of the conflict pulled next; ``job_id`` is the job);
- times must be written as the server writes them (``2025-07-14T01:15:00.410000Z``), dates as dates,
  cursors as cursors of the same kind;
- the values that carry meaning (outcomes, reasons, messages, statuses, codes, flags) must be equal;
  other values must have the documented JSON type;
- lists must have the documented length and order; a block marked ``partial`` shows only some of the
  items, which must appear in the documented order.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.db.models import ChecklistTemplate, StockBalance, Store
from shared.ids import uuid7
from shared.stock import StoreKind
from tests.server.test_fuzz_sync import _now, mutation
from tests.support import PASSWORD, World
from tests.sync.test_van_stock import _to_van

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync-protocol.md"
BLOCK = re.compile(r"^```(\w+) example=(\S+)((?: \w+)*)\n(.*?)^```$", re.M | re.S)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WIRE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
#: the office endpoints (pydantic) leave out a zero fraction: "2025-07-14T01:15:00Z"
OFFICE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
OFFICE_EXAMPLES = {"rejections.response", "conflicts.response"}
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
CURSOR = re.compile(r"^([0-9a-f-]{36}):(\d+)(?::([0-9a-f-]{36})?(?::([0-9a-f]{12}))?)?$")

#: keys whose documented value must be the server's value, not just of the same type
MEANINGFUL = {
    "protocol", "outcome", "reason", "message", "entity", "op", "status", "resolution", "field",
    "token_type", "role", "username", "has_more", "resync_required", "resync_code", "title", "detail",
    "type", "kind", "job_kind", "category", "item_code", "code", "name", "out_of_range",
    "old_part_returned", "quantity", "used", "believed", "on_hand", "total", "limit", "offset", "required",
    "unit", "min_value", "max_value", "label_zh", "label_en", "key", "review_note", "client_seq",
}  # fmt: skip


@dataclass
class Example:
    name: str
    lang: str
    partial: bool
    text: str

    def body(self) -> Any:
        text = self.text.split("\n\n", 1)[1] if self.lang == "http" else self.text
        return json.loads(text)


def examples() -> dict[str, Example]:
    found: dict[str, Example] = {}
    for lang, name, flags, text in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        assert name not in found, f"two examples are called {name}"
        found[name] = Example(name, lang, "partial" in flags.split(), text)
    return found


EXAMPLES = examples()


@dataclass
class Match:
    """One comparison of a documented answer with the server's: the ids it has tied, the problems found."""

    ids: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    times: re.Pattern[str] = WIRE_TIME

    def bind(self, documented: str, real: str) -> None:
        self.ids[documented] = real

    def request(self, name: str, *, bind: bool = True, **replace: Any) -> Any:
        """The documented request with documented ids (and other values) replaced by the real ones.

        Ids nobody tied yet are the device's own (a mutation id): sent as documented, and with
        ``bind`` tied to themselves. ``replace`` sets the values of the keys it names.
        """

        def swap(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: replace[k] if k in replace else swap(v) for k, v in value.items()}
            if isinstance(value, list):
                return [swap(v) for v in value]
            if isinstance(value, str) and UUID.match(value) and bind:
                return self.ids.setdefault(value, value)
            if isinstance(value, str):
                return self.ids.get(value, value)
            return value

        return swap(EXAMPLES[name].body())

    def same_id(self, documented: str, real: Any, where: str) -> None:
        if not (isinstance(real, str) and UUID.match(real)):
            self.problems.append(f"{where}: documented an id, the server sent {real!r}")
        elif self.ids.setdefault(documented, real) != real:
            self.problems.append(
                f"{where}: {documented} stands for {self.ids[documented]} elsewhere, here {real}"
            )

    def compare(self, doc: Any, real: Any, where: str = "", key: str = "", partial: bool = False) -> None:
        if isinstance(doc, dict):
            if not isinstance(real, dict):
                self.problems.append(f"{where}: documented an object, the server sent {real!r}")
            elif "..." not in doc:
                if missing := sorted(doc.keys() - real.keys()):
                    self.problems.append(f"{where}: documented but not sent: {missing}")
                if undocumented := sorted(real.keys() - doc.keys()):
                    self.problems.append(f"{where}: sent but not documented: {undocumented}")
                for k in doc.keys() & real.keys():
                    self.compare(doc[k], real[k], f"{where}.{k}", k, partial)
        elif isinstance(doc, list):
            self._compare_list(doc, real, where, partial)
        elif isinstance(doc, str):
            self._compare_text(doc, real, where, key)
        elif doc is None:
            pass  # the field tables give the type of a value documented as null
        elif type(real) is not type(doc) or (key in MEANINGFUL and real != doc):  # numbers, booleans
            self.problems.append(f"{where}: documented {doc!r}, the server sent {real!r}")

    def _compare_text(self, doc: str, real: Any, where: str, key: str) -> None:
        cursor = CURSOR.match(doc)
        if UUID.match(doc):
            self.same_id(doc, real, where)
        elif cursor:
            got = CURSOR.match(real) if isinstance(real, str) else None
            if (
                got is None
                or (got[3] is None) != (cursor[3] is None)
                or (got[4] is None) != (cursor[4] is None)  # the restore mark (docs: cursor marks)
            ):
                self.problems.append(f"{where}: documented cursor {doc}, the server sent {real!r}")
            else:
                self.same_id(cursor[1], got[1], f"{where} (epoch)")
                if cursor[3]:
                    self.same_id(cursor[3], got[3], f"{where} (after id)")
                if cursor[4] and self.ids.setdefault(cursor[4], got[4]) != got[4]:
                    self.problems.append(
                        f"{where}: mark {cursor[4]} stands for {self.ids[cursor[4]]} elsewhere"
                    )
        elif LOOKS_LIKE_TIME.match(doc):
            if not WIRE_TIME.match(doc):
                self.problems.append(f"{where}: the page writes {doc}, not a time as the server writes it")
            if not (isinstance(real, str) and self.times.match(real)):
                self.problems.append(f"{where}: documented a time like {doc}, the server sent {real!r}")
        elif DATE.match(doc):
            if not (isinstance(real, str) and DATE.match(real)):
                self.problems.append(f"{where}: documented a date, the server sent {real!r}")
        elif not isinstance(real, str) or (key in MEANINGFUL and real != doc):
            self.problems.append(f"{where}: documented {doc!r}, the server sent {real!r}")

    def _compare_list(self, doc: list[Any], real: Any, where: str, partial: bool) -> None:
        if not isinstance(real, list):
            self.problems.append(f"{where}: documented a list, the server sent {real!r}")
            return
        if not partial and len(doc) != len(real):
            self.problems.append(f"{where}: documented {len(doc)} items, the server sent {len(real)}: {real}")
            return
        at = 0
        for i, item in enumerate(doc):
            j = self._find(item, real, at) if partial else i
            if j is None:
                self.problems.append(f"{where}[{i}]: documented {item!r}, not in the answer (in this order)")
                return
            self.compare(item, real[j], f"{where}[{j}]", partial=partial)
            at = j + 1

    def _find(self, item: Any, real: list[Any], start: int) -> int | None:
        """Where a documented item of a partial list is: by its id when that is tied, else by its kind."""
        for j in range(start, len(real)):
            candidate = real[j]
            if not isinstance(item, dict) or not isinstance(candidate, dict):
                return j
            if "id" in item and item["id"] in self.ids:
                if candidate.get("id") == self.ids[item["id"]]:
                    return j
            elif all(candidate.get(k) == item[k] for k in ("entity", "op", "code") if k in item):
                return j
        return None

    def check(self, name: str, real: Any, *, path: str = "") -> None:
        example = EXAMPLES[name]
        self.times = OFFICE_TIME if name in OFFICE_EXAMPLES else WIRE_TIME
        self.compare(example.body(), real, path or name, partial=example.partial)

    def done(self) -> None:
        assert not self.problems, "docs/sync-protocol.md and the server disagree:\n" + "\n".join(
            self.problems
        )


def test_every_example_on_the_page_is_run_here() -> None:
    """A new example on the page must be added to a test below (or it could drift unnoticed)."""
    source = Path(__file__).read_text(encoding="utf-8")
    unused = [name for name in EXAMPLES if f'"{name}"' not in source]
    assert len(EXAMPLES) >= 20 and not unused, unused
    # ...and every JSON block on the page is an example (the push's HTTP headers alone are not).
    unmarked = re.findall(r"^```json\n", DOC.read_text(encoding="utf-8"), re.M)
    assert not unmarked, "mark each JSON block with example=<name> and run it here"


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def _template_id(world: World) -> str:
    async with world.app.state.sessionmaker() as s:
        found = await s.scalar(
            select(ChecklistTemplate.id).where(
                ChecklistTemplate.category == "drainage_pump", ChecklistTemplate.job_kind == "repair"
            )
        )
        return str(found)


async def _van_balance_id(world: World) -> str:
    async with world.app.state.sessionmaker() as s:
        van = select(Store.id).where(Store.kind == StoreKind.VAN.value)
        found = await s.scalar(
            select(StockBalance.id).where(
                StockBalance.part_id == world.part_id, StockBalance.store_id.in_(van)
            )
        )
        return str(found)


async def _another_tablet(world: World, username: str) -> tuple[dict[str, str], str]:
    """A second device of the user: its Authorization header and its device id."""
    body = {"username": username, "password": PASSWORD, "device_name": "second tablet"}
    signed_in = _ok(await world.client.post("/api/auth/login", json=body))
    return {"Authorization": f"Bearer {signed_in['token']}"}, signed_in["device_id"]


async def test_login_and_refusals_are_as_documented(world: World) -> None:
    match = Match()
    login = await world.client.post("/api/auth/login", json=match.request("login.request"))
    match.check("login.response", _ok(login))
    headers = {"Authorization": f"Bearer {login.json()['token']}"}

    newer = await world.client.post("/api/sync/pull", json=match.request("protocol.request"), headers=headers)
    match.check("protocol.response", _ok(newer, 422))
    mistaken = await world.client.post(
        "/api/sync/push", json=match.request("errors.request"), headers=headers
    )
    match.check("errors.response", _ok(mistaken, 400))
    match.done()

    job = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    _ok(await world.client.post(f"/api/jobs/{job['id']}/cancel", json={"reason": "撤销"}, headers=office))
    refused = await world.client.post(
        f"/api/jobs/{job['id']}/assign", json={"engineer_id": str(world.users["eng2"])}, headers=office
    )
    as_documented = json.loads(json.dumps(_ok(refused, 409)).replace(job["number"], "WO-202606-00012"))
    match = Match()
    match.check("errors.refusal", as_documented)
    match.done()


async def test_a_documented_session_first_download_push_pull_remove_resync_wait(world: World) -> None:
    """The page's story: a repair job on the pump, a van with 3 seals; the engineer downloads, arrives,
    types the cause (and, by mistake, the severity), uses a seal, pulls; then the job is reassigned."""
    await _to_van(world, "eng1", 3)
    job = await world.create_job(engineer="eng1")
    headers = await world.login("eng1")
    ids = {
        "01980d2c-866e-72bb-87ed-2445884c72cb": job["id"],
        "0dc6ab0f-0528-4727-831b-9a984b3e0057": str(world.part_id),
        "828b3eb2-8f24-4f18-972b-29f18d9b187f": str(world.customer_id),
        "0e1b850c-ddd9-412b-938c-b030b17dd0bd": str(world.site_id),
        "9016ccfb-cd33-40f9-8cce-dc76ae2a6823": str(world.equipment_id),
        "01980d2c-8563-776a-8606-d22976426bc6": await _template_id(world),
        "01980d2c-855f-71ac-ad44-b8a5e84453a9": str(world.users["eng1"]),
        "01980d2c-84ff-720a-b37d-692d3b313e93": world.app.state.epoch,
        "01980e01-2b3c-7d4e-8f50-617283940a1b": await _van_balance_id(world),
    }

    def match_() -> Match:
        m = Match()
        for documented, real in ids.items():
            m.bind(documented, real)
        return m

    async def pull(m: Match, name: str, **replace: Any) -> Any:
        return _ok(
            await world.client.post("/api/sync/pull", json=m.request(name, **replace), headers=headers)
        )

    match = match_()
    first = await pull(match, "pull.first.request")
    match.check("pull.first.response", first)
    [van] = [c for c in first["changes"] if c["entity"] == "van_stock"]
    match.check("change.van_stock", van)
    match.done()
    cursor = first["cursor"]

    # The documented taps and answer the job document shows, then the documented push.
    acknowledged = mutation(
        "job.event",
        {
            "job_id": job["id"],
            "event_id": str(uuid7()),
            "type": "acknowledged",
            "at": "2025-07-14T08:31:40+08:00",
        },
    )
    answer = mutation(
        "checklist.answer",
        {"job_id": job["id"], "result_id": str(uuid7()), "item_code": "insulation", "value": 0.2}
        | {"answered_at": "2025-07-14T09:14:00+08:00"},
    )
    setup = {"protocol": 1, "device_time": _now(), "mutations": [acknowledged, answer]}
    assert [
        r["outcome"]
        for r in _ok(await world.client.post("/api/sync/push", json=setup, headers=headers))["results"]
    ] == ["applied", "applied"]
    match = match_()
    pushed = _ok(
        await world.client.post("/api/sync/push", json=match.request("push.request"), headers=headers)
    )
    match.check("push.response", pushed)
    match.done()
    [conflict_id] = pushed["results"][1]["conflict_ids"]

    match = match_()
    match.bind("01980d2c-84ff-720a-b37d-692d3b313e93:1187::3fa9c2e01b7d", cursor)
    after_push = await pull(match, "pull.next.request")
    match.check("pull.next.response", after_push)
    match.done()
    match = match_()
    match.bind("1a5aa02c-7d5f-431f-85e2-29606a549e24", conflict_id)
    [conflict] = [c for c in after_push["changes"] if c["entity"] == "conflict"]
    match.check("change.conflict", conflict)
    [job_put] = [c for c in after_push["changes"] if c["entity"] == "job"]
    match.check("job.document", job_put["data"])
    match.done()
    assert [e["type"] for e in job_put["data"]["events"]] == ["acknowledged", "arrived"]

    dispatcher = await world.login("dispatcher")
    moved = await world.client.post(
        f"/api/jobs/{job['id']}/assign", json={"engineer_id": str(world.users["eng2"])}, headers=dispatcher
    )
    _ok(moved)
    match = match_()
    match.bind("01980d2c-84ff-720a-b37d-692d3b313e93:1187::3fa9c2e01b7d", after_push["cursor"])
    match.check("pull.remove.response", await pull(match, "pull.next.request"))
    match.done()

    match = match_()
    elsewhere = f"{uuid.uuid4()}:{after_push['cursor'].split(':')[1]}"
    match.bind("01980d2c-84ff-720a-b37d-692d3b313e93:1187::3fa9c2e01b7d", elsewhere)
    match.bind("01980e77-1c00-7000-8000-5a5a5a5a5a5a", world.app.state.epoch)
    match.check("pull.resync.response", await pull(match, "pull.next.request"))
    waited = await world.client.get("/api/sync/wait", params={"after": 0, "timeout": 0}, headers=headers)
    match.check("wait.response", _ok(waited))
    match.done()


async def test_the_office_lists_and_reviews_as_documented(world: World) -> None:
    """A use of a part not in the catalogue (the dead-letter list), a cause both sides changed (the
    review queue), and a use beyond the van's books (the warehouse's conflict)."""
    await _to_van(world, "eng1", 1)
    job = await world.create_job(engineer="eng1")
    headers = await world.login("eng1")
    office = await world.login("dispatcher")
    ids = {
        "01980d2c-866e-72bb-87ed-2445884c72cb": job["id"],
        "0dc6ab0f-0528-4727-831b-9a984b3e0057": str(world.part_id),
        "01980d2c-855f-71ac-ad44-b8a5e84453a9": str(world.users["eng1"]),
        "01980e01-2b3c-7d4e-8f50-617283940a1b": await _van_balance_id(world),
    }

    async def push(*mutations: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"protocol": 1, "device_time": _now(), "mutations": list(mutations)}
        return list(_ok(await world.client.post("/api/sync/push", json=body, headers=headers))["results"])

    match = Match(ids=dict(ids))
    unknown = match.request("rejections.response", bind=False)["items"][0]
    [refused] = await push(mutation(unknown["name"], unknown["args"], id=unknown["id"]))
    assert refused["reason"] == "unknown_part", refused
    match.check("rejections.response", _ok(await world.client.get("/api/sync/rejections", headers=office)))
    match.done()

    # Two tablets of the engineer edit the cause from the same version: the second to arrive wins.
    second, second_device = await _another_tablet(world, "eng1")
    tablets = [headers, second]
    match = Match(ids=dict(ids))
    documented = match.request("conflicts.response", bind=False)["items"][0]
    base = _ok(await world.client.get(f"/api/jobs/{job['id']}", headers=office))["version"]

    async def rival_edits(cause_a: str, cause_b: str, mutation_id: str | None = None) -> list[dict[str, Any]]:
        results = []
        for tablet, cause in zip(tablets, (cause_a, cause_b), strict=True):
            edit = mutation(
                "job.edit", {"job_id": job["id"], "base_version": base, "fields": {"cause": cause}}
            )
            if tablet is tablets[1] and mutation_id:
                edit["id"] = mutation_id
            body = {"protocol": 1, "device_time": _now(), "mutations": [edit]}
            results += _ok(await world.client.post("/api/sync/push", json=body, headers=tablet))["results"]
        return results

    _, both = await rival_edits(
        documented["server_value"], documented["device_value"], documented["mutation_id"]
    )
    assert both["reason"] == "both_changed", both
    match.bind(documented["device_id"], second_device)
    listed = _ok(await world.client.get("/api/conflicts", params={"job_id": job["id"]}, headers=office))
    match.check("conflicts.response", listed)
    match.done()
    accept = match.request("conflict.accept.request")
    reviewed = await world.client.post(
        f"/api/conflicts/{both['conflict_ids'][0]}/accept", json=accept, headers=office
    )
    assert (_ok(reviewed)["status"], reviewed.json()["review_note"]) == ("accepted", accept["note"])
    _, again = await rival_edits("电缆破损", "控制箱进水")
    override = match.request("conflict.override.request")
    reviewed = await world.client.post(
        f"/api/conflicts/{again['conflict_ids'][0]}/override", json=override, headers=office
    )
    assert _ok(reviewed)["status"] == "overridden"
    assert _ok(await world.client.get(f"/api/jobs/{job['id']}", headers=office))["cause"] == override["value"]

    match = Match(ids=dict(ids))
    documented = match.request("conflict.van_stock")
    [short] = await push(
        mutation(
            "part.use",
            {
                "job_id": job["id"],
                "usage_id": str(uuid7()),
                "part_id": str(world.part_id),
                "quantity": documented["device_value"]["used"],
                "used_at": _now(),
                "believed_on_hand": documented["device_value"]["believed"],
            },
        )
    )
    assert short["reason"] == "insufficient_stock", short
    pulled = _ok(await world.client.post("/api/sync/pull", json={"cursor": None}, headers=headers))
    [van_conflict] = [
        c["data"]
        for c in pulled["changes"]
        if c["entity"] == "conflict" and c["data"]["entity"] == "van_stock"
    ]
    match.bind("5c0f3a8e-1d2b-4c3d-9e8f-0a1b2c3d4e5f", van_conflict["id"])
    match.check("conflict.van_stock", van_conflict)
    match.done()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_is_valid_json(name: str) -> None:
    EXAMPLES[name].body()
