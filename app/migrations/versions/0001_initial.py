"""API keys and messages with their decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("sender_email", sa.String(320), nullable=False),
        sa.Column("sender_name", sa.String(200)),
        sa.Column("subject", sa.Text()),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("marketplace", sa.String(64)),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("language_confidence", sa.Float()),
        sa.Column("intent", sa.String(32)),
        sa.Column("confidence", sa.Float()),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("route", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("draft_subject", sa.Text()),
        sa.Column("draft_body", sa.Text()),
        sa.Column("draft_template", sa.String(200)),
        sa.Column("draft_language", sa.String(16)),
        sa.Column("model_version", sa.String(64)),
        sa.UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
    )
    op.create_index("ix_messages_order_id", "messages", ["order_id"])
    op.create_index("ix_messages_route_due_at", "messages", ["route", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_route_due_at", table_name="messages")
    op.drop_index("ix_messages_order_id", table_name="messages")
    op.drop_table("messages")
    op.drop_table("api_keys")
