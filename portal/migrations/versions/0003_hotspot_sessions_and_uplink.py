"""hotspot sessions and uplink

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hotspot_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=False),
    sa.Column('accepted_at', sa.String(length=27), nullable=False),
    sa.Column('expires_at', sa.String(length=27), nullable=False),
    sa.Column('ended_at', sa.String(length=27), nullable=True),
    sa.Column('end_reason', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hotspot_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_hotspot_sessions_ip_active', ['ip', 'ended_at'], unique=False)

    op.create_table('uplink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('checked_at', sa.String(length=27), nullable=True),
    sa.Column('changed_at', sa.String(length=27), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    raise NotImplementedError("Balai never downgrades a village database: restore a backup instead")
