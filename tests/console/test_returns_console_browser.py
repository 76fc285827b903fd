"""Returns and exchanges in a real browser, against a real server on demo data, as the two roles that
finish one: the manager decides an appraised exchange request (the parts ledger moves the faulty units
into the 旧件库 and the replacement out of the 新件库), then the service desk has the customer sign the
decision on the signature pad. What the screen did is checked through the API. Set
``LEVEE_SCREENSHOTS=docs/screenshots`` to keep the picture (console-returns.png).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.browser import ConsoleDriver, ConsoleStack, running_stack
from tests.mobile.browser import chromium_page, zh

pytestmark = pytest.mark.browser
SIGNATURE = [(40, 150), (80, 60), (120, 150), (160, 70), (200, 140), (260, 90), (320, 130), (400, 80)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_stack(tmp_path_factory.mktemp("returns")) as s:
        yield s


def test_a_manager_decides_an_exchange_and_the_customer_signs_it_at_the_desk(stack: ConsoleStack) -> None:
    waiting = stack.get("/api/returns", status="appraised")
    request = next(r for r in waiting if r["kind"] == "exchange")
    number = request["number"]
    with chromium_page(width=1360, height=1500) as page:
        d = ConsoleDriver(page, stack.tmp / "shots")
        d.open(stack.console_url)

        d.sign_in("manager", "nav-board")
        d.tap("nav-returns")
        d.press_until(f"returns-pick-{number}", "decide-exchange")
        d.press("decide-exchange")
        d.press("decide-save")
        d.wait_text("notice", zh("console.returns.decided", number=number))
        decided = stack.get(f"/api/returns/{request['id']}")
        assert (decided["status"], decided["decision"], len(decided["movement_ids"])) == (
            "decided",
            "exchange",
            2,
        )
        moved = {m["id"]: m for m in stack.get("/api/stock/movements", limit=50)["items"]}
        assert sorted(moved[i]["kind"] for i in decided["movement_ids"]) == ["exchange_out", "return_old"]

        d.tap("sign-out")
        d.sign_in("dispatcher", "nav-board")
        d.tap("nav-returns")
        d.press_until(f"returns-pick-{number}", "signature-pad")
        d.type_into(zh("console.returns.signer"), "刘站长")
        d.reveal("signature-pad")
        d.drag("signature-pad", SIGNATURE)
        d.press("sign-save")
        d.wait_text("notice", zh("console.returns.completed", number=number))
        done = stack.get(f"/api/returns/{request['id']}")
        assert (done["status"], done["signer_name"]) == ("completed", "刘站长")
        assert done["signature"].startswith("M ") and done["signature"].count("L ") >= 5
        d.reveal("signature-shown")
        d.shot("console-returns")
