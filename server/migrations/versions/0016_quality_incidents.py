"""quality incidents: one defect on one equipment model across customers, its linked jobs and the actions
taken (issue 17 part 6, 批量或重大质量问题)

Revision ID: 0016_quality_incidents
Revises: 0015_one_transit_store
Create Date: 2026-12-06 21:50:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0016_quality_incidents"
down_revision: str | None = "0015_one_transit_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC


def upgrade() -> None:
    op.create_table(
        "quality_incidents",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("equipment_model", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("fault", sa.Text(), nullable=False),
        sa.Column("fault_category", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("opened_by", GUID(length=16), nullable=False),
        sa.Column("opened_at", TIME(timezone=True), nullable=False),
        sa.Column("closed_at", TIME(timezone=True), nullable=True),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_quality_incidents_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_quality_incidents_opened_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_quality_incidents_number")),
    )
    with op.batch_alter_table("quality_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_incidents_equipment_model"), ["equipment_model"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quality_incidents_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_incidents_opened_at"), ["opened_at"], unique=False)
    op.create_table(
        "quality_incident_jobs",
        sa.Column("incident_id", GUID(length=16), nullable=False),
        sa.Column("job_id", GUID(length=16), nullable=False),
        sa.Column("linked_by", GUID(length=16), nullable=False),
        sa.Column("linked_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["quality_incidents.id"],
            name=op.f("fk_quality_incident_jobs_incident_id_quality_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_quality_incident_jobs_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_quality_incident_jobs_linked_by_users")
        ),
        sa.PrimaryKeyConstraint("incident_id", "job_id", name=op.f("pk_quality_incident_jobs")),
    )
    with op.batch_alter_table("quality_incident_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_incident_jobs_job_id"), ["job_id"], unique=False)
    op.create_table(
        "quality_incident_actions",
        sa.Column("incident_id", GUID(length=16), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("recorded_by", GUID(length=16), nullable=False),
        sa.Column("recorded_at", TIME(timezone=True), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["quality_incidents.id"],
            name=op.f("fk_quality_incident_actions_incident_id_quality_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_quality_incident_actions_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_incident_actions")),
    )
    with op.batch_alter_table("quality_incident_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_incident_actions_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("quality_incident_actions")
    op.drop_table("quality_incident_jobs")
    op.drop_table("quality_incidents")
