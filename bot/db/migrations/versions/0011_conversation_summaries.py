"""One summary row per conversation, written as it happens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_summaries",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("user_turns", sa.Integer(), nullable=False),
        sa.Column("intents", sa.Text(), nullable=False),
        sa.Column("lowest_confidence", sa.Float(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_store_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_ids", sa.Text(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_conversation_summaries")),
    )
    op.create_index(
        "ix_conversation_summaries_started_at",
        "conversation_summaries",
        ["started_at"],
    )
    op.create_index(
        "ix_conversation_summaries_store_started",
        "conversation_summaries",
        ["store_id", "started_at"],
    )
    op.create_index(
        "ix_conversation_summaries_last_at", "conversation_summaries", ["last_at"]
    )
    op.create_table(
        "conversation_intents",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("intent", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint(
            "sender_id", "intent", name=op.f("pk_conversation_intents")
        ),
    )
    op.create_index(
        "ix_conversation_intents_intent", "conversation_intents", ["intent"]
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_intents_intent", "conversation_intents")
    op.drop_table("conversation_intents")
    op.drop_index("ix_conversation_summaries_last_at", "conversation_summaries")
    op.drop_index("ix_conversation_summaries_store_started", "conversation_summaries")
    op.drop_index("ix_conversation_summaries_started_at", "conversation_summaries")
    op.drop_table("conversation_summaries")
