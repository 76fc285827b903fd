"""conflicts by user and time: a device's first download sends its engineer's newest conflicts, and read
every conflict of every user to find them (issue 15)

Revision ID: 0020_conflicts_by_user
Revises: 0019_contact_register
Create Date: 2026-12-07 15:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_conflicts_by_user"
down_revision: str | None = "0019_contact_register"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conflicts_user_created", "conflicts", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_conflicts_user_created", table_name="conflicts")
