"""one transit store: a partial unique index on stores.kind for 'transit' (在途)

Two first shipments at once each found no transit store and made one: the units of one sat in a store the
other's receipt never read. With the index the second insert does nothing and reads the first's store
(server.stock.planning.transit_store).

Revision ID: 0015_one_transit_store
Revises: 0014_knowledge
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_one_transit_store"
down_revision: str | None = "0014_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    made = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM stores WHERE kind = 'transit'")).scalar_one()
    if made > 1:  # the race happened before this revision: say so rather than pick one store's books
        raise RuntimeError(
            f"{made} transit stores exist; move one's balances into the other with a stock transfer and "
            "deactivate it (or merge them in the database), then run the upgrade again"
        )
    op.create_index(
        "one_transit_store",
        "stores",
        ["kind"],
        unique=True,
        sqlite_where=sa.text("kind = 'transit'"),
        postgresql_where=sa.text("kind = 'transit'"),
    )


def downgrade() -> None:
    op.drop_index("one_transit_store", table_name="stores")
