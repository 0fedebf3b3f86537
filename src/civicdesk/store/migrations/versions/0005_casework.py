"""casework: cases, their history, notes, replies and the email outbox

Revision ID: 0005_casework
Revises: 0004_staff
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_casework"
down_revision = "0004_staff"
branch_labels = None
depends_on = None


def _case_child(name: str, *columns: sa.schema.SchemaItem) -> None:
    """A table that belongs to one case and goes with it."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=f"fk_{name}_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_case_id", name, ["case_id"])


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("language", sa.String(12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("ai_draft", sa.Text(), nullable=True),
        sa.Column("draft_text", sa.Text(), nullable=True),
        sa.Column("draft_citations", sa.JSON(), nullable=False),
        sa.Column("draft_state", sa.String(12), nullable=True),
        sa.Column("draft_ms", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference"], ["inquiries.reference"], name="fk_cases_reference_inquiries"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["staff_users.id"],
            name="fk_cases_assignee_id_staff_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("reference", name="uq_cases_reference"),
    )
    op.create_index("ix_cases_queue", "cases", ["queue"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_assignee_id", "cases", ["assignee_id"])
    _case_child(
        "case_history",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    _case_child(
        "case_notes",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    _case_child(
        "case_replies",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("edit_distance", sa.Integer(), nullable=True),
        sa.Column("draft_words", sa.Integer(), nullable=True),
    )
    _case_child(
        "case_outbox",
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("provider_id", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["case_replies.id"],
            name="fk_case_outbox_reply_id_case_replies",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("reply_id", name="uq_case_outbox_reply_id"),
    )
    op.create_index("ix_case_outbox_status", "case_outbox", ["status"])


def downgrade() -> None:
    op.drop_index("ix_case_outbox_status", table_name="case_outbox")
    for name in ("case_outbox", "case_replies", "case_notes", "case_history"):
        op.drop_index(f"ix_{name}_case_id", table_name=name)
        op.drop_table(name)
    op.drop_index("ix_cases_assignee_id", table_name="cases")
    op.drop_index("ix_cases_status", table_name="cases")
    op.drop_index("ix_cases_queue", table_name="cases")
    op.drop_table("cases")
