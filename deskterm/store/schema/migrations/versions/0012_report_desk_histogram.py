"""Report rollups, version 2: desk-wide histogram rows (agent_id -1), keyed agent first.

A desk-wide percentile then reads the days of one key instead of every agent's
rows. The table is copied once into the new key order with the desk-wide rows
summed from the per-agent ones: a few seconds at a million tickets, and no
ticket is read again.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("measure", sa.String(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "measure", "agent_id", "day", "bucket"),
    )


def upgrade() -> None:
    _table("report_hist_v2")
    op.execute(
        "INSERT INTO report_hist_v2 (metric, measure, agent_id, day, bucket, n)"
        " SELECT metric, measure, agent_id, day, bucket, n FROM report_hist"
    )
    op.execute(
        "INSERT INTO report_hist_v2 (metric, measure, agent_id, day, bucket, n)"
        " SELECT metric, measure, -1, day, bucket, sum(n) FROM report_hist"
        " GROUP BY metric, measure, day, bucket"
    )
    op.drop_table("report_hist")
    op.rename_table("report_hist_v2", "report_hist")
    op.execute("INSERT INTO report_meta (key, value) VALUES ('version', '2')")


def downgrade() -> None:
    op.execute("DELETE FROM report_hist WHERE agent_id = -1")
    op.execute("DELETE FROM report_meta WHERE key = 'version'")
