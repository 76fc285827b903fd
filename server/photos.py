"""A photo is accepted only when it decodes as the image it claims to be, within bounded dimensions.

Checking the first bytes let a WAV through as WebP (both start with ``RIFF``), and an 8000x8000 PNG of
186 KB made the service-form PDF decode 256 MB of pixels per photo. A photo is opened with Pillow: its
format must match its content type, its size must stay within :data:`MAX_SIDE` per side and
:data:`MAX_PIXELS` in all (a 20-megapixel phone photo fits), and it must decode to the end. Decoding is
bounded by those limits (a JPEG is decoded at a reduced scale, which reads all of its data). The PDF
draws :func:`thumbnail` copies, within the same bounds. A signature's coordinates are bounded too
(:func:`check_signature`): a 400-digit one became ``inf`` and wrote ``nan`` into the PDF.
"""

from __future__ import annotations

import io
import math
import re

from PIL import Image

MAX_SIDE = 6000
MAX_PIXELS = 24_000_000
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class NotAnImage(ValueError):
    """Why the bytes are not an acceptable photo, in words for the engineer."""


def check_photo(data: bytes, content_type: str) -> tuple[int, int]:
    """The photo's (width, height), or :class:`NotAnImage` saying why it is refused."""
    expected = FORMATS.get(content_type)
    if expected is None:
        raise NotAnImage(f"photos must be one of {', '.join(FORMATS)}")
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise NotAnImage(
                    f"the photo is {width}x{height} pixels; at most {MAX_SIDE} per side and "
                    f"{MAX_PIXELS // 1_000_000} million in all are accepted"
                )
            if expected == "JPEG":
                image.draft("RGB", (width // 8 or 1, height // 8 or 1))
            image.load()
    except NotAnImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise NotAnImage(f"the photo is not a readable {content_type} image ({type(exc).__name__})") from None
    return width, height


#: The thumbnail a PDF draws: 56 mm wide at about 270 dpi is plenty for print.
THUMBNAIL_PIXELS = (600, 450)


def thumbnail(data: bytes) -> Image.Image:
    """A small copy of a stored photo for the PDF, decoded within the same bounds as on acceptance
    (a photo stored before those bounds, or one larger, is refused rather than decoded)."""
    image = Image.open(io.BytesIO(data), formats=list(FORMATS.values()))
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        image.close()
        raise NotAnImage(f"the photo is {width}x{height} pixels")
    image.draft("RGB", THUMBNAIL_PIXELS)  # a JPEG decodes at a fraction of its size
    image.thumbnail(THUMBNAIL_PIXELS)
    return image.convert("RGB")


#: How far a signature's points may lie from the origin: a signing pad is a few thousand pixels.
MAX_COORDINATE = 10_000.0
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def check_signature(path: str) -> None:
    """Refuse a signature (SVG path data) with a coordinate that is not a bounded number."""
    for token in _NUMBER.findall(path):
        value = float(token)
        if len(token) > 24 or not math.isfinite(value) or abs(value) > MAX_COORDINATE:
            raise NotAnImage(f"the signature has a coordinate out of range (at most ±{MAX_COORDINATE:.0f})")


def bounded_point(x: float, y: float) -> bool:
    """A point that can be drawn: finite and within :data:`MAX_COORDINATE`."""
    return all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in (x, y))


def unreadable_document(data: bytes, content_type: str) -> str | None:
    """Why an uploaded document (a delivery scan, a manual) cannot be read, in words; None when it is a
    readable image of its type or a PDF from its header to its ``%%EOF`` with at least one page.

    The callers check emptiness, size and type against their own limits first and give their own
    refusal codes."""
    if content_type != "application/pdf":
        try:
            check_photo(data, content_type)
        except NotAnImage as exc:  # not an image of that type, or too many pixels
            return str(exc)
        return None
    from pypdf import PdfReader

    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        return "not a whole PDF (no %PDF- header or no %%EOF)"
    try:
        pages = len(PdfReader(io.BytesIO(data), strict=False).pages)
    except Exception as exc:
        return f"a PDF that cannot be read ({type(exc).__name__})"
    return None if pages >= 1 else "a PDF without a page"
