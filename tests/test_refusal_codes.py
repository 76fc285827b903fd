"""Every refusal the server words gives the apps a code to word it in the user's language.

Read from the code, not from a hand-kept list: every call in ``server/`` of the errors of
``server/errors.py`` (``DomainError``, ``NotFound``, ``Conflict``, ``Forbidden``, ``Invalid``, under
any alias, and the ``super().__init__`` of their subclasses) passes ``code=``; every code used (those,
``problem_code(...)`` for Litestar's own exceptions, the stock ledger's ``StockError`` reasons as
``stock.<reason>``, the 503 of the admission gate) has ``error.server.<code>`` in both catalogues, and
the text's ``{placeholders}`` are the names of the ``params`` given at every place that raises it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.i18n import LANGS, catalogue, placeholders
from shared.refusals import KEY_PREFIX, refusal_key

ROOT = Path(__file__).resolve().parents[1]
ERRORS = frozenset({"DomainError", "NotFound", "Conflict", "Forbidden", "Invalid"})
#: Litestar's own exceptions, imported from litestar.exceptions: each raise passes
#: ``extra=problem_code("<area>.<what>", ...)``, its code and params then checked like the others.
LITESTAR_ERRORS = frozenset(
    {
        "HTTPException",
        "ClientException",
        "ValidationException",
        "NotAuthorizedException",
        "PermissionDeniedException",
        "NotFoundException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
    }
)
#: a code that is not a constant at its raise, and where its values are read instead
COMPUTED = {
    "f'stock.{exc.reason}'": "the reasons of StockError(...) in server/stock/ledger.py and planning.py",
    "code": "DomainError's own parameter, handed to problem_code: checked where DomainError is raised",
}
HOW = (
    'add code="<area>.<what>" (e.g. code="job.not_assignable") and params={...} naming what the words '
    "name (numbers, names, enum values), and the text error.server.<area>.<what> with those {placeholders} "
    "to shared/i18n/zh_CN.json and en.json (see shared/refusals.py)"
)


@dataclass(frozen=True)
class Use:
    """One place that gives a code: where, the code (None: none or not a constant), the param names
    (None: not a dict with constant keys)."""

    where: str
    code: str | None
    params: frozenset[str] | None
    expr: str = ""
    missing: bool = False  # no code= at all (``expr`` names the call)


def _param_names(call: ast.Call) -> frozenset[str] | None:
    given = next((k.value for k in call.keywords if k.arg == "params"), None)
    if given is None:
        return frozenset()
    if isinstance(given, ast.Dict) and all(isinstance(k, ast.Constant) for k in given.keys):
        return frozenset(str(k.value) for k in given.keys if isinstance(k, ast.Constant))
    return None


def _aliases(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "server.errors"
        for alias in node.names
        if alias.name in ERRORS
    }


def _litestar_aliases(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("litestar")
        for alias in node.names
        if alias.name in LITESTAR_ERRORS
    }


def _passes_problem_code(call: ast.Call) -> bool:
    extra = next((k.value for k in call.keywords if k.arg == "extra"), None)
    return (
        isinstance(extra, ast.Call) and isinstance(extra.func, ast.Name) and extra.func.id == "problem_code"
    )


def uses_in(source: str, where: str) -> Iterator[Use]:
    """The codes given in one module's source (``where`` names it in messages)."""
    tree = ast.parse(source)
    names = _aliases(tree) | (ERRORS if where.endswith("server/errors.py") else set())
    litestar = _litestar_aliases(tree)
    subclasses = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)
    }
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name in subclasses):
        for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call)):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "__init__"
                and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"
            ):
                yield _use(call, f"{where}:{call.lineno}", f"super().__init__ of {cls.name}")
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Name) and func.id in names:
            yield _use(call, f"{where}:{call.lineno}", f"{func.id}(...)")
        elif isinstance(func, ast.Name) and func.id in litestar and not _passes_problem_code(call):
            yield Use(
                f"{where}:{call.lineno}",
                None,
                None,
                f'{func.id}(...) (a Litestar exception: pass extra=problem_code("<area>.<what>", **params))',
                missing=True,
            )
        elif isinstance(func, ast.Name) and func.id == "problem_code" and call.args:
            first = call.args[0]
            code = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
            names_given = frozenset(k.arg for k in call.keywords if k.arg)
            yield Use(f"{where}:{call.lineno}", code, names_given, ast.unparse(first))


