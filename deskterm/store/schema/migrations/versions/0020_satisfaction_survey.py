"""Satisfaction survey: every answer kept (`survey_answer`), the latest on the ticket
(`csat`, `csat_effort`, `csat_comment`, `csat_at`: what `csat:` filters and a replica
pulls), and the secret that signs the links (`site_secret`, made on first use).

Only columns and new tables: instant at any size.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket", sa.Column("csat", sa.String(), nullable=True))
    op.add_column("ticket", sa.Column("csat_effort", sa.Integer(), nullable=True))
    op.add_column("ticket", sa.Column("csat_comment", sa.String(), nullable=True))
    op.add_column("ticket", sa.Column("csat_at", sa.DateTime(), nullable=True))
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(), nullable=False),
        sa.Column("effort", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_answer_ticket", "survey_answer", ["ticket_id", "id"])
    op.create_index("ix_survey_answer_answered", "survey_answer", ["answered_at"])
    op.create_table(
        "site_secret",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("site_secret")
    op.drop_index("ix_survey_answer_answered", "survey_answer")
    op.drop_index("ix_survey_answer_ticket", "survey_answer")
    op.drop_table("survey_answer")
    for column in ("csat_at", "csat_comment", "csat_effort", "csat"):
        op.drop_column("ticket", column)
