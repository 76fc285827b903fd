"""Van stock end to end in real browsers: a warehouse clerk transfers parts to a van in the console, the
engineer sees them in the field app, uses one while the server is down, and after sync the clerk sees
the van's new balance. Server, console and field app are separate processes on demo data. Set
``LEVEE_SCREENSHOTS=docs/screenshots`` to keep the pictures (van.png, console-stock-van.png).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.browser import ConsoleDriver, ConsoleStack, running_stack
from tests.mobile.browser import Driver, Proc, chromium_pages, free_port, wait_http, zh

pytestmark = pytest.mark.browser
ENGINEER = "eng01"
#: shots kept when LEVEE_SCREENSHOTS is set: the field app's van after the transfer, the console after sync
SHOTS = {"van-after-transfer.png": "van.png", "console-van-after-sync.png": "console-stock-van.png"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with running_stack(tmp_path_factory.mktemp("van-transfer"), keep=SHOTS) as s:
        yield s


@pytest.fixture(scope="module")
def field_app(stack: ConsoleStack) -> Iterator[str]:
    port = free_port()
    app = Proc(
        [
            "-m",
            "server.cli",
            "app",
            "--server",
            stack.server_url,
            "--port",
            str(port),
            "--data-dir",
            str(stack.tmp / "app"),
        ],
        stack.tmp / "app.log",
        env={"LEVEE_APP_RUNNER": '{"backoff_base": 600, "backoff_max": 600, "long_poll": 5}'},
    )
    app.start()
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.stop()


def _items(body: Any) -> list[dict[str, Any]]:
    return list(body["items"] if isinstance(body, dict) else body)


def _part_in_new_store(stack: ConsoleStack) -> dict[str, Any]:
    stores = {s["id"]: s for s in _items(stack.get("/api/stock/stores", username="warehouse"))}
    balances = _items(stack.get("/api/stock/balances", username="warehouse"))
    plenty = [
        b for b in balances if stores.get(b["store_id"], {}).get("kind") == "new" and b["quantity"] >= 5
    ]
    assert plenty, "the demo's new-parts store holds nothing to transfer"
    return dict(sorted(plenty, key=lambda b: b["part_code"])[0])


def _van_balance(stack: ConsoleStack, part_id: str) -> int:
    """The engineer's van balance of one part, as the API tells the engineer (who sees only their van)."""
    vans = {s["id"] for s in _items(stack.get("/api/stock/stores", username=ENGINEER)) if s["kind"] == "van"}
    assert len(vans) == 1, vans
    balances = _items(stack.get("/api/stock/balances", username=ENGINEER, part_id=part_id))
    mine = [b for b in balances if b["store_id"] in vans]
    return int(mine[0]["quantity"]) if mine else 0


def _console_row(d: Driver, code: str, name: str, unit: str, quantity: int, timeout: float = 60.0) -> str:
    """Wait until the van's panel on the console shows the part's row with ``quantity``.

    The stores are a long list: Flutter exposes only what is near the viewport, and may rebuild it
    while the console refreshes, so the page is scrolled (down, then from the top again) until the
    engineer's van is there and read at once.
    """
    row = re.compile(r"\s*".join(re.escape(x) for x in (code, name, unit)) + r"\s*(-?\d+)")
    panel = d.by_id(f"store-{ENGINEER}")
    deadline = time.monotonic() + timeout
    text, scrolls = "", 0
    while time.monotonic() < deadline:
        if panel.count():
            with contextlib.suppress(Exception):
                text = str(
                    panel.evaluate(
                        "e => [e.getAttribute('aria-label') || '', e.innerText || '', ...Array.from("
                        "e.querySelectorAll('[aria-label]')).map(x => x.getAttribute('aria-label'))].join(' ')",
                        timeout=2000,
                    )
                )
            found = row.search(text)
            if found and int(found.group(1)) == quantity:
                return text
            # The panel's title is built but its rows may not be (they are below the viewport: more
            # stores above it since the transit store and the shortage alert): bring its top near the
            # top of the screen, where its rows are built.
            box = None
            with contextlib.suppress(Exception):
                box = panel.bounding_box(timeout=1000)
            if box and not 130 <= box["y"] <= 400:
                d.page.mouse.move(680, 900)
                d.page.mouse.wheel(0, box["y"] - 200)
            time.sleep(0.3)
            continue
        d.page.mouse.move(680, 900)
        scrolls += 1
        d.page.mouse.wheel(0, -30000 if scrolls % 40 == 0 else 400)
        time.sleep(0.3)
    d.shot("console-van-missing")
    raise AssertionError(f"the console's van panel never showed {code} × {quantity}: {text!r}")


