"""Search lookups: a message's ticket by index, the indexes' terms, merged segments.

- ix_message_id_ticket: a rare word's hits are message ids; mapping them to tickets
  through the message rows (wide: bodies, headers) cost ~11 us a hit at 1M tickets.
- ticket_terms, message_terms (fts5vocab): the terms under a prefix, so `refun*`
  is asked as the OR of its terms (see `query.fts.match_expression`).
- 'optimize' merges each full-text index into one segment (21 s at 1M tickets).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

from deskterm.query import fts

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_message_id_ticket", "message", ["id", "ticket_id"])
    if op.get_bind().dialect.name != "sqlite":
        return  # FTS5 vocabularies and segments; PostgreSQL's prefix search needs neither
    for ddl in (*fts.CREATE_VOCABULARIES, *fts.OPTIMIZE):
        op.execute(ddl)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS message_terms")
    op.execute("DROP TABLE IF EXISTS ticket_terms")
    op.drop_index("ix_message_id_ticket", table_name="message")
