"""Every text the code can ask the catalogues for exists in both languages (issue 11, item 7).

Keys written out in full (``t("app.jobs.title")``) are checked by tests/mobile/test_app_logic.py and
tests/console/test_console_logic.py. This file checks the keys built at run time, such as
``t(f"enum.conflict_reason.{reason}")`` with a reason the server recorded, which is how the tablet came
to show ``原因：enum.conflict_reason.office_override``. Nothing here is a hand-kept list of values:

1. every f-string key *family* in mobile/, server/, shared/ and sync/ is found by parsing the code;
2. the values of each family come from the code: an enum, the reason and error codes the server, the
   sync code and the device services write (read from their source), a tuple a screen loops over, or
   the constants a handler is called with;
3. a family, an enum or a code producer that cannot be enumerated fails the test, so a new one cannot
   slip past it unnoticed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path

import pytest

from shared.i18n import LANGS, catalogue
from tests.conftest import DeviceFactory
from tests.support import World

ROOT = Path(__file__).resolve().parents[1]
CODE = ("ui", "mobile", "console", "server", "shared", "sync")


# --- reading the code ------------------------------------------------------------------------------


@cache
def _files(*folders: str) -> tuple[Path, ...]:
    return tuple(sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")))


@cache
def _tree(path: Path) -> ast.Module:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node  # type: ignore[attr-defined]
    return tree


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _ancestors(node: ast.AST) -> Iterator[ast.AST]:
    parent: ast.AST | None = getattr(node, "parent", None)
    while parent is not None:
        yield parent
        parent = getattr(parent, "parent", None)


def _function(node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    return next((a for a in _ancestors(node) if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef)), None)


def _module_assignment(tree: ast.Module, name: str) -> ast.expr | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return node.value
    return None


def _strings(expr: ast.AST | None, tree: ast.Module, scope: ast.AST | None) -> set[str] | None:
    """Every string ``expr`` can evaluate to, read from the code; None when that cannot be told."""
    if expr is None:
        return None
    if isinstance(expr, ast.Constant):
        return {expr.value} if isinstance(expr.value, str) else None
    if isinstance(expr, ast.IfExp):
        body, orelse = _strings(expr.body, tree, scope), _strings(expr.orelse, tree, scope)
        return None if body is None or orelse is None else body | orelse
    if isinstance(expr, ast.Tuple | ast.List | ast.Set):
        parts = [_strings(e, tree, scope) for e in expr.elts]
        return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]
    if isinstance(expr, ast.Dict):  # a mapping's values (``CODES.get(status, "server_error")``)
        return _strings(ast.Tuple(elts=[v for v in expr.values if v is not None]), tree, scope)
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and isinstance(expr.func.value, ast.Name)
    ):
        mapping = _strings(_module_assignment(tree, expr.func.value.id), tree, None)
        default = _strings(expr.args[1], tree, scope) if len(expr.args) > 1 else set()
        return None if mapping is None or default is None else mapping | default
    if isinstance(expr, ast.Name):
        found: set[str] = set()
        assigned = [
            n.value
            for n in ast.walk(scope or tree)
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)
        ]
        if not assigned and scope is not None:  # a module constant
            assigned = [v] if (v := _module_assignment(tree, expr.id)) is not None else []
        for value in assigned:
            values = _strings(value, tree, scope)
            if values is None:
                return None
            found |= values
        return found or None
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


@cache
def _produced(
    folders: tuple[str, ...], callees: frozenset[str], keyword: str | None, position: int | None
) -> tuple[frozenset[str], tuple[str, ...]]:
    """The string codes passed to calls of ``callees`` (as ``keyword=`` or at ``position``), and the
    places whose value could not be read from the code (``path:line expr``)."""
    codes: set[str] = set()
    unknown: list[str] = []
    for path in _files(*folders):
        tree = _tree(path)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) in callees):
            if keyword is not None:
                expr: ast.expr | None = next((k.value for k in call.keywords if k.arg == keyword), None)
            else:
                expr = call.args[position] if position is not None and len(call.args) > position else None
            if expr is None:
                continue
            values = _strings(expr, tree, _function(call))
            if values is None:
                unknown.append(f"{_where(path, call)} {ast.unparse(expr)}")
            else:
                codes |= values
    return frozenset(codes), tuple(unknown)


def _assigned_attribute(folders: tuple[str, ...], attribute: str) -> tuple[set[str], list[str]]:
    """Codes written as ``something.<attribute> = "code"`` (also inside ``a.x, a.y = "code", ...``)."""
    codes: set[str] = set()
    unknown: list[str] = []
    for path in _files(*folders):
        tree = _tree(path)
        for node in (n for n in ast.walk(tree) if isinstance(n, ast.Assign)):
            pairs: list[tuple[ast.expr, ast.expr]] = []
            for target in node.targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs += zip(target.elts, node.value.elts, strict=False)
                else:
                    pairs.append((target, node.value))
            for target, value in pairs:
                if not (isinstance(target, ast.Attribute) and target.attr == attribute):
                    continue
                values = _strings(value, tree, _function(node))
                if values is None:
                    unknown.append(f"{_where(path, node)} {ast.unparse(value)}")
                else:
                    codes |= values
    return codes, unknown


# --- what the code produces --------------------------------------------------------------------------

#: Places that hand on a code made elsewhere (checked there), by the expression they pass on.
PASSED_ON = {
    "decision.conflict": "sync.merge.status_after_event: enumerated by running it (see _status_conflicts)",
    "reason": "a parameter: PushContext.conflict's and Rejected's, called with constants",
    "resolution": "the parameter of PushContext.conflict, called with constants",
    "verdict.reason": "sync.rules.edit_verdict's outcome: the codes of the conflicts job.edit records",
    "exc.reason": "a Rejected(...) caught and reported: its codes are Rejected's first arguments",
    "exc.code": "a SyncError caught and shown: its codes are SyncError's first arguments",
    "detail.get('reason', '')": "a stored result replayed: its codes are the ones first stored",
    "applied.reason": "the outcome of a handler: its codes are the ones assigned to it",
}


def _status_conflicts() -> set[str]:
    """Why a tap did not move a job's status, for every status and tap (the merge rule, run)."""
    from shared.enums import JobEventType, JobStatus
    from sync.merge import status_after_event

    return {
        decision.conflict
        for status, event in itertools.product(JobStatus, JobEventType)
        if (decision := status_after_event(status, event)).conflict
    }


