"""segmentation: snapshot strategy, CLV outputs and segment runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("segment_snapshots") as batch:
        batch.add_column(sa.Column("strategy", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("expected_purchases", sa.Float(), nullable=True))
        batch.add_column(sa.Column("p_alive", sa.Float(), nullable=True))
        batch.create_index("ix_segment_snapshots_as_of_segment", ["as_of", "segment"])
    op.create_table(
        "segment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_runs")),
        sa.UniqueConstraint("as_of", name=op.f("uq_segment_runs_as_of")),
    )


def downgrade() -> None:
    op.drop_table("segment_runs")
    with op.batch_alter_table("segment_snapshots") as batch:
        batch.drop_index("ix_segment_snapshots_as_of_segment")
        batch.drop_column("p_alive")
        batch.drop_column("expected_purchases")
        batch.drop_column("strategy")
