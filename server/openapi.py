"""The OpenAPI document, completed with what Litestar's generator leaves out.

Litestar documents only the success answer and a ``400`` shaped like its own ``ValidationException``
(``{status_code, detail, extra}`` as ``application/json``). The app answers every error as RFC 9457
problem details (``server/app.py``), and can answer 401, 403, 404, 409, 413, 422 and 429 too, so this
module rewrites each operation's error answers to what is really sent, declares the bearer token, and
marks request models that refuse unknown fields with ``additionalProperties: false``. It works on the
schema dictionary when it is first rendered, so building an app stays as cheap as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI
from pydantic import BaseModel

from server.office_api import OFFICE_OPERATIONS

PROBLEM = "ProblemDetails"
PROBLEM_MEDIA_TYPE = "application/problem+json"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_OUR_PACKAGES = ("shared", "sync", "server")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": PROBLEM,
    "description": "An error answer (RFC 9457). Validation errors list each problem under `errors`; "
    "domain errors may name the offending `field`. A refusal by the rules also carries a stable `code` "
    "and its `params`, so that a client words it in its user's language (the apps' catalogues hold "
    "`error.server.<code>` with the same placeholders); `detail` keeps the same refusal in English.",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "code": {
            "type": "string",
            "description": "What was refused, stable across versions (e.g. `job.not_assignable`); a code "
            "a client does not know yet is worded from `detail` instead.",
            "examples": ["job.not_assignable"],
        },
        "params": {
            "type": "object",
            "description": "The names, numbers and enum values the refusal's words name (statuses, kinds "
            "and roles as their values, e.g. `cancelled`, for the client to translate).",
            "additionalProperties": True,
            "examples": [{"number": "WO-202606-00012", "status": "cancelled"}],
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"message": {"type": "string"}, "key": {"type": "string"}},
            },
        },
    },
}

_ERRORS: dict[str, str] = {
    "400": "The request does not fit: malformed JSON, a wrong type, an unknown field, a bad parameter.",
    "401": "No, unknown, revoked or expired token, a disabled account, or wrong credentials.",
    "403": "The caller's role may not use this operation.",
    "404": "No such thing, or nothing the caller may see.",
    "4XX": "Any other refusal: 409 conflict with the current state, 413 body too large, "
    "422 valid but refused, 429 too many failed sign-ins.",
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
    }


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in (schema.get("paths") or {}).items():
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                yield path, item[method]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _request_schemas(schema: dict[str, Any]) -> set[str]:
    """Names of the component schemas a request body can reach."""
    components = schema.get("components", {}).get("schemas", {})
    todo = [name for _, op in _operations(schema) for name in _refs(op.get("requestBody"))]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        todo.extend(_refs(components[name]))
    return seen


def _strict_models() -> set[str]:
    """Names of our pydantic models that refuse unknown fields."""
    names: set[str] = set()
    stack: list[type[BaseModel]] = [BaseModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in _OUR_PACKAGES and sub.model_config.get("extra") == "forbid":
                names.add(sub.__name__)
    return names


def complete_schema(schema: dict[str, Any], public_paths: Iterable[str] = ()) -> dict[str, Any]:
    """Add problem-details error answers, the bearer scheme and closed request models to ``schema``."""
    public = [re.compile(p) for p in public_paths]
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})[PROBLEM] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "the device-bound token from POST /api/auth/login",
    }
    for path, op in _operations(schema):
        is_public = any(p.search(path) for p in public)
        if not is_public:
            op["security"] = [{"bearer": []}]
        if path == "/health":
            continue
        responses = op.setdefault("responses", {})
        wanted = ["400", "4XX"]
        if not is_public or op.get("requestBody"):
            wanted.append("401")  # sign-in itself answers 401 to wrong credentials
        if not is_public:
            wanted.append("403")
        if "{" in path:
            wanted.append("404")
        for code in wanted:
            responses[code] = _problem(_ERRORS[code])
        op["responses"] = dict(sorted(responses.items()))  # 2xx, then 400, 401, ..., 4XX
    _describe_office_operations(schema)
    strict = _strict_models()
    for name in _request_schemas(schema) & strict:
        target = components["schemas"][name]
        if target.get("type") == "object":
            target["additionalProperties"] = False
    return schema


def _describe_office_operations(schema: dict[str, Any]) -> None:
    """Summaries, descriptions and specific error answers of the office's actions (server/office_api.py)."""
    for path, item in (schema.get("paths") or {}).items():
        for method in _METHODS:
            described = OFFICE_OPERATIONS.get((method, path))
            op = item.get(method)
            if described is None or not isinstance(op, dict):
                continue
            op["summary"], op["description"] = described.summary, described.description
            responses = op.setdefault("responses", {})
            responses.update({code: _problem(text) for code, text in described.errors.items()})
            op["responses"] = dict(sorted(responses.items()))


class _CompletedOpenAPI(OpenAPI):
    public_paths: Sequence[str] = ()

    def to_schema(self) -> dict[str, Any]:
        return complete_schema(super().to_schema(), self.public_paths)


@dataclass
class LeveeOpenAPIConfig(OpenAPIConfig):
    """``OpenAPIConfig`` whose rendered schema documents the errors the app really answers."""

    public_paths: Sequence[str] = field(default=())
    #: a handler's docstring is its operation's description (the office's job actions are described
    #: in server/office_api.py instead): without it most operations carried a name and no words
    use_handler_docstrings: bool = True

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        completed = _CompletedOpenAPI(**{f.name: getattr(base, f.name) for f in fields(base)})
        completed.public_paths = tuple(self.public_paths)
        return completed