def _use(call: ast.Call, where: str, what: str) -> Use:
    given = next((k.value for k in call.keywords if k.arg == "code"), None)
    if given is None:
        return Use(where, None, None, what, missing=True)
    code = given.value if isinstance(given, ast.Constant) and isinstance(given.value, str) else None
    return Use(where, code, _param_names(call), ast.unparse(given))


def _stock_reasons() -> Iterator[Use]:
    for name in ("server/stock/ledger.py", "server/stock/planning.py"):
        path = ROOT / name
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == "StockError"
            ):
                first = call.args[0]
                assert isinstance(first, ast.Constant), f"{name}:{call.lineno}: a constant reason"
                names = frozenset(k.arg for k in call.keywords if k.arg)
                yield Use(f"{name}:{call.lineno}", f"stock.{first.value}", names)


@cache
def all_uses() -> tuple[Use, ...]:
    from server.admission import busy_problem

    uses: list[Use] = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        where = str(path.relative_to(ROOT))
        uses += uses_in(path.read_text(encoding="utf-8"), where)
    uses += _stock_reasons()
    body, _ = busy_problem(3)
    uses.append(Use("server/admission.py busy_problem", body["code"], frozenset(body["params"])))
    return tuple(uses)


def test_every_refusal_raised_in_the_server_passes_a_code() -> None:
    missing = [f"{u.where}: {u.expr} has no code: {HOW}" for u in all_uses() if u.missing]
    computed = [
        f"{u.where}: code={u.expr} is not a constant: write it out, or name where its values come from in "
        "COMPUTED (tests/test_refusal_codes.py)"
        for u in all_uses()
        if not u.missing and u.code is None and u.expr not in COMPUTED
    ]
    assert not missing + computed, "\n".join(missing + computed)
    assert len([u for u in all_uses() if u.code]) > 100  # the scan found the raises (about 120 today)


def test_every_code_has_a_text_in_both_catalogues_naming_exactly_its_params() -> None:
    problems: list[str] = []
    for use in (u for u in all_uses() if u.code):
        key = refusal_key(use.code or "")
        texts = {lang: catalogue(lang).get(key) for lang in LANGS}
        absent = [lang for lang, text in texts.items() if text is None]
        if absent:
            problems.append(f"{use.where}: add {key} to the catalogue of {', '.join(absent)} ({HOW})")
            continue
        wanted = {lang: placeholders(text or "") for lang, text in texts.items()}
        if len({frozenset(p) for p in wanted.values()}) != 1:
            problems.append(f"{key}: the languages name different placeholders: {wanted}")
        if use.params is None:
            problems.append(f"{use.where}: params= of {use.code} must be a dict with constant keys")
        elif set(use.params) != wanted["zh-CN"]:
            problems.append(
                f"{use.where}: {use.code} gives params {sorted(use.params)}, "
                f"its text {key} names {sorted(wanted['zh-CN'])}"
            )
    assert not problems, "\n".join(problems)


def test_no_catalogue_text_waits_for_a_code_nobody_raises() -> None:
    used = {refusal_key(u.code) for u in all_uses() if u.code}
    for lang in LANGS:
        stale = sorted(k for k in catalogue(lang) if k.startswith(KEY_PREFIX) and k not in used)
        assert not stale, f"{lang}: no raise gives these codes any more: {stale}"


def test_the_scan_sees_a_raise_without_a_code_under_an_alias_and_in_a_subclass() -> None:
    source = (
        "from server.errors import Conflict as Refused, DomainError, NotFound\n"
        "class TooLong(DomainError):\n"
        "    def __init__(self) -> None:\n"
        "        super().__init__('too long')\n"
        "def f(x):\n"
        "    if x:\n"
        "        raise Refused(f'job {x} is closed')\n"
        "    raise NotFound('gone', code='job.not_found', params={'id': x})\n"
    )
    uses = list(uses_in(source, "server/example.py"))
    assert [u.where for u in uses if u.missing] == ["server/example.py:4", "server/example.py:7"]
    assert [(u.code, u.params) for u in uses if u.code] == [("job.not_found", frozenset({"id"}))]
    # a Conflict that is not ours (the database model of the same name) is not a refusal
    assert not list(uses_in("from server.db.models import Conflict\nConflict(id=1)\n", "server/x.py"))
