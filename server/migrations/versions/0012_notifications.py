"""escalation: rules, notifications (one per event and recipient) and their delivery attempts
(issue 17 part 4, 紧急事件应及时上报)

Revision ID: 0012_notifications
Revises: 0011_delivery_documents
Create Date: 2026-12-06 18:20:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_notifications"
down_revision: str | None = "0011_delivery_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC


def _json() -> sa.types.TypeEngine[object]:
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
        .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    )


def upgrade() -> None:
    op.create_table(
        "escalation_rules",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("customer_id", GUID(length=16), nullable=True),
        sa.Column("events", _json(), nullable=False),
        sa.Column("roles", _json(), nullable=False),
        sa.Column("user_ids", _json(), nullable=False),
        sa.Column("emails", _json(), nullable=False),
        sa.Column("channels", _json(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_escalation_rules_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_rules")),
    )
    with op.batch_alter_table("escalation_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_rules_customer_id"), ["customer_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("event_kind", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=600), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=True),
        sa.Column("job_id", GUID(length=16), nullable=True),
        sa.Column("rule_id", GUID(length=16), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("promise", sa.String(length=20), nullable=True),
        sa.Column("due_at", TIME(timezone=True), nullable=True),
        sa.Column("params", _json(), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("read_at", TIME(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("sent_at", TIME(timezone=True), nullable=True),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_notifications_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["escalation_rules.id"],
            name=op.f("fk_notifications_rule_id_escalation_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("event_key", "recipient", name="notification_event_recipient"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_job_id"), ["job_id"], unique=False)
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)
        batch_op.create_index("ix_notifications_state_next", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "notification_attempts",
        sa.Column("notification_id", GUID(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", TIME(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_attempts_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
        sa.UniqueConstraint("notification_id", "number", name="attempt_number"),
    )
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_attempts_notification_id"), ["notification_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("notification_attempts")
    op.drop_table("notifications")
    op.drop_table("escalation_rules")
