"""Developer tool: ``python -m server.db.revision "message"`` autogenerates a migration.

It compares the models with a throwaway SQLite database upgraded to the newest migration.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import Connection

from server.db.engine import make_engine
from server.db.migrate import alembic_config, upgrade


async def _main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'rev.db'}")
        await upgrade(engine)

        def _rev(conn: Connection) -> None:
            command.revision(alembic_config(conn), message=message, autogenerate=True)

        async with engine.begin() as conn:
            await conn.run_sync(_rev)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main(" ".join(sys.argv[1:]) or "change"))
