"""letter requests and the register of issued letters

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "letter_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("letter_type_id", sa.Integer(), nullable=True),
        sa.Column("type_name", sa.String(length=160), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("masked_name", sa.String(length=160), nullable=False),
        sa.Column("bring_papers", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("purged_at", sa.String(length=27), nullable=True),
        sa.ForeignKeyConstraint(["letter_type_id"], ["letter_types.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("letter_requests", schema=None) as batch_op:
        batch_op.create_index("ix_letter_requests_client_created", ["client", "created_at"], unique=False)
        batch_op.create_index("ix_letter_requests_purge", ["purged_at", "updated_at"], unique=False)
        batch_op.create_index("ix_letter_requests_status", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_requests_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("verify_code", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("type_name", sa.String(length=160), nullable=False),
        sa.Column("masked_name", sa.String(length=160), nullable=False),
        sa.Column("issued_on", sa.String(length=10), nullable=False),
        sa.Column("issued_at", sa.String(length=27), nullable=False),
        sa.Column("issued_by", sa.String(length=60), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("signer_role", sa.String(length=120), nullable=False),
        sa.Column("paper", sa.String(length=4), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prints", sa.Integer(), nullable=False),
        sa.Column("voided_at", sa.String(length=27), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=False),
        sa.Column("voided_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["letter_requests.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("verify_code"),
        sa.UniqueConstraint("year", "seq", name="uq_letter_year_seq"),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letters_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("letter_types", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("number_code", sa.String(length=20), server_default="470", nullable=False))

    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_code", sa.String(length=30), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column(
                "letter_number_format",
                sa.String(length=120),
                server_default="{kode}/{nomor}/{desa}/{bulan}/{tahun}",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("letter_paper", sa.String(length=4), server_default="A4", nullable=False))
        batch_op.add_column(sa.Column("letter_retention_days", sa.Integer(), server_default="365", nullable=False))


def downgrade():
    raise NotImplementedError("Balai never downgrades a village database: restore a backup instead")
