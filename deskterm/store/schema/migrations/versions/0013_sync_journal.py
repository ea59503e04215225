"""Sync journal: ticket versions and identities, the server's clients, a replica's queued ops.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): fast on a store of a million tickets.
    op.add_column("ticket", sa.Column("uid", sa.String(), nullable=True))
    op.add_column(
        "ticket", sa.Column("sync_version", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index("ux_ticket_uid", "ticket", ["uid"], unique=True)
    op.create_index("ix_ticket_sync_version", "ticket", ["sync_version", "id"])
    op.create_table(
        "sync_client",
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("last_mutation_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_table(
        "sync_notice",
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("mutation_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "mutation_id"),
    )
    op.create_table(
        "sync_op",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("args", sa.String(), nullable=False),
        sa.Column("tickets", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notice", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_table("sync_op")
    op.drop_table("sync_notice")
    op.drop_table("sync_client")
    op.drop_index("ix_ticket_sync_version", "ticket")
    op.drop_index("ux_ticket_uid", "ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("sync_version")
        batch.drop_column("uid")
