"""Failed console logins per client address, shared by every console server

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", ID, nullable=False),
        sa.Column("bucket", sa.String(length=80), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_bucket_failed_at",
        "login_failures",
        ["bucket", "failed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_login_failures_bucket_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
