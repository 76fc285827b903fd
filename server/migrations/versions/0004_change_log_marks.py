"""change log marks: a random mark per range of log numbers, so a restore is recognised by itself

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 08:40:00
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "change_log_marks",
        sa.Column("last_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("mark", sa.String(length=16), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("last_seq", name=op.f("pk_change_log_marks")),
    )
    # The numbers handed out before marks existed form one range with a mark of its own.
    counters = sa.table("counters", sa.column("name", sa.String()), sa.column("value", sa.BigInteger()))
    head = op.get_bind().scalar(sa.select(counters.c.value).where(counters.c.name == "change_log"))
    if head:
        op.bulk_insert(
            table,
            [{"last_seq": int(head), "first_seq": 1, "mark": secrets.token_hex(6), "created_at": datetime.now(UTC)}],
        )


def downgrade() -> None:
    op.drop_table("change_log_marks")
