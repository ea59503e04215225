"""Full-text search index (FTS5) over ticket subjects and message bodies.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from deskterm.query import fts

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CHUNK = 5000


def upgrade() -> None:
    bind = op.get_bind()
    for ddl in fts.CREATE_TABLES:
        op.execute(ddl)
    # Backfill what an older store already holds, a chunk at a time.
    for table, insert in (
        ("SELECT id, subject FROM ticket WHERE id > :after ORDER BY id", fts.INSERT_TICKET),
        ("SELECT id, body_text FROM message WHERE id > :after ORDER BY id", fts.INSERT_MESSAGE),
    ):
        after = 0
        while True:
            rows = bind.execute(sa.text(table + f" LIMIT {_CHUNK}"), {"after": after}).all()
            if not rows:
                break
            bind.exec_driver_sql(
                insert, [(row[0], *fts.index_columns(row[1] or "")) for row in rows]
            )
            after = rows[-1][0]


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS message_fts")
    op.execute("DROP TABLE IF EXISTS ticket_fts")