SERVER_SIDE = ("server", "sync")
PUSH_SIDE = ("server/replication", "sync")


def conflict_reasons() -> set[str]:
    """Reasons a conflict record can carry (the tablet and the console both explain it)."""
    kw, _ = _produced(SERVER_SIDE, frozenset({"conflict", "Conflict", "StatusDecision"}), "reason", None)
    return set(kw) | _status_conflicts()


def reject_reasons() -> set[str]:
    """Reasons a push can refuse one mutation with (``Rejected(code, ...)`` and stored results)."""
    raised, _ = _produced(SERVER_SIDE, frozenset({"Rejected"}), None, 0)
    results, _ = _produced(SERVER_SIDE, frozenset({"MutationResult"}), "reason", None)
    return set(raised) | set(results)


def resolutions() -> set[str]:
    found, _ = _produced(SERVER_SIDE, frozenset({"conflict", "Conflict"}), "resolution", None)
    return set(found)


def conflict_statuses() -> set[str]:
    from server.db.models import Conflict
    from server.replication.conflicts import OPEN

    closed, _ = _produced(("server",), frozenset({"_close"}), None, 1)
    default = Conflict.__table__.c.status.default.arg
    return {OPEN, default, *closed}


def conflict_fields() -> set[str]:
    """The fields a job conflict names: the device-written ones and the constants the server uses."""
    from sync.protocol import JobEditFields

    named, _ = _produced(SERVER_SIDE, frozenset({"conflict"}), None, 2)
    fields = _conflict_row_fields()
    van_stock = {"quantity"}  # a van-stock conflict is worded on its own (app.conflict.van_short)
    return (set(JobEditFields.model_fields) | set(named) | set(fields)) - van_stock


def _conflict_row_fields() -> set[str]:
    """``field=`` of conflict records made directly (``Conflict(..., resolution=...)``; the HTTP error
    of the same name takes a ``field=`` too, but never a resolution)."""
    found: set[str] = set()
    for path in _files(*SERVER_SIDE):
        tree = _tree(path)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) == "Conflict"):
            keywords = {k.arg: k.value for k in call.keywords}
            if "resolution" in keywords and "field" in keywords:
                found |= _strings(keywords["field"], tree, _function(call)) or set()
    return found


