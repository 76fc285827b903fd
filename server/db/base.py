"""Declarative base with portable column types (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.clock import utcnow as utcnow  # re-exported for server/replication/push.py, being rewritten apart
from shared.ids import uuid7

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        uuid.UUID: GUID,
        datetime: DateTimeUTC,
        dict[str, Any]: JsonB,
        list[Any]: JsonB,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements built once on hot paths (no ORM identity map or bulk work)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
