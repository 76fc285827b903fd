"""The tables the code declares (server/db/models.py) are the tables the migrations make: after
``upgrade head`` Alembic's autogenerate finds nothing to add, drop or alter, on both databases. A column
added to a model without a migration (or the other way round) fails here, not on a customer's upgrade."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.base import Base


def _differences(connection: Any) -> list[Any]:
    # SQLite reflects its loose type affinities (a 16-byte GUID reads back as NUMERIC(16)): types are
    # compared on PostgreSQL, where they are real; tables, columns, nullability and indexes on both
    strict = connection.dialect.name == "postgresql"
    context = MigrationContext.configure(connection, opts={"compare_type": strict})
    return list(compare_metadata(context, Base.metadata))


async def test_the_models_and_the_migrated_schema_are_the_same(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == [], "\n".join(map(str, differences))
