"""Knowledge base: articles, their old slugs, their search index, and counted uses.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from deskterm.query import fts, fts_pg

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("locale", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index("ix_article_section", "article", ["section"])
    op.create_table(
        "article_slug",
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_index("ix_article_slug_article_id", "article_slug", ["article_id"])
    op.create_table(
        "kb_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_event_article_id", "kb_event", ["article_id"])
    op.create_index("ix_kb_event_kind_created", "kb_event", ["kind", "created_at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(fts_pg.CREATE_ARTICLE_TABLE if postgres else fts.CREATE_ARTICLE_TABLE)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS article_fts")
    op.drop_table("kb_event")
    op.drop_table("article_slug")
    op.drop_table("article")