def action_errors() -> set[str]:
    """Codes of the field app's refusals (``ActionError(code, ...)``), shown as ``error.<code>``."""
    found, _ = _produced(("mobile",), frozenset({"ActionError"}), None, 0)
    return set(found)


def sync_errors() -> set[str]:
    found, _ = _produced(("mobile", "sync"), frozenset({"SyncError"}), None, 0)
    assigned, _ = _assigned_attribute(("mobile",), "last_error_code")
    return (set(found) | assigned) - {""}


def console_errors() -> set[str]:
    found, _ = _produced(("console",), frozenset({"ApiError"}), None, 0)
    return set(found)


def _all_unknown() -> list[str]:
    """Producers whose codes cannot be read from the code and are not known to pass a code on."""
    calls = [
        (
            SERVER_SIDE,
            frozenset({"conflict", "Conflict", "StatusDecision", "MutationResult"}),
            "reason",
            None,
        ),
        (SERVER_SIDE, frozenset({"conflict", "Conflict"}), "resolution", None),
        (SERVER_SIDE, frozenset({"Rejected"}), None, 0),
        (("server",), frozenset({"_close"}), None, 1),
        (("mobile",), frozenset({"ActionError"}), None, 0),
        (("console",), frozenset({"ApiError"}), None, 0),
        (("mobile", "sync"), frozenset({"SyncError"}), None, 0),
    ]
    unknown = [u for spec in calls for u in _produced(*spec)[1]]
    unknown += (
        _assigned_attribute(PUSH_SIDE, "reason")[1] + _assigned_attribute(("mobile",), "last_error_code")[1]
    )
    return [u for u in unknown if u.split(" ", 1)[1] not in PASSED_ON]


# --- the enums ----------------------------------------------------------------------------------------


def _str_enums() -> dict[str, type[StrEnum]]:
    """Every StrEnum defined in shared/, sync/, ui/, mobile/ and console/ (by dotted name)."""
    found: dict[str, type[StrEnum]] = {}
    for package in ("shared", "sync", "ui", "mobile", "console"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, StrEnum)
                    and value.__module__ == module.__name__
                ):
                    found[f"{module.__name__}.{name}"] = value
    return found


