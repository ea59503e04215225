"""SLA: the applied policy and due times on tickets.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("sla_policy", sa.String()),
    ("first_reply_due_at", sa.DateTime()),
    ("next_reply_due_at", sa.DateTime()),
    ("resolution_due_at", sa.DateTime()),
    ("due_at", sa.DateTime()),
    ("sla_breached", sa.String()),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column("ticket", sa.Column(name, type_, nullable=True))
    op.create_index("ix_ticket_due", "ticket", ["due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_due", "ticket")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("ticket", name)
