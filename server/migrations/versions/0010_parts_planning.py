"""parts planning: reorder levels, shipments through the transit store, approval rules and pending
requests (issue 16 part 6, and part 5's 审查控制)

Revision ID: 0010_parts_planning
Revises: 0009_returns_claims
Create Date: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0010_parts_planning"
down_revision: str | None = "0009_returns_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "reorder_levels",
        sa.Column("store_id", GUID(length=16), nullable=False),
        sa.Column("part_id", GUID(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("updated_by", GUID(length=16), nullable=True),
        *_stamps(),
        _fk("reorder_levels", "store_id", "stores"),
        _fk("reorder_levels", "part_id", "parts"),
        _fk("reorder_levels", "updated_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_levels")),
        sa.UniqueConstraint("store_id", "part_id", name="reorder_store_part"),
    )
    with op.batch_alter_table("reorder_levels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reorder_levels_store_id"), ["store_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reorder_levels_part_id"), ["part_id"], unique=False)
    op.create_table(
        "stock_shipments",
        sa.Column("from_store_id", GUID(length=16), nullable=False),
        sa.Column("engineer_id", GUID(length=16), nullable=False),
        sa.Column("part_id", GUID(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("courier", sa.String(length=100), nullable=False),
        sa.Column("tracking_no", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", GUID(length=16), nullable=True),
        sa.Column("sent_at", TIME(timezone=True), nullable=True),
        sa.Column("received_at", TIME(timezone=True), nullable=True),
        sa.Column("received_by", GUID(length=16), nullable=True),
        *_stamps(),
        _fk("stock_shipments", "from_store_id", "stores"),
        _fk("stock_shipments", "engineer_id", "users"),
        _fk("stock_shipments", "part_id", "parts"),
        _fk("stock_shipments", "created_by", "users"),
        _fk("stock_shipments", "received_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_shipments")),
    )
    with op.batch_alter_table("stock_shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_shipments_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_shipments_status"), ["status"], unique=False)
    op.create_table(
        "stock_approval_rules",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("part_id", GUID(length=16), nullable=True),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        *_stamps(),
        _fk("stock_approval_rules", "part_id", "parts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_approval_rules")),
        sa.UniqueConstraint("kind", "part_id", name="approval_kind_part"),
    )
    op.create_table(
        "stock_requests",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_store_id", GUID(length=16), nullable=False),
        sa.Column("to_store_id", GUID(length=16), nullable=True),
        sa.Column("part_id", GUID(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("shipment_id", GUID(length=16), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", GUID(length=16), nullable=True),
        sa.Column("decided_by", GUID(length=16), nullable=True),
        sa.Column("decided_at", TIME(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=200), nullable=False),
        *_stamps(),
        _fk("stock_requests", "from_store_id", "stores"),
        _fk("stock_requests", "to_store_id", "stores"),
        _fk("stock_requests", "part_id", "parts"),
        _fk("stock_requests", "shipment_id", "stock_shipments"),
        _fk("stock_requests", "requested_by", "users"),
        _fk("stock_requests", "decided_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_requests")),
    )
    with op.batch_alter_table("stock_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_requests_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("stock_requests")
    op.drop_table("stock_approval_rules")
    op.drop_table("stock_shipments")
    op.drop_table("reorder_levels")
