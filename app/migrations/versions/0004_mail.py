"""Real mail: conversations, mail fields on messages, webhook tokens, outbox delivery state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_email", sa.String(320), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("subject", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversations_sender_order", "conversations", ["sender_email", "order_id"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversations.id", name="fk_messages_conversation")))
        batch.add_column(sa.Column("rfc_message_id", sa.String(1000)))
        batch.add_column(sa.Column("in_reply_to", sa.Text()))
        batch.add_column(sa.Column("references_header", sa.Text()))
        batch.add_column(sa.Column("original_body", sa.Text()))
        batch.add_column(sa.Column("html_body", sa.Text()))
        batch.add_column(sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("robot", sa.String(200)))
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_index("uq_messages_rfc_message_id", "messages", ["rfc_message_id"], unique=True)

    op.create_table(
        "webhook_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("gateway", "token", name="uq_webhook_tokens_gateway_token"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("rfc_message_id", sa.String(1000)))
        batch.add_column(sa.Column("in_reply_to", sa.String(1000)))
        batch.add_column(sa.Column("references_header", sa.Text()))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("worker", sa.String(100)))
        batch.add_column(sa.Column("last_error", sa.Text()))
    op.create_index("ix_outbox_rfc_message_id", "outbox", ["rfc_message_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_rfc_message_id", "outbox")
    with op.batch_alter_table("outbox") as batch:
        for column in ("last_error", "worker", "lease_until", "next_attempt_at", "attempts", "references_header", "in_reply_to", "rfc_message_id"):
            batch.drop_column(column)
    op.drop_table("webhook_tokens")
    op.drop_index("uq_messages_rfc_message_id", "messages")
    op.drop_index("ix_messages_conversation_id", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_conversation", type_="foreignkey")
        for column in ("robot", "attachments", "html_body", "original_body", "references_header", "in_reply_to", "rfc_message_id", "conversation_id"):
            batch.drop_column(column)
    op.drop_index("ix_conversations_sender_order", "conversations")
    op.drop_table("conversations")
