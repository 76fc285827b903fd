"""Returns and exchanges in a real browser, against a real server on demo data, as the roles that take
them: QA appraises a returned part and claims it back from its supplier to settlement; the manager decides an appraised exchange request (the parts ledger moves the faulty units
into the 旧件库 and the replacement out of the 新件库), then the service desk has the customer sign the
decision on the signature pad; the desk records what a customer spent repairing it themselves after a
missed on-site promise and the manager approves it. What the screen did is checked through the API. Set
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


def test_the_desk_records_a_self_repair_after_a_missed_on_site_promise_and_the_manager_approves_it(
    stack: ConsoleStack,
) -> None:
    """由用户着手处理，其风险和费用由我方负责: on the 三包退换 tab the dispatcher picks a job that missed its
    on-site promise, records the customer's self-repair with its amount and evidence (proposed, waiting
    for the manager); the manager approves it there. The server has the amount to the fen, who recorded
    it, and the manager's approval."""
    taken = {c["job_id"] for c in stack.get("/api/compensations")}
    missed = stack.get("/api/compensations/missed-onsite", username="dispatcher")[:30]  # the chips shown
    job = next(m for m in missed if m["job_id"] not in taken)
    evidence = "用户自行雇用抽水机排涝，发票两张"
    with chromium_page(width=1360, height=1500) as page:
        d = ConsoleDriver(page, stack.tmp / "shots")
        d.open(stack.console_url)
        d.sign_in("dispatcher", "nav-board")
        d.tap("nav-returns")
        d.reveal("returns-comp")
        d.press(f"comp-job-{job['number']}")
        d.press("comp-kind-self_repair")
        d.type_into(zh("console.returns.amount"), "1280.50", within="returns-comp")
        d.type_into(zh("console.returns.evidence"), evidence, within="returns-comp")
        d.press("comp-save")
        d.wait_text("notice", zh("console.returns.comp_recorded"))
        listed = stack.get("/api/compensations")
        [made] = [c for c in listed if c["job_id"] == job["job_id"]]
        assert (made["kind"], made["amount"], made["evidence"], made["status"]) == (
            "self_repair",
            "1280.50",
            evidence,
            "proposed",
        ), made

        d.tap("sign-out")
        d.sign_in("manager", "nav-board")
        d.tap("nav-returns")
        d.press(f"comp-approve-{[c['id'] for c in listed].index(made['id'])}")
        d.wait_text("notice", zh("console.returns.comp_approved"))
        approved = next(c for c in stack.get("/api/compensations") if c["id"] == made["id"])
        manager = next(
            u for u in stack.get("/api/users", role="manager")["items"] if u["username"] == "manager"
        )
        assert (approved["status"], approved["decided_by"]) == ("approved", manager["id"]), approved
        d.wait_text("comp-table", zh("enum.compensation_status.approved"))


def test_qa_appraises_a_returned_part_as_the_suppliers_fault_and_claims_it_back_to_settlement(
    stack: ConsoleStack,
) -> None:
    """三包旧件鉴定 and 外协厂家索赔, as QA: a requested return's old part gets its verdict (a manufacturing
    defect, the supplier's fault, which supplier), a claim is opened against that supplier for an amount,
    submitted to it and settled for less; the server has each step, amounts to the fen."""
    request = next(r for r in stack.get("/api/returns", status="requested"))
    number = request["number"]
    supplier = "江西某泵业配套厂"
    with chromium_page(width=1360, height=1500) as page:
        d = ConsoleDriver(page, stack.tmp / "shots")
        d.open(stack.console_url)
        d.sign_in("qa", "nav-board")
        d.tap("nav-returns")
        d.press_until(f"returns-pick-{number}", "appraise-save")
        d.press("appraise-defect-manufacturing")
        d.press("appraise-fault-yes")
        d.type_into(zh("console.returns.supplier"), supplier)
        d.press("appraise-save")
        d.wait_text("notice", zh("console.returns.appraised", number=number))
        appraised = stack.get(f"/api/returns/{request['id']}")
        verdict = appraised["appraisal"]
        assert (
            appraised["status"],
            verdict["defect_type"],
            verdict["supplier_fault"],
            verdict["supplier"],
        ) == (
            "appraised",
            "manufacturing",
            True,
            supplier,
        ), appraised

        d.type_into(zh("console.returns.amount_claimed"), "860.40")
        d.press("returns-claim-open")
        d.wait_text("notice", zh("console.returns.claim_opened", supplier=supplier))
        [claim] = [c for c in stack.get("/api/supplier-claims") if c["appraisal_id"] == verdict["id"]]
        assert (claim["supplier"], claim["amount_claimed"], claim["status"]) == (supplier, "860.40", "open")

        d.press(f"claim-submit-{claim['number']}")
        d.wait_text("notice", zh("console.returns.claim_submitted"))
        d.type_into(zh("console.returns.amount_settled"), "800.00", within="returns-claims")
        d.press(f"claim-settle-{claim['number']}")
        d.wait_text("notice", zh("console.returns.claim_settled"))
        settled = next(c for c in stack.get("/api/supplier-claims") if c["id"] == claim["id"])
        assert (settled["status"], settled["amount_settled"]) == ("settled", "800.00"), settled
        assert settled["submitted_at"] and settled["closed_at"]
        d.wait_text("claims-table", zh("enum.claim_status.settled"))
