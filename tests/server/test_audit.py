"""The audit trail: every job change and sign-in, hash-chained, append-only, verifiable."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.audit import GENESIS, AuditKeyError, Checkpoint, entry_hash, verify_chain
from server.db.engine import make_engine
from server.db.models import AuditEntry, LoginFailure
from server.settings import Settings
from shared.enums import JobEventType
from tests.conftest import DeviceFactory
from tests.processes import ENV, ROOT
from tests.support import PASSWORD, World, release_app, reuse_app


async def _entries(world: World) -> list[AuditEntry]:
    async with world.app.state.sessionmaker() as s:
        return list((await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())


async def test_office_and_device_changes_are_audited_with_who_when_and_which_device(
    world: World, new_device: DeviceFactory
) -> None:
    job = await world.create_job(engineer="eng1")
    await world.client.post(
        f"/api/jobs/{job['id']}/hold", json={"reason": "等待备件"}, headers=await world.login("dispatcher")
    )
    device = await new_device("eng1")
    await device.sync()
    device.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    await device.sync()
    entries = await _entries(world)
    on_job = [(e.action, e.user_id) for e in entries if e.entity_id == job["id"]]
    assert on_job == [
        ("job.create", world.users["dispatcher"]),
        ("job.on_hold", world.users["dispatcher"]),
        ("job.event", world.users["eng1"]),
    ]
    tap = next(e for e in entries if e.action == "job.event")
    assert tap.device_id is not None and tap.detail["outcome"] == "merged"
    logins = [e for e in entries if e.action == "auth.login"]
    assert {e.user_id for e in logins} == {world.users["dispatcher"], world.users["eng1"]}
    async with world.app.state.sessionmaker() as s:
        assert (await verify_chain(s)).ok


async def test_the_database_refuses_to_change_or_delete_an_audit_entry(world: World) -> None:
    await world.create_job(engineer="eng1")
    for statement in (
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
    ):
        async with world.app.state.sessionmaker() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(statement))
            await s.rollback()


def _drop_triggers(dialect: str) -> list[str]:
    """What someone with full database rights does first."""
    if dialect == "postgresql":
        return ["DROP TRIGGER audit_log_append_only ON audit_log"]
    return ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]


#: One way to tamper with a fresh four-entry chain, and the entry and words ``verify`` must report.
TAMPERING = {
    "last entry deleted": ("DELETE FROM audit_log WHERE seq = 4", 4, "entries 4 to 4 were removed"),
    "middle entry deleted": ("DELETE FROM audit_log WHERE seq = 2", 2, "entry 2 is missing"),
    "entry altered": (
        "UPDATE audit_log SET detail = '{}' WHERE seq = 3",
        3,
        "entry 3 was changed after it was written",
    ),
    "counter lowered": ("UPDATE counters SET value = 2 WHERE name = 'audit'", 3, "counter was lowered"),
}


async def _four_entry_chain(world: World) -> None:
    """auth.login of the dispatcher, then three job.create: entries 1 to 4."""
    for engineer in ("eng1", "eng2", "eng1"):
        await world.create_job(engineer=engineer)
    assert [e.seq for e in await _entries(world)] == [1, 2, 3, 4]


def levee(*args: str, db_url: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``levee ARGS`` as an operator runs it on the server: the key comes from the data directory."""
    environ = {k: v for k, v in ENV.items() if k != "LEVEE_AUDIT_KEY"} | env
    command = [
        sys.executable,
        "-m",
        "server.cli",
        *args,
        "--database-url",
        db_url,
        "--data-dir",
        str(data_dir),
    ]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=120, cwd=ROOT)


