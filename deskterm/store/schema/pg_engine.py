"""The write engine of a PostgreSQL store: SQLAlchemy on psycopg 3, sessions in UTC."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles

from deskterm.store.schema.pg import SESSION_OPTIONS
from deskterm.store.schema.urls import engine_url


@compiles(Integer, "postgresql")
def _integer_is_64_bits(_type: Integer, _compiler: Any, **_kw: Any) -> str:
    """An INTEGER column holds 64 bits, as SQLite's does (mutation ids go up to 2**62)."""
    return "BIGINT"


def make_engine(url: str) -> Engine:
    """A pooled engine; the pool is sized for the server's request threads."""
    return create_engine(
        engine_url(url),
        connect_args={"options": SESSION_OPTIONS},
        pool_size=10,
        max_overflow=40,
    )
