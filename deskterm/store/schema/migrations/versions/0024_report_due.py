"""A counted change marks its tickets due instead of recounting them in its transaction:
the recount doubled the pages a solve wrote. The rollups catch up before a report reads
them and each minute (`store.service.report_hook`).

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_due",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )


def downgrade() -> None:
    # Counts still due are not in the rollups: an older deskterm must rebuild them.
    op.execute(
        "UPDATE report_meta SET value = 'stale' WHERE key = 'state'"
        " AND EXISTS (SELECT 1 FROM report_due)"
    )
    op.drop_table("report_due")