def _levee_audit_verify(world: World, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _levee_audit(world, tmp_path, "verify")


def _levee_audit(world: World, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    url = world.app.state.engine.url.render_as_string(hide_password=False)
    return levee("audit", *args, db_url=url, data_dir=tmp_path)


@pytest.mark.parametrize("case", list(TAMPERING))
async def test_each_kind_of_tampering_is_reported_at_its_entry_and_the_command_exits_1(
    world: World, tmp_path: Path, case: str
) -> None:
    await _four_entry_chain(world)
    statement, bad_seq, words = TAMPERING[case]
    async with world.app.state.sessionmaker() as s:
        for drop in _drop_triggers(world.app.state.engine.dialect.name):
            await s.execute(text(drop))
        await s.execute(text(statement))
        await s.commit()
    async with world.app.state.sessionmaker() as s:
        report = await verify_chain(s)
    assert (report.ok, report.first_bad_seq) == (False, bad_seq), report
    assert words in report.problem
    done = await asyncio.to_thread(_levee_audit_verify, world, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"AUDIT TRAIL BROKEN at entry {bad_seq}" in done.stderr and words in done.stderr


async def test_an_intact_chain_verifies_and_the_command_exits_0(world: World, tmp_path: Path) -> None:
    await _four_entry_chain(world)
    async with world.app.state.sessionmaker() as s:
        report = await verify_chain(s)
    assert report.ok and report.entries == 4
    done = await asyncio.to_thread(_levee_audit_verify, world, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit trail intact: 4 entries" in done.stdout


async def _tamper(world: World, *statements: str, params: list[dict[str, object]] | None = None) -> None:
    async with world.app.state.sessionmaker() as s:
        for drop in _drop_triggers(world.app.state.engine.dialect.name):
            await s.execute(text(drop))
        for statement in statements:
            await s.execute(text(statement), params or {})
        await s.commit()


async def test_an_entry_edited_and_the_chain_rehashed_without_the_key_is_caught(
    world: World, tmp_path: Path
) -> None:
    """The database administrator's rewrite: triggers dropped, an entry edited, every hash after it
    recomputed with ``entry_hash`` (the code is public; the key is not in the database)."""
    await _four_entry_chain(world)
    await _tamper(world)
    async with world.app.state.sessionmaker() as s:
        entries = list((await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())
        entries[1].detail = {"data": {"symptom": "rewritten"}}
        prev = entries[0].hash
        for entry in entries[1:]:
            entry.prev_hash, entry.hash = prev, entry_hash(prev, entry)
            prev = entry.hash
        await s.commit()
    async with world.app.state.sessionmaker() as s:
        report = await verify_chain(s)
    assert (report.ok, report.first_bad_seq) == (
        False,
        2,
    ) and "not sealed with the audit key" in report.problem
    done = await asyncio.to_thread(_levee_audit_verify, world, tmp_path)
    assert done.returncode == 1 and "BROKEN at entry 2" in done.stderr, done.stdout + done.stderr


async def test_a_removed_tail_with_the_counter_lowered_is_caught_by_a_published_checkpoint(
    world: World, tmp_path: Path
) -> None:
    await _four_entry_chain(world)
    made = await asyncio.to_thread(_levee_audit, world, tmp_path, "checkpoint")
    assert made.returncode == 0, made.stderr
    published = Checkpoint.parse(made.stdout.strip())
    assert published.seq == 4 and published.hash == (await _entries(world))[-1].hash
    assert (tmp_path / "audit-checkpoints.jsonl").read_text().strip() == made.stdout.strip()
    await world.create_job(engineer="eng2")  # entry 5, after the checkpoint
    await _tamper(
        world, "DELETE FROM audit_log WHERE seq >= 3", "UPDATE counters SET value = 2 WHERE name = 'audit'"
    )
    async with world.app.state.sessionmaker() as s:
        assert (await verify_chain(s)).ok  # a shorter chain holds by itself: only the checkpoint knows
        report = await verify_chain(s, checkpoints=[published])
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert f"entries 3 to 4 were removed (the checkpoint of {published.at} saw entry 4)" == report.problem
    done = await asyncio.to_thread(_levee_audit, world, tmp_path, "verify")
    assert done.returncode == 1 and "BROKEN at entry 3" in done.stderr, done.stdout + done.stderr
    # The copy the manager kept (the printed line) is enough on its own, e.g. if the file was deleted.
    (tmp_path / "audit-checkpoints.jsonl").unlink()
    kept = tmp_path / "mailed.txt"
    kept.write_text(made.stdout)
    alone = await asyncio.to_thread(_levee_audit, world, tmp_path, "verify", "--checkpoints", str(kept))
    assert alone.returncode == 1 and "the checkpoint of" in alone.stderr
    refused = await asyncio.to_thread(_levee_audit, world, tmp_path, "checkpoint", "--checkpoints", str(kept))
    assert refused.returncode == 1 and "no checkpoint made" in refused.stderr


async def test_a_checkpoint_rewritten_to_match_an_edited_chain_is_refused(
    world: World, tmp_path: Path
) -> None:
    await _four_entry_chain(world)
    made = await asyncio.to_thread(_levee_audit, world, tmp_path, "checkpoint")
    assert made.returncode == 0, made.stderr
    genuine = Checkpoint.parse(made.stdout)
    forged = Checkpoint(3, (await _entries(world))[2].hash, genuine.at, genuine.mac)
    (tmp_path / "audit-checkpoints.jsonl").write_text(forged.line() + "\n")
    done = await asyncio.to_thread(_levee_audit, world, tmp_path, "verify")
    assert done.returncode == 1 and "is not sealed: forged" in done.stderr, done.stderr
    (tmp_path / "audit-checkpoints.jsonl").write_text("{not json\n")
    garbled = await asyncio.to_thread(_levee_audit, world, tmp_path, "verify")
    assert garbled.returncode == 1 and "line 1: not a checkpoint" in garbled.stderr, garbled.stderr


async def test_the_key_is_a_mode_600_file_outside_the_database_and_another_key_is_refused(
    world: World, tmp_path: Path
) -> None:
    await _four_entry_chain(world)
    key_file = tmp_path / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    dumped = []
    async with world.app.state.sessionmaker() as s:
        for table in ("audit_log", "counters", "server_meta"):
            dumped += [str(v) for row in await s.execute(text(f"SELECT * FROM {table}")) for v in row]
    assert dumped and not any(key in value for value in dumped)
    # Verify needs the key, and says so.
    elsewhere = tmp_path / "elsewhere"
    url = world.app.state.engine.url.render_as_string(hide_password=False)
    keyless = await asyncio.to_thread(levee, "audit", "verify", db_url=url, data_dir=elsewhere)
    assert keyless.returncode == 1 and "no audit key" in keyless.stderr, keyless.stderr
    # A second server of this database with its own new key would fork the trail: it does not start.
    for settings, refused in (
        (Settings(data_dir=elsewhere, database_url=url, schedule_interval_s=0), True),
        (Settings(data_dir=elsewhere, database_url=url, schedule_interval_s=0, audit_key=key), False),
    ):
        app = reuse_app(settings, make_engine(url))
        try:
            if refused:
                with pytest.raises(AuditKeyError, match=r"newest audit entry \(4\) is not sealed"):
                    await app.on_startup[0](app)
            else:  # the same key, given as LEVEE_AUDIT_KEY, is accepted
                await app.on_startup[0](app)
        finally:
            for hook in app.on_shutdown:
                await hook(app)
            release_app(app)
    with_env = await asyncio.to_thread(
        levee, "audit", "verify", db_url=url, data_dir=elsewhere, LEVEE_AUDIT_KEY=key
    )
    assert with_env.returncode == 0, with_env.stderr


async def test_repeated_failed_sign_ins_are_throttled_and_audited(world: World) -> None:
    for _ in range(5):
        r = await world.client.post(
            "/api/auth/login", json={"username": "eng1", "password": "guess", "device_name": "x"}
        )
        assert r.status_code == 401
    throttled = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "x"}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0 and "try again" in throttled.json()["detail"]
    other = await world.client.post(
        "/api/auth/login", json={"username": "eng2", "password": PASSWORD, "device_name": "x"}
    )
    assert other.status_code == 200
    failed = [e for e in await _entries(world) if e.action == "auth.login_failed"]
    assert len(failed) == 5 and all(e.entity_id == str(world.users["eng1"]) for e in failed)


async def test_no_passwords_or_tokens_reach_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    r = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "tablet"}
    )
    token = r.json()["token"]
    await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": "wrong-one", "device_name": "x"}
    )
    await world.client.get("/api/jobs", headers={"Authorization": f"Bearer {token}"})
    await world.client.get("/api/jobs", headers={"Authorization": "Bearer forged-token-value"})
    await world.client.post("/api/jobs", content=b"{bad json", headers={"Authorization": f"Bearer {token}"})
    logged = caplog.text
    for secret in (PASSWORD, "wrong-one", token, "forged-token-value"):
        assert secret not in logged


async def test_wrong_current_passwords_are_throttled_per_token_and_per_account(world: World) -> None:
    async def device(username: str, name: str) -> dict[str, str]:
        body = {"username": username, "password": PASSWORD, "device_name": name}
        r = await world.client.post("/api/auth/login", json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    async def change(headers: dict[str, str], old: str) -> httpx.Response:
        body = {"old_password": old, "new_password": "a-brand-new-pass"}
        return await world.client.post("/api/auth/password", json=body, headers=headers)

    stolen, second, third = [await device("qa", f"tablet {n}") for n in range(3)]
    for _ in range(5):
        assert (await change(stolen, "guess")).status_code == 422
    refused = await change(stolen, PASSWORD)  # even the right one: past the limit it is not checked
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "try again" in refused.json()["detail"]
    for _ in range(5):  # another token of the same account has its own five
        assert (await change(second, "guess")).status_code == 422
    assert (await change(third, PASSWORD)).status_code == 429  # the account's ten are used up
    other = await change(await device("dispatcher", "pc"), PASSWORD)
    assert other.status_code == 200, other.text
    me = await world.client.post(
        "/api/auth/login", json={"username": "qa", "password": PASSWORD, "device_name": "x"}
    )
    assert me.status_code == 200  # the password did not change


async def _login_from(world: World, address: str, password: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=world.app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://levee.test") as client:
        body = {"username": "eng1", "password": password, "device_name": "x"}
        return await client.post("/api/auth/login", json=body)


async def test_an_overlong_client_address_is_cut_and_its_failures_still_count(world: World) -> None:
    address = "203.0.113.7, " + "f" * 120  # what a forged X-Forwarded-For makes of the client address
    for _ in range(5):
        assert (await _login_from(world, address, "guess")).status_code == 401
    assert (await _login_from(world, address, PASSWORD)).status_code == 429
    async with world.app.state.sessionmaker() as s:
        kept = (await s.scalars(select(LoginFailure.ip))).all()
    assert kept == [address[:64]] * 5


async def test_a_failed_sign_in_that_cannot_be_recorded_is_refused_not_a_500(world: World) -> None:
    refuse = (
        [
            "CREATE FUNCTION no_failures() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
            "CREATE TRIGGER no_failures BEFORE INSERT ON login_failures "
            "FOR EACH ROW EXECUTE FUNCTION no_failures()",
        ]
        if world.app.state.engine.dialect.name == "postgresql"
        else [
            "CREATE TRIGGER no_failures BEFORE INSERT ON login_failures "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ]
    )
    async with world.app.state.sessionmaker() as s:
        for statement in refuse:
            await s.execute(text(statement))
        await s.commit()
    before = await _entries(world)
    r = await _login_from(world, "192.0.2.1", "guess")
    assert r.status_code == 503 and "not possible right now" in r.json()["detail"], r.text
    assert r.headers["retry-after"] == "60"
    assert len(await _entries(world)) == len(before)  # nothing half-written


async def test_guessing_elsewhere_backs_off_that_address_without_locking_out_the_owner(world: World) -> None:
    owner, attacker = "192.0.2.10", "203.0.113.66"
    assert (await _login_from(world, owner, PASSWORD)).status_code == 200  # the owner's known device
    for _ in range(5):
        assert (await _login_from(world, attacker, "guess")).status_code == 401
    waited = await _login_from(world, attacker, PASSWORD)
    assert waited.status_code == 429 and 0 < int(waited.headers["retry-after"]) <= 31
    assert (await _login_from(world, owner, PASSWORD)).status_code == 200  # not locked out
    async with world.app.state.sessionmaker() as s:  # the 30 s pass
        for failure in (await s.scalars(select(LoginFailure))).all():
            failure.at -= timedelta(seconds=31)
        await s.commit()
    assert (await _login_from(world, attacker, "guess")).status_code == 401  # one more try, checked
    doubled = await _login_from(world, attacker, PASSWORD)
    assert doubled.status_code == 429 and 31 < int(doubled.headers["retry-after"]) <= 61
    # A spread attack (20 failures from many addresses) stops unknown addresses, not the owner's.
    for n in range(14):  # 6 from the attacker's address so far
        assert (await _login_from(world, f"198.51.100.{n}", "guess")).status_code == 401
    assert (await _login_from(world, "198.51.100.200", PASSWORD)).status_code == 429
    assert (await _login_from(world, owner, PASSWORD)).status_code == 200
    lockouts = [e for e in await _entries(world) if e.action == "auth.lockout"]
    assert [e.detail["ip"] for e in lockouts] == [attacker]


async def test_a_trail_from_before_the_key_lets_the_server_start_and_verify_says_so(
    world: World, tmp_path: Path
) -> None:
    await _four_entry_chain(world)
    await _tamper(world)  # what an older version wrote: the same chain, plain SHA-256
    async with world.app.state.sessionmaker() as s:
        prev = GENESIS
        for entry in (await s.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all():
            entry.prev_hash, entry.hash = prev, entry_hash(prev, entry)
            prev = entry.hash
        await s.commit()
    url = world.app.state.engine.url.render_as_string(hide_password=False)
    app = reuse_app(Settings(data_dir=tmp_path, database_url=url, schedule_interval_s=0), make_engine(url))
    try:
        await app.on_startup[0](app)  # starts: the upgrade path is not blocked
    finally:
        for hook in app.on_shutdown:
            await hook(app)
        release_app(app)
    done = await asyncio.to_thread(_levee_audit, world, tmp_path, "verify")
    assert done.returncode == 1 and "entry 1 is not sealed with the audit key" in done.stderr, done.stderr
