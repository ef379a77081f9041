"""Trained recommender models in the database, shared by every server

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommender_models",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_recommender_models")),
    )
    op.create_table(
        "recommender_model_parts",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["recommender_models.version"],
            name=op.f("fk_recommender_model_parts_version_recommender_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version", "part", name=op.f("pk_recommender_model_parts")
        ),
    )


def downgrade() -> None:
    op.drop_table("recommender_model_parts")
    op.drop_table("recommender_models")
