"""Escalation (紧急事件应及时上报) on both databases: the scanner with a fixed clock finds promises due soon
and missed, backup due and major faults; each (event, recipient) is told exactly once, also when two
servers scan at the same moment; e-mail goes to a real local SMTP server (aiosmtpd) and webhooks to a
real local HTTP receiver, with every try logged and retried with backoff; the notification centre's
unread count and mark-read; role guards and readable refusals."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from server.db.engine import make_engine, make_sessionmaker
from server.db.models import Job, Notification, NotificationAttempt
from server.escalation.scanner import EscalationRunner, scan
from server.settings import Settings
from tests.support import World

ALL_EVENTS = ["promise_due_soon", "promise_missed", "backup_due", "major_fault"]


async def _rule(world: World, **body: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "重大故障上报",
        "events": ALL_EVENTS,
        "roles": ["dispatcher", "manager"],
        "channels": ["console"],
    }
    r = await world.client.post(
        "/api/escalation/rules", json=base | body, headers=await world.login("manager")
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _received(world: World, job_id: str) -> datetime:
    async with world.app.state.sessionmaker() as s:
        job = await s.get(Job, job_id)
        assert job is not None
        at = job.call_received_at
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _settings(world: World, **changes: Any) -> Settings:
    settings: Settings = world.app.state.settings
    return settings.model_copy(update=changes)


async def _rows(world: World) -> list[tuple[str, str, str]]:
    async with world.app.state.sessionmaker() as s:
        rows = await s.execute(
            select(Notification.event_key, Notification.recipient, Notification.state).order_by(
                Notification.event_key, Notification.recipient
            )
        )
        return [
            (k.split(":")[0] + ":" + (k.split(":")[2] if k.count(":") == 2 else ""), r, st)
            for k, r, st in rows
        ]


async def test_the_scanner_tells_each_recipient_once_per_event_with_a_fixed_clock(world: World) -> None:
    await _rule(world)
    job = (await world.create_job(engineer="eng1", severity="major"))["id"]
    t0 = await _received(world, job)  # major: respond 15 min, on site 120, fix and backup 480
    sm, settings = world.app.state.sessionmaker, _settings(world, escalation_warning_minutes=60)

    first = await scan(sm, settings, t0 + timedelta(minutes=1))
    # respond due within the hour, and the major fault itself: two events, to the dispatcher and manager
    assert (first.created, first.delivered) == (4, 0)
    assert (await scan(sm, settings, t0 + timedelta(minutes=1))).created == 0  # never twice
    assert (await scan(sm, settings, t0 + timedelta(minutes=16))).created == 2  # respond missed
    assert (await scan(sm, settings, t0 + timedelta(minutes=61))).created == 2  # on site due within the hour
    keys = sorted({k for k, _r, _s in await _rows(world)})
    assert keys == ["due_soon:onsite", "due_soon:respond", "major:", "missed:respond"]

    # the engineer acknowledges and arrives: those promises are kept; only fix and backup remain
    async with sm() as s:
        row = await s.get(Job, job)
        assert row is not None
        row.acknowledged_at = row.arrived_at = t0 + timedelta(minutes=100)
        await s.commit()
    later = await scan(sm, settings, t0 + timedelta(minutes=481))
    assert later.created == 4  # fix missed, backup due (none lent): no new respond or on-site events
    keys = sorted({k for k, _r, _s in await _rows(world)})
    assert keys == [
        "backup_due:",
        "due_soon:onsite",
        "due_soon:respond",
        "major:",
        "missed:fix",
        "missed:respond",
    ]

    desk = await world.login("dispatcher")
    r = await world.client.get("/api/notifications/unread-count", headers=desk)
    assert r.json() == {"unread": 6}
    mine = (await world.client.get("/api/notifications", headers=desk)).json()
    assert len(mine) == 6 and {n["channel"] for n in mine} == {"console"}
    assert {n["event_kind"] for n in mine} == set(ALL_EVENTS)
    major = next(n for n in mine if n["event_kind"] == "major_fault")
    assert major["params"]["job"].startswith("J") or major["params"]["job"]
    read = await world.client.post(f"/api/notifications/{major['id']}/read", headers=desk)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await world.client.get("/api/notifications/unread-count", headers=desk)).json() == {"unread": 5}
    # the manager's copy is the manager's: not readable or markable by the dispatcher
    boss = await world.login("manager")
    theirs = (await world.client.get("/api/notifications", headers=boss)).json()[0]
    r = await world.client.post(f"/api/notifications/{theirs['id']}/read", headers=desk)
    assert r.status_code == 404 and r.json()["code"] == "notification.not_found"
    assert (await world.client.post("/api/notifications/read-all", headers=desk)).json() == {"unread": 0}
    assert (await world.client.get("/api/notifications/unread-count", headers=boss)).json() == {"unread": 6}
    eng = await world.login("eng1")
    assert (await world.client.get("/api/notifications/unread-count", headers=eng)).json() == {"unread": 0}


async def test_rules_choose_by_severity_and_customer_and_a_job_on_hold_or_closed_is_not_escalated(
    world: World,
) -> None:
    await _rule(
        world,
        name="南丰一般故障",
        severity="general",
        customer_id=str(world.other_customer_id),
        roles=[],
        user_ids=[str(world.users["qa"])],
    )
    await _rule(world, name="全部重大", severity="major", roles=["manager"])
    general_here = (await world.create_job(engineer="eng1"))["id"]
    general_there = (
        await world.create_job(
            engineer="eng2",
            customer_id=str(world.other_customer_id),
            site_id=str(world.other_site_id),
            equipment_id=None,
        )
    )["id"]
    t0 = max(await _received(world, general_here), await _received(world, general_there))
    sm = world.app.state.sessionmaker
    await scan(sm, _settings(world), t0 + timedelta(minutes=31))  # general: respond 30 min, missed
    rows = await _rows(world)
    assert [r for _k, r, _s in rows] == [f"user:{world.users['qa']}"]  # only the other customer's rule
    async with sm() as s:
        note = await s.scalar(select(Notification))
        assert note is not None and str(note.job_id) == general_there


async def test_two_servers_scanning_at_once_make_each_notification_once(world: World) -> None:
    await _rule(world, roles=["dispatcher", "manager", "qa", "admin"])
    jobs = [(await world.create_job(engineer="eng1", severity="major"))["id"] for _ in range(3)]
    t0 = max([await _received(world, j) for j in jobs])
    url = world.app.state.engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(2)]
    try:
        makers = [make_sessionmaker(e) for e in engines]
        settings = _settings(world)
        outcomes = await asyncio.gather(*(scan(m, settings, t0 + timedelta(minutes=20)) for m in makers))
    finally:
        for e in engines:
            await e.dispose()
    # per job: respond missed and the major fault, to four people
    assert sum(o.created for o in outcomes) == 3 * 2 * 4
    async with world.app.state.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 24
    assert (await scan(world.app.state.sessionmaker, settings, t0 + timedelta(minutes=20))).created == 0


async def test_a_pass_over_events_already_told_writes_nothing_and_costs_the_same_for_more_jobs(
    world: World,
) -> None:
    """Every pass finds the same events again while their jobs stay open. It once cost an INSERT per
    (event, recipient) per pass in every server process (13 % of a flooded server's CPU); now one read
    of what was told, and one INSERT for what is new, however many jobs are open."""
    await _rule(world, roles=["dispatcher", "manager", "qa", "admin"])
    jobs = [(await world.create_job(engineer="eng1", severity="major"))["id"] for _ in range(6)]
    t0 = max([await _received(world, j) for j in jobs])
    sm, settings = world.app.state.sessionmaker, _settings(world)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = world.app.state.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        first = await scan(sm, settings, t0 + timedelta(minutes=20), deliver=False)
        first_statements = list(statements)
        statements.clear()
        again = await scan(sm, settings, t0 + timedelta(minutes=20), deliver=False)
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    assert (first.created, again.created) == (6 * 2 * 4, 0)  # respond missed and major, four people
    assert first_statements.count("INSERT") == 1  # 48 notifications, one statement
    assert "INSERT" not in statements
    assert len(statements) <= len(first_statements)  # jobs, complaints, rules, recipients, told


# --- the outbound channels against real local servers ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox, port = _Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_email_goes_to_a_real_smtp_server_and_a_dead_one_is_retried_with_backoff_then_failed(
    world: World, smtp_server: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp_server
    await _rule(world, roles=[], channels=["email"], emails=["duty@levee.test", "boss@levee.test"])
    job = (await world.create_job(engineer="eng1", severity="major"))["id"]
    t0 = await _received(world, job)
    sm = world.app.state.sessionmaker
    good = _settings(world, smtp_host="127.0.0.1", smtp_port=port, smtp_from="levee@levee.test")
    outcome = await scan(sm, good, t0 + timedelta(minutes=1))
    assert (outcome.created, outcome.delivered, outcome.failed) == (4, 4, 0)  # 2 events x 2 addresses
    assert sorted(rcpt[0] for _f, rcpt, _b in inbox.mails) == sorted(
        ["boss@levee.test", "duty@levee.test"] * 2
    )
    mail = message_from_bytes(inbox.mails[0][2])
    subjects = {
        str(make_header(decode_header(message_from_bytes(b)["Subject"]))) for _f, _r, b in inbox.mails
    }
    assert any("重大故障" in s for s in subjects), subjects
    assert mail["From"] == "levee@levee.test"
    assert (await scan(sm, good, t0 + timedelta(minutes=2))).delivered == 0  # sent once only

    # the SMTP server is gone: the try fails, is logged, and waits 30 s, then 60 s, ... then is failed
    dead = _settings(
        world,
        smtp_host="127.0.0.1",
        smtp_port=_free_port(),
        delivery_backoff_s=30,
        delivery_attempts=3,
        delivery_timeout_s=2,
    )
    t1 = t0 + timedelta(minutes=16)  # respond missed: two new e-mails
    first = await scan(sm, dead, t1)
    assert (first.created, first.delivered, first.failed) == (2, 0, 2)
    assert (await scan(sm, dead, t1 + timedelta(seconds=29))).failed == 0  # not yet: backing off
    assert (await scan(sm, dead, t1 + timedelta(seconds=31))).failed == 2  # second try, then 60 s
    assert (await scan(sm, dead, t1 + timedelta(seconds=80))).failed == 0
    assert (await scan(sm, dead, t1 + timedelta(seconds=92))).failed == 2  # third and last
    assert (await scan(sm, good, t1 + timedelta(seconds=300))).delivered == 0  # failed for good
    boss = await world.login("manager")
    failed = (await world.client.get("/api/escalation/log?state=failed", headers=boss)).json()
    assert len(failed) == 2 and all(n["attempts"] == 3 and "smtp" in n["last_error"] for n in failed)
    tries = (await world.client.get(f"/api/escalation/log/{failed[0]['id']}/attempts", headers=boss)).json()
    assert [(t["number"], t["outcome"]) for t in tries] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert all("Connection" in t["error"] or "refused" in t["error"].lower() for t in tries), tries
    assert len(inbox.mails) == 4


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int]
    got: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.got.append((dict(self.headers.items()), body))
        code = self.answers.pop(0) if self.answers else 200
        self.send_response(code)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[type[_Receiver], str]]:
    handler = type("Receiver", (_Receiver,), {"answers": [], "got": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_webhook_posts_signed_json_to_a_real_receiver_and_a_500_is_retried_and_logged(
    world: World, receiver: tuple[type[_Receiver], str]
) -> None:
    handler, url = receiver
    handler.answers += [500]
    await _rule(world, roles=[], channels=["webhook"], events=["major_fault"])
    job = (await world.create_job(engineer="eng1", severity="major"))["id"]
    t0 = await _received(world, job)
    sm = world.app.state.sessionmaker
    settings = _settings(world, webhook_url=url, webhook_secret=SecretStr("s3cret"), delivery_backoff_s=10)
    first = await scan(sm, settings, t0 + timedelta(minutes=1))
    assert (first.created, first.delivered, first.failed) == (1, 0, 1)
    second = await scan(sm, settings, t0 + timedelta(minutes=1, seconds=11))
    assert (second.delivered, second.failed) == (1, 0)
    assert len(handler.got) == 2
    headers, body = handler.got[-1]
    payload = json.loads(body)
    assert payload["event"] == "major_fault" and payload["customer"] == "临川区水利局"
    assert "重大故障" in payload["subject"]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert {k.lower(): v for k, v in headers.items()}["x-levee-signature"] == expected
    async with sm() as s:
        tries = (await s.scalars(select(NotificationAttempt).order_by(NotificationAttempt.number))).all()
        assert [(t.outcome, "HTTP 500" in t.error) for t in tries] == [("failed", True), ("sent", False)]
        note = await s.scalar(select(Notification))
        assert note is not None and (note.state, note.attempts) == ("sent", 2)


async def test_a_receiver_that_never_answers_does_not_hold_the_scan_or_the_request_path(
    world: World,
) -> None:
    """A webhook receiver that accepts the connection but never answers: the try ends at the timeout,
    and the scan asked for over HTTP answers at once (delivery runs in the background)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        await _rule(world, roles=["manager"], channels=["console", "webhook"], events=["major_fault"])
        job = (await world.create_job(engineer="eng1", severity="major"))["id"]
        t0 = await _received(world, job)
        settings = _settings(world, webhook_url=url, delivery_timeout_s=1)
        started = asyncio.get_running_loop().time()
        outcome = await scan(world.app.state.sessionmaker, settings, t0 + timedelta(minutes=1))
        assert asyncio.get_running_loop().time() - started < 5
        assert (outcome.created, outcome.failed) == (2, 1)
        async with world.app.state.sessionmaker() as s:
            note = await s.scalar(select(Notification).where(Notification.channel == "webhook"))
            assert note is not None and "Timeout" in note.last_error
    finally:
        silent.close()


async def test_rules_are_the_managers_and_bad_rules_are_readable_refusals(world: World) -> None:
    boss = await world.login("manager")
    for who in ("dispatcher", "qa", "warehouse", "eng1"):
        headers = await world.login(who)
        assert (await world.client.get("/api/escalation/rules", headers=headers)).status_code == 403
        r = await world.client.post(
            "/api/escalation/rules",
            json={"name": "x", "events": ["major_fault"], "roles": ["manager"], "channels": ["console"]},
            headers=headers,
        )
        assert r.status_code == 403
        assert (await world.client.post("/api/escalation/scan", headers=headers)).status_code == 403
    for body, status, code in (
        ({"name": "x", "events": ["major_fault"], "channels": ["console"]}, 422, "escalation.nobody"),
        (
            {"name": "x", "events": ["major_fault"], "channels": ["email"], "roles": ["qa"]},
            422,
            "escalation.nobody",
        ),
        (
            {"name": "x", "events": ["major_fault"], "channels": ["email"], "emails": ["not an address"]},
            400,
            None,
        ),
        ({"name": "x", "events": ["no_such"], "channels": ["console"], "roles": ["qa"]}, 400, None),
        (
            {
                "name": "x",
                "events": ["major_fault"],
                "channels": ["console"],
                "user_ids": [str(world.customer_id)],
            },
            422,
            "escalation.unknown_user",
        ),
        (
            {
                "name": "x",
                "events": ["major_fault"],
                "channels": ["console"],
                "roles": ["qa"],
                "customer_id": str(world.site_id),
            },
            422,
            "customer.not_found",
        ),
    ):
        r = await world.client.post("/api/escalation/rules", json=body, headers=boss)
        assert r.status_code == status, (body, r.text)
        if code:
            assert r.json()["code"] == code
    rule = await _rule(world)
    changed = await world.client.put(
        f"/api/escalation/rules/{rule['id']}",
        json={
            "name": "改",
            "events": ["promise_missed"],
            "roles": ["qa"],
            "channels": ["console"],
            "active": False,
        },
        headers=boss,
    )
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert (await world.client.get("/api/escalation/rules", headers=boss)).json()[0]["name"] == "改"
    assert (await world.client.delete(f"/api/escalation/rules/{rule['id']}", headers=boss)).status_code == 204
    assert (await world.client.delete(f"/api/escalation/rules/{rule['id']}", headers=boss)).status_code == 404
    scanned = await world.client.post("/api/escalation/scan", headers=boss)
    assert scanned.status_code == 200 and scanned.json()["created"] == 0


async def test_the_escalation_routes_are_in_the_openapi_schema(world: World) -> None:
    schema = (await world.client.get("/schema/openapi.json")).json()
    for path in (
        "/api/notifications",
        "/api/notifications/unread-count",
        "/api/notifications/{notification_id}/read",
        "/api/escalation/rules",
        "/api/escalation/log",
        "/api/escalation/scan",
    ):
        assert path in schema["paths"], path
        for op in schema["paths"][path].values():
            assert op.get("summary") and op.get("description"), (path, op)


async def test_the_runner_in_the_lifespan_scans_at_start_and_stops_promptly(world: World) -> None:
    await _rule(world, roles=["manager"], events=["major_fault"])
    await world.create_job(engineer="eng1", severity="major")
    runner = EscalationRunner(world.app.state.sessionmaker, _settings(world, escalation_interval_s=3600))
    runner.start()
    try:
        for _ in range(200):
            if runner.passes:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()
    assert runner.passes == 1  # the pass at start-up; the next would be an hour later
    boss = await world.login("manager")
    assert (await world.client.get("/api/notifications/unread-count", headers=boss)).json() == {"unread": 1}
    unread = (await world.client.get("/api/notifications?unread=true", headers=boss)).json()
    assert [n["event_kind"] for n in unread] == ["major_fault"]
    off = EscalationRunner(world.app.state.sessionmaker, _settings(world, escalation_interval_s=0))
    off.start()
    await off.stop()
    assert off.passes == 0  # 0 turns it off
