"""The one text format of times in SQLite (SQLAlchemy's), shared by raw reads and bulk writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    """Aware UTC now; SQLite holds the same instant as naive UTC text."""
    return datetime.now(UTC)


def to_db(value: datetime) -> str:
    """Naive UTC with microseconds, as SQLAlchemy writes it ("2026-12-03 16:08:18.000000").

    `isoformat` costs a third of the same `strftime`; a write stamps a time or two per
    row, so the ingest of a mail paid it on every one.
    """
    if value.tzinfo is not None:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        value = value.replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


@overload
def from_db(value: str | datetime) -> datetime: ...
@overload
def from_db(value: None) -> None: ...
@overload
def from_db(value: str | datetime | None) -> datetime | None: ...


def from_db(value: str | datetime | None) -> datetime | None:
    """A stored time as an aware datetime; NULL stays None (a NOT NULL column gives a time)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.fromisoformat(value + "+00:00")  # one C call: the hot path of reads
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a Z, for JSON output."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