#: enum -> the key families that show its values
ENUM_FAMILIES: dict[str, tuple[str, ...]] = {
    "shared.enums.Role": ("console.role.",),
    "shared.enums.EquipmentCategory": ("enum.category.",),
    "shared.enums.JobKind": ("enum.kind.",),
    "shared.enums.Severity": ("enum.severity.",),
    "shared.enums.JobStatus": ("enum.status.",),
    "shared.enums.JobEventType": ("enum.event.",),
    "shared.enums.CheckResult": ("enum.check_result.",),
    "shared.enums.BillableReason": ("enum.billable_reason.",),
    "shared.warranty.WarrantyState": ("app.warranty.", "console.warranty."),
    "shared.warranty.CauseCategory": ("enum.cause.",),
    "shared.reports.ReportGroup": ("report.group.",),
    "shared.sla.Promise": ("app.sla.", "console.job.due."),
    "shared.reports.FaultSource": ("report.fault_source.",),
    "shared.customers.ComplaintStatus": ("console.complaint.status.",),
    "shared.customers.ReturnVisitStatus": ("console.visit.status.",),
    "shared.customers.ReturnVisitMethod": ("console.visit.method.",),
    "shared.schedules.Frequency": ("enum.frequency.",),
    "shared.schedules.Compliance": ("inspections.report.",),
    "shared.stock.StoreKind": ("enum.store_kind.",),
    "shared.stock.ShipmentStatus": ("enum.shipment_status.",),
    "shared.stock.RequestKind": ("enum.request_kind.",),
    "shared.stock.RequestStatus": ("enum.request_status.",),
    "shared.stock.MovementKind": ("enum.movement_kind.",),
    "sync.protocol.MutationName": ("enum.mutation.",),
    "shared.loan_rules.UnitStatus": ("enum.unit_status.",),
    "shared.loan_rules.UnitPlace": ("enum.unit_place.",),
    "shared.loan_rules.ReturnCondition": ("enum.return_condition.",),
    "shared.paid_rules.LineKind": ("enum.quote_line.",),
    "shared.paid_rules.QuoteStatus": ("enum.quote_status.",),
    "shared.paid_rules.ChargeStatus": ("enum.charge_status.",),
    "shared.paid_rules.PayMethod": ("enum.pay_method.",),
    "shared.paid_rules.ReviewReason": ("console.paid.review.",),
    "shared.paid_rules.PaidBy": ("paid.report.by.",),
    "shared.paid_rules.SummaryBy": ("paid.summary.by.",),
    "shared.returns.ReturnKind": ("enum.return_kind.",),
    "shared.returns.ReturnStatus": ("enum.return_status.",),
    "shared.quality.IncidentStatus": ("enum.incident_status.",),
    "shared.quality.FaultCategory": ("enum.fault_category.",),
    "shared.returns.ReturnDecision": ("enum.return_decision.",),
    "shared.returns.DefectType": ("enum.defect_type.",),
    "shared.returns.ClaimStatus": ("enum.claim_status.",),
    "shared.returns.CompensationKind": ("enum.compensation_kind.",),
    "shared.returns.CompensationStatus": ("enum.compensation_status.",),
    "shared.delivery.DeliveryDocumentKind": ("console.delivery.kind.",),
    "shared.people.CertificateState": ("enum.certificate_state.",),
    "shared.people.GapReason": ("enum.gap_reason.",),
    "shared.people.TrainingResult": ("enum.training_result.",),
    "ui.logic.grouping.Group": ("app.jobs.group.",),
    "console.logic.board.Filter": ("console.board.filter.",),
    "console.logic.reports.Period": ("console.reports.period.",),
    "console.roles.Screen": ("console.nav.",),
    "shared.escalation.EventKind": ("enum.escalation_event.", "escalation.subject.", "escalation.body."),
    "shared.escalation.Channel": ("enum.channel.",),
    "shared.contacts.ContactKind": ("enum.contact_kind.",),
    "shared.schedules.ScheduleKind": ("enum.schedule_kind.",),
    "shared.enums.ContactChannel": ("enum.contact_channel.",),
    "shared.escalation.DeliveryState": ("enum.delivery_state.",),
    "shared.stations.StationKind": ("enum.station_kind.",),
    "shared.knowledge.CaseStatus": ("console.knowledge.status.", "console.knowledge.done."),
    "shared.knowledge.ManualKind": ("console.knowledge.kind.",),
    "shared.knowledge.TrainingPhase": ("console.knowledge.phase.",),
}

#: enums whose values are never shown to a person, and why
NOT_SHOWN: dict[str, str] = {
    "shared.enums.ChecklistItemKind": "decides which input a checklist item gets (buttons or a number)",
    "shared.customers.ComplaintChannel": "stored with a complaint; no screen shows it",
    "shared.roles.Capability": "who may do what; screens and buttons show it, never its name",
    "sync.protocol.Outcome": "a push result's kind; the tablet words conflicts and refusals instead",
    "sync.protocol.ChangeOp": "wire format of the change log",
    "sync.protocol.ResyncCode": "why the device downloads afresh; the sync bar says 'syncing'",
    "sync.client.Step": "the sync round's internal state machine",
    "sync.merge.Rule": "merge rule names in docs/merge-rules.md, for developers",
    "console.logic.board.Urgency": "sorts the board; shown through its filters and colours",
}


# --- every family and where its values come from -------------------------------------------------------


def _enum_values(dotted: str) -> set[str]:
    return {e.value for e in _str_enums()[dotted]}


def _document_fields() -> dict[str, tuple[str, ...]]:
    from console.logic.contracts import DOCUMENT_FIELDS

    return DOCUMENT_FIELDS


def _loan_columns() -> tuple[str, ...]:
    from server.reports.exports import LOAN_COLUMNS

    return LOAN_COLUMNS


