"""staff files: certificates, qualifications per equipment category, training; the qualification gaps
kept with a job assignment (issue 17 part 2)

Revision ID: 0017_staff_files
Revises: 0016_quality_incidents
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_staff_files"
down_revision: str | None = "0016_quality_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID(length=16)
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _json() -> sa.types.TypeEngine[object]:
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
        .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    )


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", GUID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "staff_certificates",
        sa.Column("engineer_id", GUID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["users.id"],
            name=op.f("fk_staff_certificates_engineer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_certificates")),
    )
    with op.batch_alter_table("staff_certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_certificates_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_certificates_expires_on"), ["expires_on"], unique=False)

    op.create_table(
        "staff_qualifications",
        sa.Column("engineer_id", GUID, nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("certificate_id", GUID, nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["staff_certificates.id"],
            name=op.f("fk_staff_qualifications_certificate_id_staff_certificates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["users.id"],
            name=op.f("fk_staff_qualifications_engineer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_qualifications")),
        sa.UniqueConstraint("engineer_id", "category", name="staff_qualification_category"),
    )
    with op.batch_alter_table("staff_qualifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_qualifications_engineer_id"), ["engineer_id"], unique=False
        )

    op.create_table(
        "staff_training",
        sa.Column("engineer_id", GUID, nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["users.id"],
            name=op.f("fk_staff_training_engineer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_training")),
    )
    with op.batch_alter_table("staff_training", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_training_engineer_id"), ["engineer_id"], unique=False)


    # Assignments made before the check existed lacked nothing that was recorded: an empty list.
    with op.batch_alter_table("job_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualification_gaps", _json(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("job_assignments", schema=None) as batch_op:
        batch_op.drop_column("qualification_gaps")
    op.drop_table("staff_training")
    op.drop_table("staff_qualifications")
    op.drop_table("staff_certificates")
