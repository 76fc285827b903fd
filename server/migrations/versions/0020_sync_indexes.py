"""indexes for the sync's reads that grew with history (issue 15): a device's first download sends its
engineer's newest conflicts, and read every conflict of every user to find them; a push asks for the
device's last push, and read every mutation the device ever sent (by device and time now, which also
serves every read by device alone)

Revision ID: 0020_sync_indexes
Revises: 0019_contact_register
Create Date: 2026-12-07 15:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_sync_indexes"
down_revision: str | None = "0019_contact_register"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conflicts_user_created", "conflicts", ["user_id", "created_at"])
    op.create_index("ix_mutations_device_received", "mutations", ["device_id", "received_at"])
    op.drop_index("ix_mutations_device_id", table_name="mutations")


def downgrade() -> None:
    op.create_index("ix_mutations_device_id", "mutations", ["device_id"])
    op.drop_index("ix_mutations_device_received", table_name="mutations")
    op.drop_index("ix_conflicts_user_created", table_name="conflicts")
