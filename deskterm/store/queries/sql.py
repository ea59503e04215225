"""SQL text shared by the read modules."""

from __future__ import annotations


def where_sql(parts: list[str]) -> str:
    """` WHERE a AND b`, or nothing when there are no conditions."""
    return (" WHERE " + " AND ".join(parts)) if parts else ""
