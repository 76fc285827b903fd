"""What the delivery-documents panel decides without a browser: who may record, the body of a
received/not-received record (a day is required when received), the type of a picked scan, and which
units the panel shows at first."""

from __future__ import annotations

from datetime import date
from typing import Any

from console.logic.customers import FormError
from shared.delivery import MAX_SCAN_BYTES

#: the scan types the server accepts, by file extension
SCAN_EXTENSIONS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


def document_body(received: bool, received_on: str, note: str = "") -> dict[str, Any]:
    """``{"received": true, "received_on": day}`` or ``{"received": false}``; a bad day is a form error."""
    if not received:
        return {"received": False, "received_on": None, "note": note.strip()}
    try:
        day = date.fromisoformat(received_on.strip())
    except ValueError as exc:
        raise FormError("console.delivery.bad_date") from exc
    return {"received": True, "received_on": day.isoformat(), "note": note.strip()}


def scan_type(filename: str, size: int) -> str:
    """The content type to send a picked file with, or a form error (not an accepted type, too large)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = SCAN_EXTENSIONS.get(extension)
    if content_type is None:
        raise FormError("console.delivery.bad_type")
    if size > MAX_SCAN_BYTES:
        raise FormError("console.delivery.too_large")
    return content_type


def units_to_show(units: list[dict[str, Any]], show_all: bool) -> tuple[list[dict[str, Any]], int]:
    """The units the panel lists, and how many it folds away: at first only the units with a document not
    yet received. A customer with a hundred delivered units had a panel 20,000 px tall of documents all
    in order, above its complaints and contacts; the complete ones are one line until asked for."""
    if show_all:
        return list(units), 0
    open_units = [u for u in units if not all(d["received"] for d in u["documents"])]
    return open_units, len(units) - len(open_units)
