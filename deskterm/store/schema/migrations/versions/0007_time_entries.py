"""Time entries: time agents spend on tickets, for utilization and cost per ticket.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_time_entry_ticket", "time_entry", ["ticket_id", "started_at"])
    op.create_index("ix_time_entry_agent", "time_entry", ["agent_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_time_entry_agent", "time_entry")
    op.drop_index("ix_time_entry_ticket", "time_entry")
    op.drop_table("time_entry")