def _family_sources() -> dict[str, Callable[[], Iterable[str]]]:
    sources: dict[str, list[Callable[[], Iterable[str]]]] = {}
    for dotted, families in ENUM_FAMILIES.items():
        for family in families:
            sources.setdefault(family, []).append(lambda d=dotted: _enum_values(d))  # type: ignore[misc]
    extra: dict[str, Callable[[], Iterable[str]]] = {
        "enum.conflict_reason.": conflict_reasons,
        "console.reason.": conflict_reasons,
        "enum.reject_reason.": reject_reasons,
        "enum.resolution.": resolutions,
        "console.resolution.": resolutions,
        "enum.conflict_status.": conflict_statuses,
        "app.field.": conflict_fields,
        "error.": action_errors,
        "error.sync.": sync_errors,
        "error.console.": console_errors,
        "enum.billable_reason.": lambda: {"none"},  # shown when no reason was given
        "enum.event.": _timeline_steps,
        "form.sla.": _timeline_outcomes,
        "app.accept.sat.": _satisfaction_values,
        "console.complaint.": _complaint_actions,
        "console.complaint.done.": _complaint_actions,
        "parts_report.period.": _parts_report_periods,
        "report.title.": lambda: {n.replace("-", "_") for n in _export_reports()},
        "console.contracts.field.": _customer_fields,
        "console.contracts.hours.": lambda: {"respond", "onsite", "fix", "backup"},
        "enum.promise.": lambda: {"respond", "onsite", "fix", "backup"},  # shared.sla.Promise, escalated
        "console.contracts.doc.": lambda: {f for fs in _document_fields().values() for f in fs},
        "console.contracts.edit_": lambda: set(_document_fields()),
        "report.loans.col.": lambda: set(_loan_columns()),
        "console.loans.export_": lambda: {"xlsx", "csv"},
    }
    for family, source in extra.items():
        sources.setdefault(family, []).append(source)
    return {
        family: (lambda fs=fs: set().union(*(set(f()) for f in fs)))  # type: ignore[misc]
        for family, fs in sources.items()
    }


def _customer_fields() -> set[str]:
    from console.screens.customers.contracts import CUSTOMER_FIELDS

    return set(CUSTOMER_FIELDS)


def _timeline_steps() -> set[str]:
    """The service form's timeline rows that are named ``enum.event.<step>`` (the rest have own keys)."""
    from shared.enums import JobEventType

    return {e.value for e in JobEventType}


def _timeline_outcomes() -> set[str]:
    """What ``shared.service_form.timeline`` can say of a step: the first item ``_outcome`` returns, and
    the backup line's ``outcome``; an empty outcome shows no note."""
    tree = _tree(ROOT / "shared" / "service_form.py")
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}

    def first(expr: ast.expr | None) -> set[str]:
        if isinstance(expr, ast.IfExp):
            return first(expr.body) | first(expr.orelse)
        assert isinstance(expr, ast.Tuple), ast.unparse(expr) if expr else expr
        return _strings(expr.elts[0], tree, None) or set()

    returned = set().union(
        *(first(r.value) for r in ast.walk(functions["_outcome"]) if isinstance(r, ast.Return))
    )
    backup = _strings(ast.Name(id="outcome"), tree, functions["timeline"]) or set()
    return (returned | backup) - {""}


def _satisfaction_values() -> set[str]:
    from sync.protocol import JobSignArgs

    bounds = {type(m).__name__: m for m in JobSignArgs.model_fields["satisfaction"].metadata}
    low, high = int(getattr(bounds["Ge"], "ge")), int(getattr(bounds["Le"], "le"))  # noqa: B009
    return {str(n) for n in range(0, high + 1)} | {str(low)}  # 0: not chosen yet


def _complaint_actions() -> set[str]:
    from console.logic.customers import complaint_actions
    from shared.customers import ComplaintStatus
    from shared.enums import Role

    return {a for s in ComplaintStatus for r in Role for a in complaint_actions(s.value, r.value)}


def _parts_report_periods() -> set[str]:
    import typing

    from server.stock.reports import Period

    return set(typing.get_args(Period))


def _export_reports() -> set[str]:
    from shared.reports import EXPORT_REPORTS

    return set(EXPORT_REPORTS)


# --- the families the code builds ----------------------------------------------------------------------


def _catalogue_namespaces() -> set[str]:
    return {key.split(".", 1)[0] for key in catalogue("zh-CN")}


