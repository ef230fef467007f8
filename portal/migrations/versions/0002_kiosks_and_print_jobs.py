"""kiosks and print jobs

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kiosks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=True),
    sa.Column('pairing_hash', sa.String(length=64), nullable=True),
    sa.Column('pairing_expires_at', sa.String(length=27), nullable=True),
    sa.Column('created_at', sa.String(length=27), nullable=False),
    sa.Column('last_seen_at', sa.String(length=27), nullable=True),
    sa.Column('agent_id', sa.String(length=40), nullable=False),
    sa.Column('printer_state', sa.String(length=12), nullable=False),
    sa.Column('printer_detail', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('browser_hash'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('pairing_hash'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('print_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('agent_id', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.String(length=27), nullable=False),
    sa.Column('claimed_at', sa.String(length=27), nullable=True),
    sa.Column('finished_at', sa.String(length=27), nullable=True),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_print_jobs_kiosk_status', ['kiosk_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_jobs_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    raise NotImplementedError("Balai never downgrades a village database: restore a backup instead")
