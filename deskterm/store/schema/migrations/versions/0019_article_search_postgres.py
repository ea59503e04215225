"""Knowledge-base search on PostgreSQL: the article index's tsvector as the search asks it.

0015 gave PostgreSQL's `article_fts` a tsvector that mixed Latin words and CJK bigrams
in one weight and split Latin text unlike SQLite's unicode61; the search asks title
and text words and bigrams by weight (`query.fts_pg.ARTICLE_DOC`), under a GIN index.
Nothing changes on SQLite (FTS5 had it right).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

from deskterm.query import fts_pg

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _doc(expression: str) -> None:
    op.execute("ALTER TABLE article_fts DROP COLUMN doc")  # drops its index with it
    op.execute(
        f"ALTER TABLE article_fts ADD COLUMN doc tsvector GENERATED ALWAYS AS ({expression}) STORED"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _doc(fts_pg.ARTICLE_DOC)
        op.execute("CREATE INDEX ix_article_fts_doc ON article_fts USING gin (doc)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _doc(fts_pg.ARTICLE_DOC_0015)
