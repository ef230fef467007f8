"""letters: the villages' issued letters, for the public verification page

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "letters",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("type_name", sa.String(length=160), nullable=False),
        sa.Column("issued_on", sa.String(length=10), nullable=False),
        sa.Column("masked_name", sa.String(length=160), nullable=False),
        sa.Column("voided_on", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(["village_id"], ["villages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letters_village_id"), ["village_id"], unique=False)


def downgrade():
    raise NotImplementedError("Balai never downgrades the hub: restore a backup instead")
