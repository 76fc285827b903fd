"""The notification centre and the escalation rules in a real browser, against a real server on demo data.

The dispatcher sees the unread count in the navigation (the demo's rules told them of its major faults and
missed promises), opens the notification centre and clicks the newest notification: it is marked read
(the server says so), the job opens, and the count in the navigation drops to what the server counts. A
manager opens the rules and the log. Set ``LEVEE_SCREENSHOTS=docs/screenshots`` to keep the pictures
(console-notifications.png, console-escalation.png).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.browser import ConsoleDriver, ConsoleStack, running_stack
from tests.mobile.browser import chromium_page, zh

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_stack(tmp_path_factory.mktemp("escalation")) as s:
        yield s


def _unread(stack: ConsoleStack, username: str) -> int:
    return int(stack.get("/api/notifications/unread-count", username)["unread"])


def test_the_unread_count_shows_in_the_navigation_and_opening_a_notification_marks_it_read(
    stack: ConsoleStack,
) -> None:
    before, made_before = _unread(stack, "dispatcher"), len(stack.get("/api/notifications", "dispatcher"))
    assert before > 0  # the demo's rules told the dispatcher of something
    with chromium_page(width=1360, height=1300) as page:
        d = ConsoleDriver(page, stack.tmp / "shots")
        d.open(stack.console_url)
        d.sign_in("dispatcher", "nav-notifications")
        label = zh("console.nav.notifications")
        found = d.wait_match("nav-notifications", rf"{label}（(\d+)）")
        assert int(found.group(1)) == _unread(stack, "dispatcher")
        d.tap("nav-notifications")
        newest = stack.get("/api/notifications", "dispatcher")[0]
        assert newest["read_at"] is None
        d.reveal(f"note-{newest['id']}")
        d.shot("console-notifications")
        d.press(f"note-{newest['id']}")
        d.reveal("job-status")  # its job opened
        mine = stack.get("/api/notifications", "dispatcher")
        assert next(n for n in mine if n["id"] == newest["id"])["read_at"] is not None
        after = _unread(stack, "dispatcher")
        assert after == before - 1 + (len(mine) - made_before)  # one fewer, less any the scanner made since
        d.wait_match("nav-notifications", rf"{label}（{after}）" if after else rf"^\s*{label}\s*$")

        d.tap("sign-out")
        d.sign_in("manager", "nav-escalation")
        d.tap("nav-escalation")
        d.reveal("escalation-rules")
        d.wait_match("escalation-rules-panel", "重大故障及超时")
        d.shot("console-escalation")
