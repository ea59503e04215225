"""Full-text search index over ticket subjects and message bodies.

SQLite: contentless FTS5 tables. PostgreSQL: plain tables with the same columns
(rowid, text, cjk) and a generated tsvector under a GIN index (see `query.fts_pg`).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from deskterm.query import fts, fts_pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CHUNK = 5000


def upgrade() -> None:
    bind = op.get_bind()
    tables: tuple[str, ...] = fts.CREATE_TABLES
    insert_ticket, insert_message = fts.INSERT_TICKET, fts.INSERT_MESSAGE
    if bind.dialect.name == "postgresql":
        tables, (insert_ticket, insert_message) = fts_pg.CREATE_TABLES, fts_pg.INSERTS
    for ddl in tables:
        op.execute(ddl)
    # Backfill what an older store already holds, a chunk at a time.
    for table, insert in (
        ("SELECT id, subject FROM ticket WHERE id > :after ORDER BY id", insert_ticket),
        ("SELECT id, body_text FROM message WHERE id > :after ORDER BY id", insert_message),
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
    if op.get_bind().dialect.name == "postgresql":
        for ddl in fts_pg.DROP_CONFIG:
            op.execute(ddl)
