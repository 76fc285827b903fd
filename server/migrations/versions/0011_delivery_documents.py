"""delivery documents per delivered unit: 合格证, 使用说明书, 保修卡 with a scan (issue 16 part 1)

Revision ID: 0011_delivery_documents
Revises: 0010_parts_planning
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0011_delivery_documents"
down_revision: str | None = "0010_parts_planning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID(length=16)
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_documents",
        sa.Column("equipment_id", GUID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("received", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("scan_filename", sa.String(length=200), nullable=True),
        sa.Column("scan_content_type", sa.String(length=40), nullable=True),
        sa.Column("scan_size", sa.Integer(), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=True),
        sa.Column("scan_data", sa.LargeBinary(), nullable=True),
        sa.Column("scan_uploaded_at", UTC, nullable=True),
        sa.Column("scan_uploaded_by", GUID, nullable=True),
        sa.Column("id", GUID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_delivery_documents_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scan_uploaded_by"], ["users.id"], name=op.f("fk_delivery_documents_scan_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_documents")),
        sa.UniqueConstraint("equipment_id", "kind", name="delivery_document_kind"),
    )
    with op.batch_alter_table("delivery_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_documents_equipment_id"), ["equipment_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("delivery_documents")
