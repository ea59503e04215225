"""Report rollups: per-day counts and duration histograms, kept by the service layer.

An existing store with tickets is marked stale: `deskterm report --rebuild` fills
the rollups (with a progress bar) instead of this migration taking minutes.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "report_ticket",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_table(
        "report_count",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("dim", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", "dim", "key"),
    )
    op.create_table(
        "report_hist",
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("measure", sa.String(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "measure", "day", "agent_id", "bucket"),
    )
    op.create_table(
        "report_duration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("calendar_s", sa.Float(), nullable=False),
        sa.Column("business_s", sa.Float(), nullable=False),
        sa.Column("calendar_bucket", sa.Integer(), nullable=False),
        sa.Column("business_bucket", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_duration_ticket", "report_duration", ["ticket_id"])
    op.create_index(
        "ix_report_duration_calendar",
        "report_duration",
        ["metric", "calendar_bucket", "day", "agent_id", "calendar_s"],
    )
    op.create_index(
        "ix_report_duration_business",
        "report_duration",
        ["metric", "business_bucket", "day", "agent_id", "business_s"],
    )
    op.execute(
        "INSERT INTO report_meta (key, value) SELECT 'state',"
        " CASE WHEN EXISTS (SELECT 1 FROM ticket) THEN 'stale' ELSE 'ready' END"
    )


def downgrade() -> None:
    for name in ("report_duration", "report_hist", "report_count", "report_ticket", "report_meta"):
        op.drop_table(name)
