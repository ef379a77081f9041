"""care: service consent ("全部退订"), the dispatcher's claim token

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A plain ADD COLUMN, not a batch: on SQLite a batch rebuilds the table, and dropping
`customers` fails while orders reference it. SQLite's ADD COLUMN needs a literal
default, PostgreSQL a boolean one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    literal = "true" if op.get_bind().dialect.name == "postgresql" else "1"
    op.add_column(
        "customers",
        sa.Column(
            "service_consent",
            sa.Boolean(),
            nullable=False,
            server_default=sa.text(literal),
        ),
    )
    op.add_column("care_outbox", sa.Column("claim", sa.String(length=32)))


def downgrade() -> None:
    op.drop_column("care_outbox", "claim")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("service_consent")
