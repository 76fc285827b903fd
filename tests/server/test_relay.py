"""The console names the browser a sign-in comes from, and the server believes it only with the relay key
(issue 13 item 12): over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from server.db.engine import make_engine
from server.db.models import AuditEntry, LoginFailure
from server.settings import Settings
from shared.relay import CLIENT_HEADER, KEY_FILE, RELAY_HEADER
from tests.processes import ENV, ROOT
from tests.support import PASSWORD, World, release_app, reuse_app

CONSOLE = "127.0.0.1"  # the console's own address: the same for every office user
BROWSER_A, BROWSER_B = "198.51.100.21", "198.51.100.22"


def _key(world: World) -> str:
    return (world.app.state.settings.data_dir / KEY_FILE).read_text(encoding="ascii").strip()


async def _sign_in(world: World, password: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=world.app, client=(CONSOLE, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://levee.test") as client:
        body = {"username": "dispatcher", "password": password, "device_name": "后台浏览器"}
        return await client.post("/api/auth/login", json=body, headers=headers)


async def _failure_addresses(world: World) -> list[str]:
    async with world.app.state.sessionmaker() as s:
        return list((await s.scalars(select(LoginFailure.ip))).all())


async def test_with_the_key_one_browsers_typos_do_not_slow_another_browser(world: World) -> None:
    path = world.app.state.settings.data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # made by the server at its start, for its own user
    key = _key(world)
    assert len(key) >= 32
    for _ in range(5):  # typos in browser A
        r = await _sign_in(world, "typo", {RELAY_HEADER: key, CLIENT_HEADER: BROWSER_A})
        assert r.status_code == 401, r.text
    waits = await _sign_in(world, PASSWORD, {RELAY_HEADER: key, CLIENT_HEADER: BROWSER_A})
    assert waits.status_code == 429 and 0 < int(waits.headers["retry-after"]) <= 31  # A backs off
    r = await _sign_in(world, PASSWORD, {RELAY_HEADER: key, CLIENT_HEADER: BROWSER_B})
    assert r.status_code == 200, r.text  # B, through the same console process, is not slowed
    assert await _failure_addresses(world) == [BROWSER_A] * 5
    async with world.app.state.sessionmaker() as s:
        entries = (await s.scalars(select(AuditEntry).where(AuditEntry.action.like("auth.%")))).all()
    assert {e.action: e.detail["ip"] for e in entries} == {
        "auth.login_failed": BROWSER_A,
        "auth.lockout": BROWSER_A,
        "auth.login": BROWSER_B,
    }
    assert not any(key in repr(e.detail) for e in entries)  # the key is never written down
    overlong = "203.0.113.9, " + "f" * 120
    r = await _sign_in(world, "typo", {RELAY_HEADER: key, CLIENT_HEADER: overlong})
    assert r.status_code == 401
    assert (await _failure_addresses(world))[-1] == overlong[:64]


@pytest.mark.parametrize(
    "relay",
    [None, "", "wrong", "0" * 64, "key-with-a-tail"],
    ids=["no key", "empty key", "short wrong key", "wrong key of the right length", "key plus more"],
)
async def test_without_the_key_the_named_address_is_ignored(world: World, relay: str | None) -> None:
    key = _key(world)
    sent = key + "x" if relay == "key-with-a-tail" else relay
    headers = {CLIENT_HEADER: BROWSER_A} | ({RELAY_HEADER: sent} if sent is not None else {})
    for n in range(5):  # each try names another browser: all count against the console's address
        headers[CLIENT_HEADER] = f"198.51.100.{30 + n}"
        assert (await _sign_in(world, "typo", headers)).status_code == 401
    headers[CLIENT_HEADER] = BROWSER_B
    assert (await _sign_in(world, PASSWORD, headers)).status_code == 429
    assert await _failure_addresses(world) == [CONSOLE] * 5


async def test_a_key_from_the_environment_is_used_and_a_short_one_stops_the_start(
    world: World, tmp_path: Path
) -> None:
    url = world.app.state.engine.url.render_as_string(hide_password=False)
    key = "k" * 40
    settings = Settings(data_dir=tmp_path / "env", database_url=url, schedule_interval_s=0)
    settings.relay_key = SecretStr(key)  # as LEVEE_RELAY_KEY sets it
    app = reuse_app(settings, make_engine(url))
    try:
        await app.on_startup[0](app)
        assert not (tmp_path / "env" / KEY_FILE).exists()  # the file is only for a server without the key
        transport = httpx.ASGITransport(app=app, client=(CONSOLE, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://levee.test") as client:
            body = {"username": "dispatcher", "password": "typo", "device_name": "x"}
            headers = {RELAY_HEADER: key, CLIENT_HEADER: BROWSER_A}
            assert (await client.post("/api/auth/login", json=body, headers=headers)).status_code == 401
            headers[RELAY_HEADER] = _key(world)  # the file of another installation is not this key
            assert (await client.post("/api/auth/login", json=body, headers=headers)).status_code == 401
    finally:
        for hook in app.on_shutdown:
            await hook(app)
        release_app(app)
    assert sorted(await _failure_addresses(world)) == sorted([BROWSER_A, CONSOLE])
    short = "s3cret-but-short"
    settings = Settings(data_dir=tmp_path / "short", database_url=url, schedule_interval_s=0)
    settings.relay_key = SecretStr(short)
    app = reuse_app(settings, make_engine(url))
    try:
        with pytest.raises(ValueError, match="LEVEE_RELAY_KEY is too short") as refused:
            await app.on_startup[0](app)
        assert short not in str(refused.value)
    finally:
        for hook in app.on_shutdown:
            await hook(app)
        release_app(app)


def test_levee_serve_refuses_a_short_relay_key_in_words(tmp_path: Path) -> None:
    short = "s3cret-but-short"
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--data-dir", str(tmp_path), "--port", "9"],
        cwd=ROOT,
        env={**ENV, "LEVEE_RELAY_KEY": short},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "LEVEE_RELAY_KEY is too short" in done.stderr and "Traceback" not in done.stderr
    assert short not in done.stdout + done.stderr
