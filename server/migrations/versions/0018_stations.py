"""service stations and regions (售后服务站、特约维修点, issue 17 part 1): stations with their area,
engineers in a station, customers and sites in a region

Revision ID: 0018_stations
Revises: 0017_staff_files
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0018_stations"
down_revision: str | None = "0017_staff_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUID = advanced_alchemy.types.guid.GUID
TIME = advanced_alchemy.types.datetime.DateTimeUTC


def upgrade() -> None:
    op.create_table(
        "service_stations",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_stations")),
        sa.UniqueConstraint("name", name=op.f("uq_service_stations_name")),
    )
    op.create_table(
        "regions",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("station_id", GUID(length=16), nullable=True),
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("created_at", TIME(timezone=True), nullable=False),
        sa.Column("updated_at", TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["service_stations.id"], name=op.f("fk_regions_station_id_service_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("name", name=op.f("uq_regions_name")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_station_id"), ["station_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("station_id", GUID(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_station_id"), ["station_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_station_id_service_stations"), "service_stations", ["station_id"], ["id"]
        )
    for table in ("customers", "sites"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("region_id", GUID(length=16), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_region_id"), ["region_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_region_id_regions"), "regions", ["region_id"], ["id"]
            )


def downgrade() -> None:
    for table in ("sites", "customers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_region_id_regions"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_region_id"))
            batch_op.drop_column("region_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_station_id_service_stations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_station_id"))
        batch_op.drop_column("station_id")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_station_id"))
    op.drop_table("regions")
    op.drop_table("service_stations")
