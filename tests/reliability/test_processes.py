"""The process harness tells a crashed start from a slow one, with the server's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import Server, ServerDidNotStart

pytestmark = pytest.mark.serial


def test_a_server_that_exits_at_start_is_reported_with_its_code_and_log(tmp_path: Path) -> None:
    server = Server("mysql://nobody@127.0.0.1/none", tmp_path / "server")
    with pytest.raises(ServerDidNotStart) as failed:
        server.start(budget=60)  # it exits in seconds; a crash taken for a slow start would wait it out
    message = str(failed.value)
    assert "exited rc=" in message and "slow" not in message
    assert "mysql" in message  # the tail of the server's log says what it refused
    assert server.log.exists()


def test_a_server_still_starting_when_the_budget_ends_is_reported_as_slow(tmp_path: Path) -> None:
    server = Server(f"sqlite+aiosqlite:///{tmp_path / 'levee.db'}", tmp_path / "server")
    try:
        with pytest.raises(ServerDidNotStart, match=r"server slow: still running"):
            server.start(budget=0)
        server.stop()
        server.start()  # the same server comes up again within the normal budget
        assert server.starts == 2 and "=== start 2 on port" in server.log.read_text()
    finally:
        server.stop()
