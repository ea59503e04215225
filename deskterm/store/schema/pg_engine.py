"""The write engine of a PostgreSQL store: SQLAlchemy on psycopg 3, sessions in UTC."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from deskterm.store.schema.pg import SESSION_OPTIONS, engine_url


def make_engine(url: str) -> Engine:
    """A pooled engine; the pool is sized for the server's request threads."""
    return create_engine(
        engine_url(url),
        connect_args={"options": SESSION_OPTIONS},
        pool_size=10,
        max_overflow=40,
    )
