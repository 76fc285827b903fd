"""A second browser on a signed-in field app asks for the password first (issue 13, item 1), in Chromium.

The engineer signs in in one browser; another browser (another person's, or one a hostile page could
script) opens the same ``levee app`` with the server gone: it sees the unlock screen and no job, a
wrong password is refused, the right one opens the jobs, and the device stayed signed in throughout.
"""

from __future__ import annotations

import pytest

from mobile.replica.store import Replica
from tests.mobile.browser import Driver, Stack, chromium_page, require_browser, zh
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


def test_a_second_browser_must_give_the_password_and_finds_the_work_kept(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    require_browser()
    stack = Stack(tmp_path_factory.mktemp("unlock"))
    stack.prepare()
    stack.start_server()
    stack.start_app()
    try:
        job = stack.create_job(symptom="排涝泵出水量不足")
        landed = f"job-{job['number']}"
        with chromium_page() as page:
            first = Driver(page, stack.tmp / "shots")
            first.open(stack.app_url)
            first.sign_in("eng1", landed)
        stack.server.stop(hard=True)  # offline from here on: the unlock must not need the server

        with chromium_page() as page:
            second = Driver(page, stack.tmp / "shots")
            second.open(stack.app_url)
            second.by_id("unlock").wait_for(timeout=60_000)
            second.shot("unlock")
            assert second.by_id(landed).count() == 0, "the jobs showed before the password"
            second.type_into(zh("app.signin.password"), "not-the-password", within="unlock-password")
            second.tap("unlock-submit")
            second.wait_text("unlock-error", zh("error.unlock_wrong"), timeout=60)
            assert second.by_id(landed).count() == 0
            second.type_into(zh("app.signin.password"), PASSWORD, within="unlock-password")
            second.tap("unlock-submit")
            second.by_id(landed).wait_for(timeout=60_000)
    finally:
        stack.stop()
    replica = Replica(stack.tmp / "app" / "replica.db")
    try:
        assert replica.get_meta("token"), "the device stayed signed in"
    finally:
        replica.close()
