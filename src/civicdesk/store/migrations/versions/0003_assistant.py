"""assistant: inquiries with their answers and traces

Revision ID: 0003_assistant
Revises: 0002_knowledge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_assistant"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("removed_data_types", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(12), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("needs_person", sa.Boolean(), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inquiries"),
        sa.UniqueConstraint("reference", name="uq_inquiries_reference"),
    )
    op.create_index("ix_inquiries_status", "inquiries", ["status"])
    op.create_index("ix_inquiries_outcome", "inquiries", ["outcome"])


def downgrade() -> None:
    op.drop_index("ix_inquiries_outcome", table_name="inquiries")
    op.drop_index("ix_inquiries_status", table_name="inquiries")
    op.drop_table("inquiries")
