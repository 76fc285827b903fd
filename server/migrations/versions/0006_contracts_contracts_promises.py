"""contracts: a customer's contracts over time, their promises per severity x category x job kind,
warranty certificates (质量保修书), maintenance agreements (长期维护协议), and the manager's decision on a
job's form (公司领导处理意见)

Revision ID: 0006_contracts
Revises: 0005
Create Date: 2026-12-06 15:10:00
"""

from collections.abc import Sequence
from typing import Any

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0006_contracts"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID(length=16)
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _stamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", GUID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    ]


def _contract_child(name: str, *columns: sa.Column[Any], unique_number: bool = False) -> None:
    constraints: list[Any] = [
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name=op.f(f"fk_{name}_contract_id_contracts")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    ]
    if unique_number:
        constraints.append(sa.UniqueConstraint("number", name=op.f(f"uq_{name}_number")))
    op.create_table(
        name, sa.Column("contract_id", GUID, nullable=False), *columns, *_stamps(), *constraints
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_contract_id"), ["contract_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("customer_id", GUID, nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("warranty_years", sa.Integer(), nullable=False),
        sa.Column("promise_text", sa.Text(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_contracts_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("number", name=op.f("uq_contracts_number")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_customer_id"), ["customer_id"], unique=False)
    _contract_child(
        "contract_promises",
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("job_kind", sa.String(length=20), nullable=True),
        sa.Column("respond_minutes", sa.Integer(), nullable=False),
        sa.Column("onsite_minutes", sa.Integer(), nullable=False),
        sa.Column("fix_minutes", sa.Integer(), nullable=False),
        sa.Column("backup_minutes", sa.Integer(), nullable=False),
    )
    _contract_child(
        "warranty_certificates",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("responsibility", sa.Text(), nullable=False),
        unique_number=True,
    )
    _contract_child(
        "maintenance_agreements",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("fee_terms", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        unique_number=True,
    )
    op.create_table(
        "manager_decisions",
        sa.Column("job_id", GUID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decided_by", GUID, nullable=False),
        sa.Column("decided_at", UTC, nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_manager_decisions_decided_by_users")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_manager_decisions_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_decisions")),
        sa.UniqueConstraint("job_id", name=op.f("uq_manager_decisions_job_id")),
    )


def downgrade() -> None:
    op.drop_table("manager_decisions")
    for name in ("maintenance_agreements", "warranty_certificates", "contract_promises"):
        op.drop_table(name)
    op.drop_table("contracts")
