"""job signatures: every customer signature a job received, kept as evidence

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 08:30:00
"""
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('job_signatures',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('job_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('mutation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('event_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('signed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('received_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('device_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_job_signatures_device_id_devices')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_signatures_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_job_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_signatures'))
    )
    with op.batch_alter_table('job_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_signatures_job_id'), ['job_id'], unique=False)
    # Jobs signed before this table existed: their standing signature becomes their first row.
    jobs = sa.table(
        'jobs',
        sa.column('id', advanced_alchemy.types.guid.GUID(length=16)),
        sa.column('acceptance_opinion', sa.Text()),
        sa.column('satisfaction', sa.Integer()),
        sa.column('acceptance_comment', sa.Text()),
        sa.column('signature', sa.Text()),
        sa.column('signed_off_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)),
        sa.column('assigned_engineer_id', advanced_alchemy.types.guid.GUID(length=16)),
    )
    bind = op.get_bind()
    signed = bind.execute(
        sa.select(
            jobs.c.id, jobs.c.acceptance_opinion, jobs.c.satisfaction, jobs.c.acceptance_comment,
            jobs.c.signature, jobs.c.signed_off_at, jobs.c.assigned_engineer_id,
        ).where(jobs.c.signature != '')
    ).all()
    now = datetime.now(UTC)
    rows = [
        {
            'id': uuid.uuid4(), 'job_id': r[0], 'opinion': r[1] or '', 'satisfaction': r[2],
            'comment': r[3] or '', 'signature': r[4], 'signed_at': r[5], 'received_at': r[5] or now,
            'user_id': r[6],
        }
        for r in signed
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table('job_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_signatures_job_id'))
    op.drop_table('job_signatures')
