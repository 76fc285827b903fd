"""Delivery documents (随机文件) per delivered equipment unit: 合格证, 使用说明书, 保修卡.

The service plan's delivery clause hands the customer, with each unit, its certificate of conformity
(产品合格证), its user manual (使用说明书) and its warranty card (保修卡). For each unit and each of the
three the office records whether the customer received it and on which day, and attaches a scan of the
signed or stamped copy (an image or a PDF; :data:`SCAN_TYPES`, at most :data:`MAX_SCAN_BYTES`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import model_validator

from shared.models import Model, OutModel, ShortText

__all__ = [
    "MAX_SCAN_BYTES",
    "SCAN_TYPES",
    "DeliveryDocumentKind",
    "DeliveryDocumentOut",
    "DeliveryDocumentSet",
    "EquipmentDocuments",
]

#: a scanned page or two; a phone photo of a page is well under this
MAX_SCAN_BYTES = 5 * 1024 * 1024
#: what a scan may be: the photo formats job photos accept, and PDF
SCAN_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class DeliveryDocumentKind(StrEnum):
    """The documents delivered with each unit, in the order the plan names them."""

    CERTIFICATE = "certificate"  # 合格证
    MANUAL = "manual"  # 使用说明书
    WARRANTY_CARD = "warranty_card"  # 保修卡


class DeliveryDocumentSet(Model):
    """Whether the customer received the document and on which day (required when received, empty when
    not)."""

    received: bool
    received_on: date | None = None
    note: ShortText = ""

    @model_validator(mode="after")
    def _dated(self) -> Self:
        if self.received and self.received_on is None:
            raise ValueError("received_on is required when the document was received")
        if not self.received and self.received_on is not None:
            raise ValueError("received_on must be empty when the document was not received")
        return self


class DeliveryDocumentOut(OutModel):
    """One document of one unit; a document nobody recorded yet answers ``received: false``."""

    equipment_id: uuid.UUID
    kind: DeliveryDocumentKind
    received: bool = False
    received_on: date | None = None
    note: str = ""
    #: the scan, when one is attached (``GET .../documents/{kind}/scan``)
    scan_filename: str | None = None
    scan_content_type: str | None = None
    scan_size: int | None = None
    scan_uploaded_at: datetime | None = None


class EquipmentDocuments(OutModel):
    """A unit with its three documents (for a customer's file)."""

    equipment_id: uuid.UUID
    category: str
    model: str
    serial_no: str
    delivered_on: date | None
    documents: list[DeliveryDocumentOut]
