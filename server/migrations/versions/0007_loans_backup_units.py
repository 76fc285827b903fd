"""backup equipment: the pool of units and the loans per job (issue 16 part 3, 8小时内提供备品)

Revision ID: 0007_loans
Revises: 0006_contracts
Create Date: 2026-12-06 15:10:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0007_loans"
down_revision: str | None = "0006_contracts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC


def upgrade() -> None:
    op.create_table(
        "backup_units",
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("serial_no", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=20), nullable=False),
        sa.Column("place_note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("current_loan_id", GUID(length=16), nullable=True),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_units")),
        sa.UniqueConstraint("category", "serial_no", name="backup_category_serial"),
    )
    with op.batch_alter_table("backup_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backup_units_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_backup_units_status"), ["status"], unique=False)
    op.create_table(
        "job_loans",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("job_id", GUID(length=16), nullable=False),
        sa.Column("unit_id", GUID(length=16), nullable=False),
        sa.Column("lent_at", TIME(timezone=True), nullable=False),
        sa.Column("lent_by", GUID(length=16), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("returned_at", TIME(timezone=True), nullable=True),
        sa.Column("returned_by", GUID(length=16), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=True),
        sa.Column("return_note", sa.String(length=500), nullable=False),
        sa.Column("received_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_loans_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["backup_units.id"], name=op.f("fk_job_loans_unit_id_backup_units")
        ),
        sa.ForeignKeyConstraint(["lent_by"], ["users.id"], name=op.f("fk_job_loans_lent_by_users")),
        sa.ForeignKeyConstraint(["returned_by"], ["users.id"], name=op.f("fk_job_loans_returned_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_loans")),
    )
    with op.batch_alter_table("job_loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_loans_job_id"), ["job_id"], unique=False)
        batch_op.create_index("ix_job_loans_unit_lent", ["unit_id", "lent_at"], unique=False)


def downgrade() -> None:
    op.drop_table("job_loans")
    op.drop_table("backup_units")
