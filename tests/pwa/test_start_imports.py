"""What the field app imports on its way to the first screen (docs/performance.md, "Round 4"): in the
browser every module a start imports costs time, and a module of pydantic models costs most (each model
builds its schema at import). The device's start needs the rules of paid repairs, loans and the
knowledge search, not the API's schemas, so it must not build them."""

from __future__ import annotations

import json
import subprocess
import sys

from shared import knowledge, knowledge_search, loan_rules, loans, paid, paid_rules

#: what the PWA's main.py (mobile.pwa.device.run) imports before the first page is built
START = "import mobile.pwa.device, flet, mobile.app.main"
#: modules of API schemas (and the server's and the console's code) the device's start must not import
NOT_AT_START = ("shared.models", "shared.paid", "shared.loans", "shared.knowledge", "server", "console")


def test_the_field_apps_start_builds_no_api_schema() -> None:
    probe = f"import json, sys\n{START}\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    imported = json.loads(result.stdout.splitlines()[-1])
    assert "mobile.replica.store" in imported and "sync.protocol" in imported  # the probe imported the app
    unwanted = [m for m in imported if any(m == n or m.startswith(n + ".") for n in NOT_AT_START)]
    assert unwanted == []


def test_the_api_modules_re_export_the_same_rules() -> None:
    """The server and the console import the rules from the API modules: one definition, not two."""
    assert paid.QuoteStatus is paid_rules.QuoteStatus and paid.quote_totals is paid_rules.quote_totals
    assert loans.ReturnCondition is loan_rules.ReturnCondition
    assert loans.status_after_return is loan_rules.status_after_return
    assert knowledge.rank_by_overlap is knowledge_search.rank_by_overlap
    assert knowledge.MIN_TRIGRAM == knowledge_search.MIN_TRIGRAM
