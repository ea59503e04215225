"""Alembic environment: migrations run on the store's own engine, one transaction each."""

from __future__ import annotations

from alembic import context

store = context.config.attributes["store"]
with store.engine().connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes.get("metadata"),  # for autogenerate
        render_as_batch=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
