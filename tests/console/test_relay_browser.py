"""In a real browser: the console (``levee console`` beside the server, reading its relay.key) names the
browser's address to the server at sign-in, so a typo counts against that browser, not against the
console's own address that every office user shares (issue 13 item 12).

The console is served on ``::1`` and the server on ``127.0.0.1``: the browser reaches the console from
``::1`` and the console reaches the server from ``127.0.0.1``, so the two addresses differ on one machine.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from server.db.engine import make_engine
from server.db.models import LoginFailure
from shared.relay import KEY_FILE
from tests.console.browser import ConsoleDriver, ConsoleStack
from tests.mobile.browser import Proc, chromium_page, require_browser, wait_http, zh

pytestmark = pytest.mark.browser


async def _failures(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.scalars(select(LoginFailure.ip))).all())
    finally:
        await engine.dispose()


def _typo_in_the_console(
    tmp_path: Path, host: str, extra: list[str], headers: dict[str, str] | None = None
) -> list[str]:
    """Start the server and ``levee console`` on ``host`` beside it, type a wrong password in Chromium
    (sending ``headers`` with every request, the WebSocket's included): the addresses the server counted."""
    require_browser()
    stack = ConsoleStack(tmp_path)
    key_file = tmp_path / "server" / KEY_FILE  # the server's data directory (ConsoleStack)
    port = str(stack.console_port)
    stack.console = Proc(
        ["-m", "server.cli", "console", "--server", stack.server_url, "--host", host, "--port", port, *extra],
        tmp_path / "console.log",
    )
    console_url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    stack.prepare()
    stack.server.start()
    stack.console.start()
    try:
        wait_http(f"{stack.server_url}/health")
        wait_http(console_url)
        with chromium_page() as page:
            if headers:
                page.set_extra_http_headers(headers)
            d = ConsoleDriver(page, tmp_path / "shots")
            d.open(console_url)
            d.type_into(zh("app.signin.username"), "dispatcher")
            d.type_into(zh("app.signin.password"), "not-the-password")
            d.button(zh("app.signin.submit")).click()
            d.wait_text("signin-error", zh("error.console.wrong_password"), timeout=60)
    finally:
        stack.stop()
    assert key_file.exists()
    return asyncio.run(_failures(stack.db_url))


def test_a_typo_in_the_console_counts_against_the_browsers_address(tmp_path: Path) -> None:
    key_file = tmp_path / "server" / KEY_FILE
    counted = _typo_in_the_console(tmp_path, "::1", ["--relay-key-file", str(key_file)])
    assert counted == ["::1"]  # the browser's, not the console's 127.0.0.1


@pytest.mark.parametrize(
    ("proxy", "seen"),
    [(None, "127.0.0.1"), ("127.0.0.1", "203.0.113.99")],
    ids=["no proxy configured", "console behind a proxy on 127.0.0.1"],
)
def test_a_browser_cannot_choose_the_address_the_console_names(
    tmp_path: Path, proxy: str | None, seen: str
) -> None:
    """On the console's own machine (127.0.0.1, uvicorn's default trusted proxy) a forged
    X-Forwarded-For is believed only when the console is told that a proxy sits there."""
    extra = ["--relay-key-file", str(tmp_path / "server" / KEY_FILE)]
    extra += ["--trusted-proxy", proxy] if proxy else []
    counted = _typo_in_the_console(tmp_path, "127.0.0.1", extra, {"X-Forwarded-For": "203.0.113.99"})
    assert counted == [seen]
