"""Ticket tone: the words that make its latest customer message read urgent or upset.

Only columns are added (instant at any size); NULL means "not read yet". New
messages fill them as they are written; `deskterm assist rebuild` reads the
messages of an older store, with progress, outside any migration.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket", sa.Column("urgent_words", sa.String(), nullable=True))
    op.add_column("ticket", sa.Column("upset_words", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket", "upset_words")
    op.drop_column("ticket", "urgent_words")
