"""Demo delivery documents: every delivered unit came with its 合格证 and 使用说明书 on its delivery day;
most warranty cards came back stamped, some are still missing (so the console shows a gap to chase); the
first units' certificates have a scan (a small generated page, stored like an uploaded one).
Everything comes from ``random.Random(rng_seed)``, like the rest of the demo."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import DeliveryDocument, Equipment
from shared.delivery import DeliveryDocumentKind

#: how many units get a scan of their certificate (enough to show, small enough for the demo database)
SCANNED = 6


def _page(serial: str) -> bytes:
    """A grey page with a stamp and lines of text, as a phone photographs a certificate."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (420, 300), (246, 244, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 408, 288), outline=(90, 90, 90), width=3)
    for i in range(7):
        draw.line((40, 60 + i * 28, 300 - (i % 3) * 40, 60 + i * 28), fill=(60, 60, 60), width=3)
    draw.ellipse((300, 180, 390, 270), outline=(200, 30, 30), width=5)
    draw.text((40, 24), serial, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


async def seed_delivery_documents(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """The caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 11)
    units = (
        await session.scalars(
            select(Equipment)
            .where(Equipment.delivered_on.is_not(None))
            .order_by(Equipment.category, Equipment.serial_no)
        )
    ).all()
    rows = 0
    for n, unit in enumerate(units):
        for kind in DeliveryDocumentKind:
            received = kind is not DeliveryDocumentKind.WARRANTY_CARD or rng.random() < 0.8
            row = DeliveryDocument(
                equipment_id=unit.id,
                kind=kind.value,
                received=received,
                received_on=unit.delivered_on if received else None,
                note="" if received else "客户盖章后寄回",
            )
            if kind is DeliveryDocumentKind.CERTIFICATE and n < SCANNED:
                data = _page(unit.serial_no)
                row.scan_filename = f"合格证-{unit.serial_no}.png"
                row.scan_content_type, row.scan_size = "image/png", len(data)
                row.scan_sha256, row.scan_data, row.scan_uploaded_at = (
                    hashlib.sha256(data).hexdigest(),
                    data,
                    now,
                )
            session.add(row)
            rows += 1
    await session.flush()
    return {"delivery_documents": rows}
