"""the change log keeps, on each row, where its unbroken run of puts to its audience began
(``entered_seq``): an incremental pull sends a job's customer, site and equipment only when the job
entered the engineer's scope after the device's cursor, not again with every change of the job (issue 15)

A row logged before this migration counts as entered at its own number: a device behind it receives the
references again, as before; a device past it received them with that put.

Revision ID: 0021_log_entered_seq
Revises: 0020_sync_indexes
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_log_entered_seq"
down_revision: str | None = "0020_sync_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.add_column(sa.Column("entered_seq", sa.BigInteger(), nullable=True))
    op.execute("UPDATE change_log SET entered_seq = seq")
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.alter_column("entered_seq", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.drop_column("entered_seq")
