"""The console's sign-in names the page's browser to its server with the relay key (issue 13 item 12),
in-process against the real app on SQLite and PostgreSQL; a server typed on the sign-in page never gets
the key."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from console.api import ApiError
from console.state import ConsoleState, Office
from server.cli import build_parser
from server.db.models import AuditEntry, LoginFailure
from server.webapps import CONSOLE_PORT, console_command
from shared.relay import KEY_FILE
from tests.support import PASSWORD, World

CONSOLE = "127.0.0.1"  # the console process's address, as the server sees it


def office_at(world: World, browser: str) -> Office:
    """One open console page, as ``console.main`` makes it: the key file beside the server, and
    the browser's address from Flet's ``page.client_ip``."""
    key_file = world.app.state.settings.data_dir / KEY_FILE
    office = Office(
        ConsoleState(),
        "http://levee.test",
        ZoneInfo("Asia/Shanghai"),
        transport=httpx.ASGITransport(app=world.app, client=(CONSOLE, 40000)),
        relay_key=lambda: key_file.read_text(encoding="ascii").strip(),
    )
    office.client_address = browser
    return office


async def _failures(world: World) -> list[str]:
    async with world.app.state.sessionmaker() as s:
        return list((await s.scalars(select(LoginFailure.ip).order_by(LoginFailure.at))).all())


async def test_the_consoles_sign_in_names_the_pages_browser(world: World) -> None:
    typist, colleague = office_at(world, "192.0.2.41"), office_at(world, "192.0.2.42")
    for _ in range(5):
        with pytest.raises(ApiError) as wrong:
            await typist.sign_in("http://levee.test/", "dispatcher", "typo", "后台浏览器")
        assert wrong.value.code == "wrong_password"
    with pytest.raises(ApiError) as waits:
        await typist.sign_in("http://levee.test", "dispatcher", PASSWORD, "后台浏览器")
    assert waits.value.code == "throttled"
    await colleague.sign_in("http://levee.test", "dispatcher", PASSWORD, "后台浏览器")  # not slowed
    assert colleague.state.signed_in
    assert await _failures(world) == ["192.0.2.41"] * 5
    async with world.app.state.sessionmaker() as s:
        login = await s.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login"))
    assert login is not None and login.detail["ip"] == "192.0.2.42"
    await colleague.sign_out()


async def test_a_server_typed_on_the_sign_in_page_gets_no_key(world: World) -> None:
    sent: list[httpx.Request] = []

    class Watch(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return await super().handle_async_request(request)

    office = office_at(world, "192.0.2.41")
    office.transport = Watch(app=world.app, client=(CONSOLE, 40000))
    with pytest.raises(ApiError):
        await office.sign_in("http://elsewhere.test", "dispatcher", "typo", "x")
    assert sent and all("x-levee-relay" not in r.headers and "x-levee-client" not in r.headers for r in sent)
    assert await _failures(world) == [CONSOLE]
    office.client_address = ""  # a page whose address Flet did not know: nothing is named
    sent.clear()
    with pytest.raises(ApiError):
        await office.sign_in("http://levee.test", "dispatcher", "typo", "x")
    assert sent and "x-levee-relay" not in sent[0].headers
    assert await _failures(world) == [CONSOLE, CONSOLE]


def test_levee_console_and_the_demo_hand_the_console_the_key_files_path_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEVEE_DATA_DIR", str(tmp_path))
    args = build_parser().parse_args(["console", "--trusted-proxy", "10.0.0.9"])
    command = console_command(
        "http://127.0.0.1:8000",
        CONSOLE_PORT,
        "127.0.0.1",
        None,
        relay_key_file=tmp_path / KEY_FILE,
        proxies=args.trusted_proxy,
    )
    assert command[-4:] == ["--relay-key-file", str(tmp_path / KEY_FILE), "--trusted-proxy", "10.0.0.9"]
    parsed = build_parser().parse_args(["console"])
    assert parsed.relay_key_file is None  # cmd_console then takes $LEVEE_DATA_DIR/relay.key
