"""Mail dates: each mail's own Date (message.sent_at) and a lookup of replies by In-Reply-To.

`sent_at` lets a thread show and order mail by when it was written, not when it
reached us (an mbox of 1997 imported today, replies fetched before their parent).
The index finds the replies already stored when their parent arrives.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE: a batch migration would copy every message of a big store.
    op.add_column("message", sa.Column("sent_at", sa.DateTime(), nullable=True))
    op.create_index("ix_message_in_reply_to", "message", ["in_reply_to"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_message_in_reply_to", table_name="message")
    op.drop_column("message", "sent_at")
