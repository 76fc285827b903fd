"""Alembic environment: runs on the connection handed in by server.db.migrate."""

from __future__ import annotations

from alembic import context

from server.db import models  # noqa: F401  (registers the tables)
from server.db.base import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations with `levee db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
