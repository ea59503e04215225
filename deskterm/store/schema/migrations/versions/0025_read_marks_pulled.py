"""Read marks travel on their own: each carries the sync stamp of its last move, so an
agent's other replicas pull a mark made elsewhere without pulling its ticket again.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "ticket_read", sa.Column("sync_version", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index("ix_ticket_read_agent_sync", "ticket_read", ["agent_id", "sync_version"])


def downgrade() -> None:
    op.drop_index("ix_ticket_read_agent_sync", "ticket_read")
    op.drop_column("ticket_read", "sync_version")
