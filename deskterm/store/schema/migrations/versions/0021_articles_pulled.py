"""Articles travel to replicas: each carries the sync stamp of its last change, and a
removed article leaves its uid and stamp (`article_gone`), so a pull brings what
changed after the replica's cursor, removals included.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "article", sa.Column("sync_version", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index("ix_article_sync_version", "article", ["sync_version"])
    op.create_table(
        "article_gone",
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("sync_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("uid"),
    )
    op.create_index("ix_article_gone_sync_version", "article_gone", ["sync_version"])


def downgrade() -> None:
    op.drop_index("ix_article_gone_sync_version", "article_gone")
    op.drop_table("article_gone")
    op.drop_index("ix_article_sync_version", "article")
    op.drop_column("article", "sync_version")
