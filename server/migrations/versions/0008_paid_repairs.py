"""paid repairs: quotes made on the tablet, the office's charges and payments, the contract's discount
(issue 16 part 2, 有偿维修、优惠收费)

Revision ID: 0008_paid_repairs
Revises: 0007_loans
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0008_paid_repairs"
down_revision: str | None = "0007_loans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC
JSON = advanced_alchemy.types.JsonB  # an instance (JSON, JSONB on PostgreSQL)
MONEY = sa.Numeric(precision=12, scale=2)


def upgrade() -> None:
    with op.batch_alter_table("maintenance_agreements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "repair_discount_pct", sa.Numeric(precision=5, scale=2), server_default="0", nullable=False
            )
        )
    op.create_table(
        "job_quotes",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("job_id", GUID(length=16), nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("figures", JSON, nullable=False),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("discount", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("device_total", MONEY, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_reason", sa.String(length=40), nullable=False),
        sa.Column("quoted_at", TIME(timezone=True), nullable=False),
        sa.Column("accepted_at", TIME(timezone=True), nullable=True),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("made_by", GUID(length=16), nullable=True),
        sa.Column("received_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_quotes_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["made_by"], ["users.id"], name=op.f("fk_job_quotes_made_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_quotes")),
    )
    with op.batch_alter_table("job_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_quotes_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_quotes_status"), ["status"], unique=False)
    op.create_table(
        "repair_charges",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("quote_id", GUID(length=16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("issued_at", TIME(timezone=True), nullable=False),
        sa.Column("issued_by", GUID(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["job_quotes.id"], name=op.f("fk_repair_charges_quote_id_job_quotes")
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_repair_charges_issued_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_charges")),
        sa.UniqueConstraint("number", name=op.f("uq_repair_charges_number")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_repair_charges_quote_id")),
    )
    op.create_table(
        "repair_payments",
        sa.Column("charge_id", GUID(length=16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", GUID(length=16), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charge_id"], ["repair_charges.id"], name=op.f("fk_repair_payments_charge_id_repair_charges")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_repair_payments_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_payments")),
    )
    with op.batch_alter_table("repair_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_payments_charge_id"), ["charge_id"], unique=False)


def downgrade() -> None:
    op.drop_table("repair_payments")
    op.drop_table("repair_charges")
    op.drop_table("job_quotes")
    with op.batch_alter_table("maintenance_agreements", schema=None) as batch_op:
        batch_op.drop_column("repair_discount_pct")
