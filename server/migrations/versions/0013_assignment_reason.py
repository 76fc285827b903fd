"""assignment reason: why a job was (re)assigned, kept in its assignment history (指派记录)

Revision ID: 0013_assignment_reason
Revises: 0012_notifications
Create Date: 2026-12-06 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_assignment_reason"
down_revision: str | None = "0012_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Assignments made before the field existed have no recorded reason: an empty text.
    with op.batch_alter_table("job_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("job_assignments", schema=None) as batch_op:
        batch_op.drop_column("reason")
