"""Only the web apps' own pages may drive them (issue 13, item 1).

The review's attack: a page from another origin, opened in the engineer's browser, opened the field
app's ``/ws``, got a session already signed in as the engineer, read the job list and tapped 接单.
Here, against real ``levee app`` and ``levee console`` processes and a raw Flet client that sends what a
browser's would (any ``Origin``, ``Host`` or cookie):

* a foreign origin, no origin, another port of the same host, and a DNS-rebinding host are refused
  (HTTP 403) by both apps; a state-changing HTTP request from a foreign origin too;
* the apps' own pages work, and so does an origin allowed with ``--allow-origin`` (a reverse proxy);
* a new field-app session in a browser that did not sign in (no cookie, or another one) shows the
  unlock screen and none of the engineer's data; the browser that signed in sees the jobs; the
  replica, its token and the outbox are untouched either way;
* the console's new sessions start signed out.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from mobile.replica.store import Replica
from mobile.services.session import DeviceSession
from shared.i18n import translate
from tests.mobile.browser import Stack
from tests.support import PASSWORD
from tests.webapps import Program, flet_session, free_port
from ui.web.guard import browser_digest

BOUND_KEY = "b" * 43  # the cookie of the browser that signed the device in
OTHER_KEY = "o" * 43
PROXY = "https://levee.example.com"


def zh(key: str, **params: Any) -> str:
    return translate("zh-CN", key, **params)


class Apps:
    def __init__(self, tmp: Path) -> None:
        self.stack = Stack(tmp)
        self.console_port = free_port()
        self.console = Program(
            ["-m", "server.cli", "console", "--server", "http://127.0.0.1:9", "--port", str(self.console_port),
             "--allow-origin", PROXY],
            tmp / "console.log",
        )  # fmt: skip
        self.job: dict[str, Any] = {}

    @property
    def app_port(self) -> int:
        return self.stack.app_port

    def port(self, which: str) -> int:
        return self.app_port if which == "app" else self.console_port

    def own(self, which: str) -> str:
        return f"http://127.0.0.1:{self.port(which)}"

    def replica(self) -> Replica:
        return Replica(self.stack.tmp / "app" / "replica.db")


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    a = Apps(tmp_path_factory.mktemp("door"))
    a.stack.prepare()
    a.stack.start_server()
    a.job = a.stack.create_job(symptom="排涝泵出水量不足")

    async def sign_in() -> None:  # the engineer signed in from "their" browser, then tapped offline
        session = DeviceSession(a.stack.tmp / "app")
        signed = await session.sign_in(
            a.stack.server_url, "eng1", PASSWORD, "tablet", browser=browser_digest(BOUND_KEY)
        )
        assert await signed.runner.sync_once()
        await signed.runner.aclose()
        signed.actions.edit(uuid.UUID(a.job["id"]), notes="离线写的备注")
        session.replica.close()

    asyncio.run(sign_in())
    a.stack.server.stop(hard=True)  # the outbox keeps the note: nothing may send or drop it here
    a.stack.start_app()
    a.console.start().wait_until_it_answers(a.own("console") + "/")
    try:
        yield a
    finally:
        a.stack.stop()
        a.console.kill_all()


def _refused(port: int, headers: dict[str, str]) -> int:
    try:
        flet_session(port, headers, budget=30)
    except websockets.InvalidStatus as exc:
        return int(exc.response.status_code)
    return 101


@pytest.mark.parametrize("which", ["app", "console"])
def test_a_foreign_page_cannot_open_either_app(apps: Apps, which: str) -> None:
    port = apps.port(which)
    assert _refused(port, {"Origin": "http://evil.example"}) == 403
    assert _refused(port, {"Origin": "null"}) == 403  # a sandboxed frame or a file:// page
    assert _refused(port, {}) == 403  # a browser always sends an Origin on a WebSocket
    assert _refused(port, {"Origin": f"http://127.0.0.1:{free_port()}"}) == 403  # another local app
    rebinding = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    assert _refused(port, rebinding) == 403  # a name that resolves to 127.0.0.1 is not this app's
    post = httpx.post(f"{apps.own(which)}/", headers={"Origin": "http://evil.example"}, content=b"x")
    assert post.status_code == 403


@pytest.mark.parametrize("which", ["app", "console"])
def test_the_apps_own_pages_get_the_browser_key_and_no_frame(apps: Apps, which: str) -> None:
    page = httpx.get(f"{apps.own(which)}/")
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"levee_{which}_{apps.port(which)}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert page.headers["x-frame-options"] == "DENY"
    again = httpx.get(f"{apps.own(which)}/", headers={"Cookie": cookie.split(";")[0]})
    assert "set-cookie" not in again.headers  # a browser keeps its key


def test_the_console_opens_for_its_own_origin_and_an_allowed_one_never_signed_in(apps: Apps) -> None:
    own = flet_session(apps.console_port, {"Origin": apps.own("console")})
    proxied = flet_session(
        apps.console_port, {"Origin": PROXY, "Host": "levee.example.com", "X-Forwarded-Proto": "https"}
    )
    for seen in (own, proxied):
        assert zh("console.signin.title") in seen, sorted(seen)[:40]
        assert zh("console.nav.board") not in seen


def test_a_browser_that_did_not_sign_in_sees_the_unlock_screen_and_none_of_the_engineers_data(
    apps: Apps,
) -> None:
    replica = apps.replica()
    token, pending = replica.get_meta("token"), replica.pending_count()
    replica.close()
    origin = {"Origin": apps.own("app")}
    cookie = f"levee_app_{apps.app_port}"
    for headers in (origin, {**origin, "Cookie": f"{cookie}={OTHER_KEY}"}):
        seen = flet_session(apps.app_port, headers)
        assert zh("app.unlock.title") in seen, sorted(seen)[:40]
        leaked = {apps.job["number"], "城东排涝泵站", "临川区水利局", zh("app.jobs.title")} & seen
        assert not leaked, leaked
    bound = flet_session(apps.app_port, {**origin, "Cookie": f"{cookie}={BOUND_KEY}"})
    assert zh("app.unlock.title") not in bound
    assert any(apps.job["number"] in text for text in bound), sorted(bound)[:60]
    replica = apps.replica()
    try:  # still signed in, the unsent note still waiting: asking for the password changed nothing
        assert replica.get_meta("token") == token and replica.pending_count() == pending == 1
    finally:
        replica.close()
