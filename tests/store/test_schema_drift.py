"""The models and the migrations describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import deskterm.store.schema.models  # noqa: F401  (registers the tables)
from deskterm.store.schema.db import Store


def test_migrated_store_matches_models(store: Store) -> None:
    with store.engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # The FTS5 virtual tables (0002, 0015, 0023), their vocabularies (0011) and the
    # customer trigram indexes (0014) are made by SQL.
    virtual = (
        "'ticket_fts",
        "'message_fts",
        "'ticket_terms",
        "'message_terms",
        "'customer_trigrams",
        "'organization_trigrams",
        "'article_fts",
        "'ticket_words",
    )
    assert [d for d in diff if not any(name in repr(d) for name in virtual)] == []
