"""knowledge in the field: the case library, manuals and training materials per model, a training
session's phase (issue 17 part 5: 维护经验汇编、培训教材、用户手册)

Revision ID: 0014_knowledge
Revises: 0013_assignment_reason
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_knowledge"
down_revision: str | None = "0013_assignment_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID(length=16)
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
JSON = (
    sa.JSON()
    .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
    .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
    .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
)


def upgrade() -> None:
    op.create_table(
        "knowledge_cases",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("symptom", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("parts", JSON, nullable=False),
        sa.Column("job_id", GUID, nullable=True),
        sa.Column("created_by", GUID, nullable=True),
        sa.Column("published_at", UTC, nullable=True),
        sa.Column("published_by", GUID, nullable=True),
        sa.Column("id", GUID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_knowledge_cases_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_knowledge_cases_created_by_users")),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_knowledge_cases_published_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_knowledge_cases_number")),
        sa.UniqueConstraint("job_id", name=op.f("uq_knowledge_cases_job_id")),
    )
    with op.batch_alter_table("knowledge_cases", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_cases_model_status", ["model", "status"], unique=False)
    op.create_table(
        "knowledge_manuals",
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.Column("uploaded_by", GUID, nullable=True),
        sa.Column("id", GUID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_knowledge_manuals_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_manuals")),
    )
    with op.batch_alter_table("knowledge_manuals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_manuals_model"), ["model"], unique=False)
    op.create_table(
        "training_materials",
        sa.Column("job_id", GUID, nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=True),
        sa.Column("manual_ids", JSON, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", GUID, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_training_materials_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_training_materials_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_training_materials")),
    )


def downgrade() -> None:
    op.drop_table("training_materials")
    op.drop_table("knowledge_manuals")
    op.drop_table("knowledge_cases")
