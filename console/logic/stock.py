"""The stock screen's rules without a browser: stores in order and by a stable key, typed quantities,
the count's preview (book, counted, difference, which lines still need a reason), how a refused transfer
and a van shortfall read, and the ledger's lines in words. Pure; the server keeps the books."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.i18n import translate

KIND_ORDER = ("new", "returned", "van")
#: the stock screen's sections, in the order of its chips
SECTIONS = (
    "balances",
    "transfer",
    "receive",
    "count",
    "movements",
    "conflicts",
    "returns",
    "report",
    "planning",
)
REPORT_COLUMNS = (
    "opening",
    "received",
    "transferred_in",
    "transferred_out",
    "consumed",
    "returned",
    "adjusted",
    "closing",
    "closing_value",
)


def store_key(store: dict[str, Any], engineers: dict[str, dict[str, Any]]) -> str:
    """A stable handle for a store: ``new`` / ``returned`` (with its id when there are several) or the
    van's engineer's username (``eng01``), for tests and for the controls' identifiers."""
    if store.get("kind") == "van":
        engineer = engineers.get(str(store.get("engineer_id")))
        return str(engineer["username"]) if engineer else f"van-{store.get('id')}"
    return str(store.get("kind"))


def store_label(lang: str, store: dict[str, Any]) -> str:
    """A van reads as its engineer's van in the user's language; other stores by their name."""
    if store.get("kind") == "van" and store.get("engineer_name"):
        return translate(lang, "console.stock.van_of", name=store["engineer_name"])
    return str(store.get("name", ""))


def ordered_stores(stores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New-parts stores first, then returned, then the vans by engineer; open stores before closed."""
    return sorted(
        stores,
        key=lambda s: (
            KIND_ORDER.index(s.get("kind", "van")) if s.get("kind") in KIND_ORDER else 3,
            not s.get("active", True),
            str(s.get("engineer_name") or s.get("name") or ""),
        ),
    )


def by_store(balances: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Balance rows per store id, by part code; rows at zero are left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(balances, key=lambda b: str(b.get("part_code", ""))):
        if row.get("quantity"):
            out.setdefault(str(row["store_id"]), []).append(row)
    return out


def held(balances: list[dict[str, Any]], store_id: str, part_id: str) -> int:
    return sum(
        int(b.get("quantity", 0))
        for b in balances
        if str(b.get("store_id")) == store_id and str(b.get("part_id")) == part_id
    )


def parse_quantity(text: str, *, allow_zero: bool = False) -> int | None:
    """A whole number typed by a clerk (full-width digits too); None when it is not one."""
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not cleaned.isdigit():
        return None
    value = int(cleaned)
    if value > 1_000_000 or (value == 0 and not allow_zero):
        return None
    return value


def parse_cost(text: str) -> float | None:
    """A unit cost in yuan (empty is zero); None when it is not a number of 0 or more."""
    cleaned = text.strip().replace("，", ".").replace("¥", "").replace("元", "")
    if not cleaned:
        return 0.0
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if 0 <= value <= 10_000_000 else None


@dataclass(frozen=True)
class PreviewLine:
    part_id: str
    part_code: str
    part_name: str
    book: int
    counted: int | None  # None: not counted (left out of the count) or not a number
    reason: str
    difference: int
    bad_number: bool
    needs_reason: bool


def count_preview(
    parts: list[dict[str, Any]],
    balances: list[dict[str, Any]],
    store_id: str,
    typed: dict[str, tuple[str, str]],
) -> list[PreviewLine]:
    """Each part the store holds or the clerk typed a count for: the book (as the screen last read it;
    the server reads it again under lock), the count, the difference and whether a reason is missing."""
    shown = {str(b["part_id"]) for b in balances if str(b.get("store_id")) == store_id and b.get("quantity")}
    shown |= {pid for pid, (text, _) in typed.items() if text.strip()}
    lines = []
    for part in sorted(parts, key=lambda p: str(p.get("code", ""))):
        pid = str(part["id"])
        if pid not in shown:
            continue
        text, reason = typed.get(pid, ("", ""))
        counted = parse_quantity(text, allow_zero=True) if text.strip() else None
        book = held(balances, store_id, pid)
        difference = (counted - book) if counted is not None else 0
        lines.append(
            PreviewLine(
                part_id=pid,
                part_code=str(part.get("code", "")),
                part_name=str(part.get("name", "")),
                book=book,
                counted=counted,
                reason=reason.strip(),
                difference=difference,
                bad_number=bool(text.strip()) and counted is None,
                needs_reason=difference != 0 and not reason.strip(),
            )
        )
    return lines


def count_problem(lines: list[PreviewLine]) -> str:
    """The catalogue key of what stops the count from being posted, or "" when it can go."""
    if any(line.bad_number for line in lines):
        return "console.stock.count_bad_number"
    if not any(line.counted is not None for line in lines):
        return "console.stock.count_empty"
    if any(line.needs_reason for line in lines if line.counted is not None):
        return "console.stock.count_needs_reason"
    return ""


def count_body(store_id: str, note: str, lines: list[PreviewLine]) -> dict[str, Any]:
    return {
        "store_id": store_id,
        "note": note.strip(),
        "lines": [
            {"part_id": line.part_id, "counted_quantity": line.counted, "reason": line.reason}
            for line in lines
            if line.counted is not None
        ],
    }


def transfer_refused(lang: str, body: dict[str, Any], store_name: str, fallback: str) -> str:
    """A refused transfer in words: how many the store holds when the server said so."""
    if body.get("reason") == "insufficient_stock" and isinstance(body.get("held"), int):
        return translate(
            lang,
            "console.stock.transfer_refused",
            store=store_name,
            held=body["held"],
            wanted=body.get("requested", "?"),
        )
    return fallback


def signed(quantity: int) -> str:
    return f"+{quantity}" if quantity > 0 else str(quantity)


def movement_row(lang: str, m: dict[str, Any], when: str) -> list[str]:
    """A ledger line for the movements table: when, what, part, quantity, other store / job, reason, who."""
    other = m.get("other_store_name") or m.get("job_number") or ""
    reason = m.get("reason") or ""
    if reason == "shortfall":
        reason = translate(lang, "console.stock.shortfall_line")
    return [
        when,
        translate(lang, f"enum.movement_kind.{m.get('kind')}"),
        f"{m.get('part_code', '')} {m.get('part_name', '')}",
        signed(int(m.get("quantity", 0))),
        other,
        reason,
        m.get("user_name") or "",
    ]


def stock_conflict_text(lang: str, conflict: dict[str, Any], part_names: dict[str, str]) -> str:
    """``used 3 机械密封, van had 1`` in words, from the conflict the push recorded."""
    device = conflict.get("device_value") if isinstance(conflict.get("device_value"), dict) else {}
    server = conflict.get("server_value") if isinstance(conflict.get("server_value"), dict) else {}
    assert isinstance(device, dict) and isinstance(server, dict)
    part = part_names.get(str(device.get("part_id")), "") or translate(lang, "console.stock.a_part")
    return translate(
        lang,
        "console.stock.used_beyond",
        used=device.get("used", "?"),
        part=part,
        had=server.get("on_hand", "?"),
    )


def report_cells(row: dict[str, Any]) -> list[str]:
    """A parts report row's figures, as the table shows them (values with two decimals)."""
    out = []
    for column in REPORT_COLUMNS:
        value = row.get(column, 0)
        out.append(f"{value:.2f}" if column.endswith("_value") else str(value))
    return out
