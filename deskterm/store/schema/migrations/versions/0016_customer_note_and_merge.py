"""Customers: a note agents keep about them, and where a merged customer went.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild, so no foreign key): fast on any store.
    op.add_column("customer", sa.Column("note", sa.String(), nullable=False, server_default=""))
    op.add_column("customer", sa.Column("merged_into_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place: a batch rebuild of `customer` would drop its triggers (0014).
    op.drop_column("customer", "merged_into_id")
    op.drop_column("customer", "note")