@cache
def key_families() -> dict[str, tuple[tuple[Path, ast.JoinedStr], ...]]:
    """``prefix. -> where`` for every f-string in the code shaped like ``"<catalogue namespace>.x.{...}"``."""
    namespaces = _catalogue_namespaces()
    found: dict[str, list[tuple[Path, ast.JoinedStr]]] = {}
    for path in _files(*CODE):
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.JoinedStr) or len(node.values) != 2:
                continue
            head, value = node.values
            if (
                isinstance(head, ast.Constant)
                and isinstance(head.value, str)
                and head.value.endswith(".")
                and head.value.split(".", 1)[0] in namespaces
                and isinstance(value, ast.FormattedValue)
            ):
                found.setdefault(head.value, []).append((path, node))
    return {k: tuple(v) for k, v in found.items()}


def _target_position(target: ast.expr, name: str) -> int | None:
    """-1 when a loop's target is ``name`` itself, its index in a tuple target, None if absent."""
    if isinstance(target, ast.Name):
        return -1 if target.id == name else None
    if isinstance(target, ast.Tuple):
        names = [e.id if isinstance(e, ast.Name) else "" for e in target.elts]
        return names.index(name) if name in names else None
    return None


def _imported_strings(path: Path, name: str) -> set[str] | None:
    """The strings of a constant a module imported (read from the running module)."""
    module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    value = getattr(module, name, None)
    if isinstance(value, str) or not isinstance(value, Iterable):
        return None
    items = list(value)
    return {str(v) for v in items} if all(isinstance(v, str) for v in items) else None


def _looped_values(path: Path, node: ast.JoinedStr) -> set[str] | None:
    """Values of ``{name}`` when the key sits in a loop over literals or a constant, or in a handler
    called with constants (``on(decide, "approve")``); None otherwise."""
    tree = _tree(path)
    value = node.values[1]
    assert isinstance(value, ast.FormattedValue)
    if not isinstance(value.value, ast.Name):
        return None
    name = value.value.id
    for parent in _ancestors(node):
        generators = (
            parent.generators
            if isinstance(parent, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp)
            else [parent]
            if isinstance(parent, ast.For)
            else []
        )
        for gen in generators:
            position = _target_position(gen.target, name)
            if position is None:
                continue
            iterable = gen.iter
            if isinstance(iterable, ast.Name) and _module_assignment(tree, iterable.id) is None:
                return _imported_strings(path, iterable.id)  # ``for s in SECTIONS`` imported from logic
            if isinstance(iterable, ast.Name):
                iterable = _module_assignment(tree, iterable.id) or iterable
            if position >= 0:  # ``for key, model, value in (("customer", Customer, ...), ...)``
                if not isinstance(iterable, ast.Tuple | ast.List):
                    return None
                rows = [e.elts[position] for e in iterable.elts if isinstance(e, ast.Tuple)]
                iterable = ast.Tuple(elts=rows)
            return _strings(iterable, tree, _function(node))
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef) and name in {
            a.arg for a in parent.args.args
        }:
            index = [a.arg for a in parent.args.args].index(name)
            values: set[str] = set()
            for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
                args = call.args
                if isinstance(call.func, ast.Name) and call.func.id == parent.name and len(args) > index:
                    got = _strings(args[index], tree, _function(call))
                elif any(isinstance(a, ast.Name) and a.id == parent.name for a in args):
                    at = next(
                        i for i, a in enumerate(args) if isinstance(a, ast.Name) and a.id == parent.name
                    )
                    got = (
                        _strings(args[at + 1 + index], tree, _function(call))
                        if len(args) > at + 1 + index
                        else None
                    )
                else:
                    continue
                if got is None:
                    return None
                values |= got
            return values or None
    return None


def family_values() -> dict[str, tuple[set[str], list[str]]]:
    """``prefix -> (values, places nobody can enumerate)`` for every family the code builds."""
    sources = _family_sources()
    result: dict[str, tuple[set[str], list[str]]] = {}
    for family, places in key_families().items():
        values: set[str] = set()
        unresolved: list[str] = []
        for path, node in places:
            looped = _looped_values(path, node)
            if looped is not None:
                values |= looped - {""}  # an empty choice gets its own key (``if g else ...``)
            elif family not in sources:
                unresolved.append(f"{_where(path, node)} {ast.unparse(node)}")
        if family in sources:
            values |= set(sources[family]())
        result[family] = (values, unresolved)
    return result


# --- the tests ---------------------------------------------------------------------------------------


