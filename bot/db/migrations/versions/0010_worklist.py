"""A clerk's worklist marks (sent, called, done, snoozed)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "worklist_marks",
        sa.Column("id", ID, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", ID, nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_worklist_marks_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_worklist_marks_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["care_outbox.id"],
            name=op.f("fk_worklist_marks_outbox_id_care_outbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worklist_marks")),
    )
    op.create_index(
        "ix_worklist_marks_staff_customer",
        "worklist_marks",
        ["staff_id", "customer_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_worklist_marks_staff_customer", "worklist_marks")
    op.drop_table("worklist_marks")