def test_a_clerk_transfers_to_a_van_the_engineer_uses_one_offline_and_the_clerk_sees_the_balance(
    stack: ConsoleStack, field_app: str
) -> None:
    part = _part_in_new_store(stack)
    code, part_id = part["part_code"], part["part_id"]
    before = _van_balance(stack, part_id)
    jobs = [
        j
        for j in _items(stack.get("/api/jobs", username=ENGINEER))
        if j["status"] not in ("closed", "cancelled")
    ]
    assert jobs, f"{ENGINEER} has no open job in the demo data"
    number = jobs[0]["number"]

    with chromium_pages((1360, 1500), (1280, 1400)) as (office_page, tablet_page):
        console = ConsoleDriver(office_page, stack.tmp / "shots")
        tablet = Driver(tablet_page, stack.tmp / "shots")

        # The engineer signs in on the tablet; the van shows what it held.
        tablet.open(field_app)
        tablet.sign_in(ENGINEER, "van-open")
        tablet.open_van()
        if before:
            tablet.van_quantity(code, before)

        # The clerk transfers two units from the new-parts store to the engineer's van.
        console.open(stack.console_url)
        console.sign_in("warehouse", "nav-stock")
        console.tap("nav-stock")
        console.tap("stock-tab-transfer")
        console.tap("xfer-from-new")
        console.tap(f"xfer-part-{code}")
        console.tap(f"xfer-to-{ENGINEER}")
        console.type_into(zh("console.stock.quantity"), "2")
        console.tap("xfer-submit")
        console.wait_text("xfer-result", part["part_name"])
        assert _van_balance(stack, part_id) == before + 2

        # The tablet hears of it (long-poll or "sync now") and shows two more in the van.
        tablet.button(zh("app.sync.now")).click()
        tablet.van_quantity(code, before + 2, timeout=60)
        tablet.shot("van-after-transfer")

        # The server goes down; the engineer uses one on a job, offline.
        tablet.back()
        tablet.type_into(zh("app.jobs.search"), number)
        stack.server.stop(hard=True)
        assert tablet.record_part_use(number, code, 1) == ""  # two in the van: no warning
        tablet.wait_text("sync-state", zh("app.sync.offline"))
        tablet.open_van()
        tablet.van_quantity(code, before + 1)  # what the tablet believes, before the server knows
        tablet.shot("van-offline-use")

        # The server is back; the tablet syncs; the clerk sees the van's balance.
        stack.server.start()
        wait_http(f"{stack.server_url}/health")
        tablet.button(zh("app.sync.now")).click()
        tablet.wait_text("sync-pending", zh("app.sync.all_sent"), timeout=60)
        assert _van_balance(stack, part_id) == before + 1
        console.tap("stock-tab-transfer")  # the balances are read again when their tab opens
        console.tap("stock-tab-balances")
        _console_row(console, code, part["part_name"], part["unit"], before + 1)
        box = console.by_id(f"store-{ENGINEER}").bounding_box()
        if box:  # the van's panel near the top of the picture
            console.page.mouse.move(680, 900)
            console.page.mouse.wheel(0, box["y"] - 160)
        console.shot("console-van-after-sync")
        tablet.van_quantity(code, before + 1)
