"""Request bodies as JSON: refused with a readable 400 when they are not UTF-8, nest too deep or hold a
NUL character.

Litestar decodes JSON with msgspec, which raises ``UnicodeDecodeError`` on bytes that are not UTF-8 and
``RecursionError`` past its own nesting limit; both used to be 500s, some before sign-in. No Levee
message nests deeper than a handful of levels (a push: envelope, mutations, a mutation, its args, the
fields), so anything deeper than :data:`MAX_JSON_DEPTH` is refused before a handler walks it.

A NUL character (``\\u0000``) in any text or key is refused at the door, on both databases: PostgreSQL
cannot store one (in text or in JSON), SQLite can, so without this rule the same request was a 400 on
one and stored on the other, and on PostgreSQL a NUL in a field that is only written to the audit log
(a sign-in's device name) made the sign-in fail as "unavailable". A device's sync is the exception,
because a 400 there would stop the device for good: a push is never refused whole for one mutation's
text (its outbox would be stuck behind it), the push path answers that mutation alone; a pull's cursor
that holds a NUL is garbage like any other and answered "resync required" (see server/replication).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException
from litestar.serialization import decode_json
from litestar.types import Empty, TypeDecodersSequence

from server.errors import problem_code

MAX_JSON_DEPTH = 32


def json_depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth) for child in children)
    return deepest


NUL_REFUSED = "text may not contain NUL characters (\\u0000)"
#: the device's sync, whose bodies may carry NUL: each mutation of a push is answered on its own, and a
#: pull's unreadable cursor means "resync required"
NUL_PER_ITEM = frozenset({"/api/sync/push", "/api/sync/pull"})


def holds_nul(value: Any) -> bool:
    """Whether any string (or object key) in decoded JSON ``value`` holds a NUL character."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            if any("\x00" in key for key in item if isinstance(key, str)):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def decode_body(
    body: bytes, type_decoders: TypeDecodersSequence | None = None, *, allow_nul: bool = False
) -> Any:
    """The body as JSON, or a 400 saying why it is not acceptable JSON."""
    try:
        value = decode_json(body or b"null", type_decoders=type_decoders)
    except UnicodeDecodeError:
        raise ClientException("the body is not UTF-8 text", extra=problem_code("body.not_utf8")) from None
    except RecursionError:
        raise ClientException(
            f"the JSON body nests too deep (more than {MAX_JSON_DEPTH} levels)",
            extra=problem_code("body.too_deep", limit=MAX_JSON_DEPTH),
        ) from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ClientException(
            f"the JSON body nests too deep (more than {MAX_JSON_DEPTH} levels)",
            extra=problem_code("body.too_deep", limit=MAX_JSON_DEPTH),
        )
    # a NUL can only arrive escaped (JSON forbids raw control characters in strings): look only then
    if not allow_nul and b"\\u0000" in body and holds_nul(value):
        raise ClientException(NUL_REFUSED, extra=problem_code("text.nul"))
    return value


class LeveeRequest(Request[Any, Any, Any]):
    """Litestar's request, with JSON bodies decoded by :func:`decode_body`."""

    async def json(self) -> Any:
        if self._json is Empty:
            if (cached := self._connection_state.json) is not Empty:
                self._json = cached
            else:
                self._json = self._connection_state.json = decode_body(
                    await self.body(),
                    self.route_handler.resolve_type_decoders(),
                    allow_nul=self.scope["path"] in NUL_PER_ITEM,
                )
        return self._json
