"""The related articles of a help page come from one covering index: ranking a section's
articles by shared tags read each whole row (its body too), 1,000 rows for one page at
10,000 articles. It also serves lists by section, so `ix_article_section` goes.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_COLUMNS = ["section", "locale", "status", "tags", "slug", "updated_at"]


def upgrade() -> None:
    op.create_index("ix_article_related", "article", _COLUMNS)
    op.drop_index("ix_article_section", "article")


def downgrade() -> None:
    op.create_index("ix_article_section", "article", ["section"])
    op.drop_index("ix_article_related", "article")