def test_the_scan_reads_the_codes_the_issue_was_about() -> None:
    """The scanner itself: it finds what the push and merge code, the services and the screens make."""
    assert {
        "office_override",
        "both_changed",
        "server_owned",
        "office_on_hold",
        "closed",
    } <= conflict_reasons()
    assert {"unknown_job", "duplicate_id", "invalid_args"} <= reject_reasons()
    assert {"office_kept", "device_wins", "recorded", "rejected"} <= resolutions()
    assert {"open", "accepted", "overridden"} <= conflict_statuses()
    assert {"wrong_password", "unsent_work", "no_job"} <= action_errors()
    assert {"offline", "refused", "server_error", "resync_loop"} <= sync_errors()
    assert {"offline", "timeout", "throttled", "server_error"} <= console_errors()
    families = family_values()
    assert {"approve", "return"} <= families["console.qa.done."][0]
    assert {"hold", "resume", "cancel"} <= families["console.job.done."][0]
    assert "enum.conflict_reason." in families and "error.sync." in families


def test_every_code_producer_can_be_read_from_the_code() -> None:
    """A reason or error code made from something the scan cannot follow must be registered in
    PASSED_ON (with where its values really come from), or its texts would go unchecked."""
    assert not _all_unknown(), "\n".join(_all_unknown())


def test_every_enum_is_either_shown_through_a_key_family_or_said_to_be_internal() -> None:
    enums = set(_str_enums())
    unplaced = sorted(enums - set(ENUM_FAMILIES) - set(NOT_SHOWN))
    assert not unplaced, f"say in ENUM_FAMILIES which keys show these, or in NOT_SHOWN why none: {unplaced}"
    assert not (set(ENUM_FAMILIES) | set(NOT_SHOWN)) - enums, "stale names in ENUM_FAMILIES / NOT_SHOWN"


def test_every_key_family_the_code_builds_can_be_enumerated() -> None:
    unresolved = [u for _, (_, places) in sorted(family_values().items()) for u in places]
    assert not unresolved, "add a source to _family_sources for:\n" + "\n".join(unresolved)


def test_every_enum_family_is_built_somewhere_in_the_code() -> None:
    """ENUM_FAMILIES names real families (a renamed key family would otherwise check nothing)."""
    built = set(key_families()) | {"inspections.report."}  # compliance columns are written out in full
    assert not {f for fs in ENUM_FAMILIES.values() for f in fs} - built


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_every_key_the_code_can_build_has_a_text(lang: str) -> None:
    texts = catalogue(lang)
    missing = sorted(
        family + value
        for family, (values, _) in family_values().items()
        for value in values
        if family + value not in texts
    )
    assert not missing, f"{lang}: {missing}"


async def test_the_tablet_and_the_console_word_an_office_billing_decision_without_raw_codes(
    world: World, new_device: DeviceFactory
) -> None:
    """The issue's case, end to end: the office decides the billing, the tablet (offline, stale) sends
    its own; the conflict reaches the tablet and the office's queue, worded in both languages."""
    from console.logic.conflicts import resolution_text
    from ui.logic.explain import explain_conflict

    job = await world.create_job(engineer="eng1")
    device = await new_device("eng1")
    await device.sync()
    decided = await world.client.post(
        f"/api/jobs/{job['id']}/billing",
        json={"billable": True, "reason": "man_made", "note": "外壳被撬"},
        headers=await world.login("manager"),
    )
    assert decided.status_code == 200, decided.text
    device.actions.edit(uuid.UUID(job["id"]), billable=False, billable_reason="in_warranty")
    await device.sync()
    conflicts = [c for c in device.replica.conflicts() if c["reason"] == "office_override"]
    assert {c["field"] for c in conflicts} == {"billable", "billable_reason"}
    raw = re.compile(
        r"\b(enum|app|console|error)\.[a-z_]+\.|office_override|office_kept|in_warranty|man_made"
    )
    for conflict, lang in itertools.product(conflicts, LANGS):
        tablet = explain_conflict(lang, conflict, job["number"])
        office = resolution_text(lang, conflict)
        assert not raw.search(tablet), tablet
        assert not raw.search(office), office
        assert "以办公室的决定为准" in explain_conflict("zh-CN", conflict, job["number"])
