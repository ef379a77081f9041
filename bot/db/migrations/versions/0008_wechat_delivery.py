"""WeChat delivery: the customer's window, one-off subscriptions, one shared access
token, and the route of each care message

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_outbox") as batch:
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("route", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("route_reason", sa.String(length=48), nullable=True))
        batch.add_column(sa.Column("template_id", sa.String(length=64), nullable=True))
    op.create_table(
        "wechat_windows",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("openid", name=op.f("pk_wechat_windows")),
    )
    op.create_table(
        "wechat_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_subscriptions")),
    )
    op.create_index(
        "ix_wechat_subscriptions_openid_template",
        "wechat_subscriptions",
        ["openid", "template_id"],
    )
    op.create_table(
        "shared_tokens",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_tokens")),
    )


def downgrade() -> None:
    op.drop_table("shared_tokens")
    op.drop_index("ix_wechat_subscriptions_openid_template", "wechat_subscriptions")
    op.drop_table("wechat_subscriptions")
    op.drop_table("wechat_windows")
    with op.batch_alter_table("care_outbox") as batch:
        batch.drop_column("template_id")
        batch.drop_column("route_reason")
        batch.drop_column("route")
        batch.drop_column("fields")
