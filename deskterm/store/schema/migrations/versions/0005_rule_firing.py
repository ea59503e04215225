"""Automation rules: the ledger of firings (at most once per rule, ticket and event).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_firing",
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rule", "ticket_id", "event_key"),
    )


def downgrade() -> None:
    op.drop_table("rule_firing")
