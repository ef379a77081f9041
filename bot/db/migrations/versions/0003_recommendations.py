"""recommendations: answer batch, source, segment and store on the log; model runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation_log") as batch:
        batch.add_column(sa.Column("batch", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("rank", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("segment", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("store_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("model_version", sa.String(length=32), nullable=True)
        )
        batch.create_foreign_key(
            "fk_recommendation_log_store_id_stores", "stores", ["store_id"], ["id"]
        )
        batch.create_index(
            "ix_recommendation_log_customer_shown", ["customer_id", "shown_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation_log") as batch:
        batch.drop_index("ix_recommendation_log_customer_shown")
        batch.drop_constraint(
            "fk_recommendation_log_store_id_stores", type_="foreignkey"
        )
        for column in (
            "model_version",
            "store_id",
            "segment",
            "source",
            "rank",
            "batch",
        ):
            batch.drop_column(column)
