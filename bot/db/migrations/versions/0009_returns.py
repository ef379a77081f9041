"""Returns and cancellations: return lines as the export gave them, and what came
back on each sale line and order (so every figure can count net of returns)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column(
                "returned_fen",
                sa.BigInteger(),
                nullable=False,
                server_default=sa.text("0"),
            )
        )
        batch.add_column(
            sa.Column(
                "fully_returned",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(
            sa.Column(
                "returned_quantity",
                sa.Integer(),
                nullable=False,
                server_default=sa.text("0"),
            )
        )
        batch.add_column(
            sa.Column(
                "returned_fen",
                sa.Integer(),
                nullable=False,
                server_default=sa.text("0"),
            )
        )
    op.create_table(
        "returns",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("return_no", sa.String(length=32), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("matched_quantity", sa.Integer(), nullable=False),
        sa.Column(
            "order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_returns_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_returns_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_returns_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("return_no", "line_no", name="uq_returns_return_line"),
    )
    op.create_index("ix_returns_customer", "returns", ["customer_id", "returned_at"])


def downgrade() -> None:
    op.drop_index("ix_returns_customer", "returns")
    op.drop_table("returns")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("returned_fen")
        batch.drop_column("returned_quantity")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("fully_returned")
        batch.drop_column("returned_fen")
