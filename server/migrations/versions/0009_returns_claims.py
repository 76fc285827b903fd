"""returns, exchanges, old-part appraisals, supplier claims and compensation (issue 16 part 4, 包退包换包赔)

Revision ID: 0009_returns_claims
Revises: 0008_paid_repairs
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_returns_claims"
down_revision: str | None = "0008_paid_repairs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC
JSON = (
    sa.JSON()
    .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
    .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
    .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
)
MONEY = sa.Numeric(precision=12, scale=2)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "return_requests",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", GUID(length=16), nullable=False),
        sa.Column("job_id", GUID(length=16), nullable=True),
        sa.Column("part_id", GUID(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", GUID(length=16), nullable=False),
        sa.Column("requested_at", TIME(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("refund_amount", MONEY, nullable=True),
        sa.Column("decided_by", GUID(length=16), nullable=True),
        sa.Column("decided_at", TIME(timezone=True), nullable=True),
        sa.Column("movement_ids", JSON, nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("signed_at", TIME(timezone=True), nullable=True),
        sa.Column("completed_by", GUID(length=16), nullable=True),
        sa.Column("completed_at", TIME(timezone=True), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_return_requests_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_return_requests_job_id_jobs")),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_return_requests_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_return_requests_requested_by_users")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_return_requests_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["completed_by"], ["users.id"], name=op.f("fk_return_requests_completed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_return_requests_number")),
    )
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_requests_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_requests_status"), ["status"], unique=False)
    op.create_table(
        "old_part_appraisals",
        sa.Column("return_id", GUID(length=16), nullable=True),
        sa.Column("job_part_id", GUID(length=16), nullable=True),
        sa.Column("part_id", GUID(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("defect_type", sa.String(length=20), nullable=False),
        sa.Column("supplier_fault", sa.Boolean(), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("appraised_by", GUID(length=16), nullable=False),
        sa.Column("appraised_at", TIME(timezone=True), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["return_id"], ["return_requests.id"], name=op.f("fk_old_part_appraisals_return_id_return_requests")
        ),
        sa.ForeignKeyConstraint(
            ["job_part_id"], ["job_parts.id"], name=op.f("fk_old_part_appraisals_job_part_id_job_parts")
        ),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_old_part_appraisals_part_id_parts")),
        sa.ForeignKeyConstraint(
            ["appraised_by"], ["users.id"], name=op.f("fk_old_part_appraisals_appraised_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_old_part_appraisals")),
        sa.UniqueConstraint("return_id", name=op.f("uq_old_part_appraisals_return_id")),
        sa.UniqueConstraint("job_part_id", name=op.f("uq_old_part_appraisals_job_part_id")),
    )
    op.create_table(
        "supplier_claims",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("appraisal_id", GUID(length=16), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("amount_claimed", MONEY, nullable=False),
        sa.Column("amount_settled", MONEY, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("opened_by", GUID(length=16), nullable=False),
        sa.Column("opened_at", TIME(timezone=True), nullable=False),
        sa.Column("submitted_at", TIME(timezone=True), nullable=True),
        sa.Column("closed_at", TIME(timezone=True), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["old_part_appraisals.id"],
            name=op.f("fk_supplier_claims_appraisal_id_old_part_appraisals"),
        ),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_supplier_claims_opened_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_claims")),
        sa.UniqueConstraint("number", name=op.f("uq_supplier_claims_number")),
        sa.UniqueConstraint("appraisal_id", name=op.f("uq_supplier_claims_appraisal_id")),
    )
    with op.batch_alter_table("supplier_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_claims_status"), ["status"], unique=False)
    op.create_table(
        "job_compensations",
        sa.Column("job_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", GUID(length=16), nullable=False),
        sa.Column("recorded_at", TIME(timezone=True), nullable=False),
        sa.Column("decided_by", GUID(length=16), nullable=True),
        sa.Column("decided_at", TIME(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_compensations_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_job_compensations_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_job_compensations_decided_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_compensations")),
    )
    with op.batch_alter_table("job_compensations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_compensations_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_compensations_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("job_compensations")
    op.drop_table("supplier_claims")
    op.drop_table("old_part_appraisals")
    op.drop_table("return_requests")
