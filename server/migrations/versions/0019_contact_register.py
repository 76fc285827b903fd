"""contact register (来电来函登记): every contact with its channel, kind, summary and outcome; complaint
severity and deadline; key customers (重点客户) and the person responsible (指定专人负责)
(issue 17 part 3); the kind of a schedule (inspection or care visit, 回访/走访)

Revision ID: 0019_contact_register
Revises: 0018_stations
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0019_contact_register"
down_revision: str | None = "0018_stations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("customer_id", GUID(length=16), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("received_at", TIME(timezone=True), nullable=False),
        sa.Column("taken_by", GUID(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("job_id", GUID(length=16), nullable=True),
        sa.Column("complaint_id", GUID(length=16), nullable=True),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")),
        sa.ForeignKeyConstraint(["taken_by"], ["users.id"], name=op.f("fk_contacts_taken_by_users")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_contacts_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_contacts_complaint_id_complaints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("number", name=op.f("uq_contacts_number")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_received_at", ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_complaint_id"), ["complaint_id"], unique=False)
    # complaints recorded before deadlines existed are general and have none (nothing escalates them)
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("severity", sa.String(length=20), nullable=False, server_default="general")
        )
        batch_op.add_column(sa.Column("due_at", TIME(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_complaints_due_at"), ["due_at"], unique=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_customer", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("responsible_id", GUID(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_responsible_id_users"),
            "users",
            ["responsible_id"],
            ["id"],
            ondelete="SET NULL",
        )


    # schedules made before care visits existed are inspection schedules
    with op.batch_alter_table("inspection_schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="inspection")
        )


def downgrade() -> None:
    with op.batch_alter_table("inspection_schedules", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_customers_responsible_id_users"), type_="foreignkey")
        batch_op.drop_column("responsible_id")
        batch_op.drop_column("key_customer")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_due_at"))
        batch_op.drop_column("due_at")
        batch_op.drop_column("severity")
    op.drop_table("contacts")
