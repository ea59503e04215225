"""Database URLs: which `--db` values name PostgreSQL, and how to show them.

Apart from `pg` so that telling a file from a URL never imports psycopg (a
SQLite store's CLI write pays nothing for PostgreSQL).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_database_url(text: str) -> bool:
    """Whether a --db value names a PostgreSQL database rather than a SQLite file."""
    return text.startswith(URL_SCHEMES)


def libpq_url(url: str) -> str:
    """The URL as psycopg takes it (no SQLAlchemy driver suffix)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def engine_url(url: str) -> str:
    """The URL as SQLAlchemy takes it, with the psycopg 3 driver."""
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def shown(url: str) -> str:
    """The URL for messages: never its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
