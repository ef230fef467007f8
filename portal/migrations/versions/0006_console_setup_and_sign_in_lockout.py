"""console: the hotspot's name in the village profile, sign-in failures and lockout per user

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wifi_name', sa.String(length=32), server_default='', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.String(length=27), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.String(length=27), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.drop_column('wifi_name')
