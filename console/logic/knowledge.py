"""What the library screen decides without a browser: who curates, a case's edits from the form (only
what changed, parts one per line or comma), and the type of a picked manual."""

from __future__ import annotations

from console.logic.customers import FormError
from shared.enums import Role
from shared.knowledge import MAX_MANUAL_BYTES, CaseOut, CaseUpdate
from shared.roles import Capability, can

#: the file types the server accepts for a manual, by extension
MANUAL_EXTENSIONS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


def can_curate(role: Role | str) -> bool:
    return can(role, Capability.CURATE_KNOWLEDGE)


def split_parts(text: str) -> list[str]:
    """Parts typed one per line or separated by commas (either kind), blanks dropped."""
    for sep in ("，", ",", "；", ";"):
        text = text.replace(sep, "\n")
    return [p.strip() for p in text.splitlines() if p.strip()]


def case_edits(case: CaseOut, title: str, symptom: str, cause: str, fix: str, parts: str) -> CaseUpdate:
    """The fields of the form that differ from the case (nothing sent for the others)."""
    if not symptom.strip():
        raise FormError("console.knowledge.need_symptom")
    typed = {
        "title": title.strip(),
        "symptom": symptom.strip(),
        "cause": cause.strip(),
        "fix": fix.strip(),
        "parts": split_parts(parts),
    }
    changed = {k: v for k, v in typed.items() if getattr(case, k) != v}
    try:
        return CaseUpdate(**changed)
    except ValueError as exc:
        raise FormError("console.knowledge.too_long") from exc


def manual_type(filename: str, size: int) -> str:
    """The content type to send a picked file with, or a form error (not an accepted type, too large)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = MANUAL_EXTENSIONS.get(extension)
    if content_type is None:
        raise FormError("console.knowledge.bad_type")
    if size > MAX_MANUAL_BYTES:
        raise FormError("console.knowledge.too_large")
    return content_type
