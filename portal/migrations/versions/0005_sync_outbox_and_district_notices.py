"""sync outbox and district notices

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('district_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.String(length=27), nullable=False),
    sa.Column('received_at', sa.String(length=27), nullable=False),
    sa.Column('read_at', sa.String(length=27), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('district_id')
    )
    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.String(length=27), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pushed_seq', sa.Integer(), nullable=False),
    sa.Column('notice_cursor', sa.Integer(), nullable=False),
    sa.Column('stats_through', sa.String(length=10), nullable=True),
    sa.Column('last_attempt_at', sa.String(length=27), nullable=True),
    sa.Column('last_contact_at', sa.String(length=27), nullable=True),
    sa.Column('last_error', sa.String(length=40), nullable=False),
    sa.Column('last_error_detail', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.String(length=27), nullable=True),
    sa.Column('clock_offset_s', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute(
        "INSERT INTO sync_state (id, pushed_seq, notice_cursor, last_error, last_error_detail, failures) "
        "VALUES (1, 0, 0, '', '', 0)"
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_announcements_district_id', ['district_id'])

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('forwarded', sa.Boolean(), server_default='0', nullable=False))
    op.execute("UPDATE complaints SET ref = lower(hex(randomblob(10))) WHERE ref = ''")

    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported', sa.Boolean(), server_default='0', nullable=False))



def downgrade():
    raise NotImplementedError("Balai never downgrades a village database: restore a backup instead")
