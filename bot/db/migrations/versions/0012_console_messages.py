"""Client message ids of the clerks' tablets, so a resent message is answered once

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_console_messages_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_messages")),
        sa.UniqueConstraint(
            "staff_id", "client_id", name=op.f("uq_console_messages_staff_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("console_messages")
