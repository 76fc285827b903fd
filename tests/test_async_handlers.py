"""A button's handler that calls an async function through a plain lambda does nothing: Flet awaits only
coroutine functions, so the lambda's coroutine is dropped unawaited (the desk's 登记未收 on a delivered
unit's documents silently did nothing, caught by a browser test). Read from the code: in the console and
the field app, no lambda may call an async function of its own module or enclosing function; use
``on(fn, *args)`` (console/components/widgets.py) or ``bind`` instead."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dropped_coroutines(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    module_async = {n.name for n in tree.body if isinstance(n, ast.AsyncFunctionDef)}
    found: list[str] = []

    def visit(node: ast.AST, visible: frozenset[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            local = {n.name for n in ast.walk(node) if isinstance(n, ast.AsyncFunctionDef) and n is not node}
            visible = visible | local
        if isinstance(node, ast.Lambda):
            body = node.body
            if isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in visible:
                found.append(f"{where}:{node.lineno}: lambda calls async {body.func.id}(...): use on(...)")
        for child in ast.iter_child_nodes(node):
            visit(child, visible)

    visit(tree, frozenset(module_async))
    return found


def test_no_handler_drops_the_coroutine_of_an_async_function() -> None:
    found: list[str] = []
    for folder in ("console", "mobile", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += dropped_coroutines(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


def test_the_scan_sees_a_lambda_around_a_local_async_function() -> None:
    source = (
        "def Screen():\n"
        "    async def record(x):\n"
        "        pass\n"
        "    return button('ok', lambda _e: record(True))\n"
    )
    assert len(dropped_coroutines(source, "x.py")) == 1
    assert dropped_coroutines(source.replace("lambda _e: record(True)", "on(record, True)"), "x.py") == []
