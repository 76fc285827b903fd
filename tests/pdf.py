"""Reading a PDF the server made back as text, with pypdf from the lock (no system tool such as poppler).

A test that checks a PDF's words must be able to read them on any machine ``python3 tasks.py test`` set
up, so there is no "tool missing, check skipped" path here: the text is always returned.
"""

from __future__ import annotations

import io
from pathlib import Path


def pdf_text(pdf: bytes, tmp_path: Path | None = None) -> str:
    """Every page's text, pages separated by a form feed (``tmp_path`` is accepted and unused).

    fpdf2 embeds a ToUnicode map with its font subsets, so CJK text reads back as characters; words
    may come out with line breaks or spaces between them, so callers compare with whitespace removed.
    That map gives one-byte source codes for the two-byte glyph codes of the page, so pypdf reads the
    high byte of each as an unmapped NUL: NUL is never text, and is dropped.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf), strict=True)
    return "\f".join((page.extract_text() or "").replace("\x00", "") for page in reader.pages)


def squeezed(text: str) -> str:
    """``text`` with all whitespace removed (PDF text extraction breaks lines where the layout did)."""
    return "".join(text.split())
