"""conversation of each suggestion: a clerk's "第二个" means her own conversation's

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "recommendation_log",
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
    )
    op.create_index(
        "ix_recommendation_log_customer_conversation",
        "recommendation_log",
        ["customer_id", "conversation_id", "shown_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_recommendation_log_customer_conversation", table_name="recommendation_log"
    )
    op.drop_column("recommendation_log", "conversation_id")
