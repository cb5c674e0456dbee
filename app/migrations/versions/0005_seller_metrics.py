"""Seller metrics: buyers' feedback, early-warning alerts, the product a message is about, and the
template each reply came from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("sku", sa.String(64)))
    op.create_index("ix_messages_sku", "messages", ["sku"])
    op.create_index("ix_messages_received_at", "messages", ["received_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("template", sa.String(200)))
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", name="fk_feedback_message"), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("message_id", name="uq_feedback_message"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("intent", sa.String(32)),
        sa.Column("sku", sa.String(64)),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("kind", "subject", "window_start", name="uq_alerts_kind_subject_window"),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("feedback")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("template")
    op.drop_index("ix_messages_received_at", "messages")
    op.drop_index("ix_messages_sku", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("sku")
