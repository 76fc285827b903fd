"""Alembic migrations, run in-process by :func:`server.db.migrate.upgrade`."""
