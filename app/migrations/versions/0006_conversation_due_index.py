"""Messages indexed by conversation, route and deadline: storing a message that joins a
conversation looks up its earliest open deadline, and with only the route index SQLite walked every
waiting message in deadline order, so each message cost more as the queue grew.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_conversation_route_due_at", "messages", ["conversation_id", "route", "due_at"])
    op.drop_index("ix_messages_conversation_id", "messages")  # the new index's first column serves its lookups


def downgrade() -> None:
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.drop_index("ix_messages_conversation_route_due_at", "messages")
