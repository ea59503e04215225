"""What several `serve` processes on one PostgreSQL tell each other.

NOTIFY/LISTEN carries news between processes: the sync journal notifies
`CHANGES_CHANNEL` with the new version in the transaction that stamps (PostgreSQL
delivers it at commit, never for a rollback), and presence heartbeats go out on
`PRESENCE_CHANNEL`.

psycopg is imported when used: the journal reads the names here on SQLite too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from deskterm.errors import StoreError
from deskterm.store.schema.urls import libpq_url, shown

CHANGES_CHANNEL = "deskterm_changes"
PRESENCE_CHANNEL = "deskterm_presence"
NOTIFY = "SELECT pg_notify(?, ?)"


async def notifications(url: str, channels: tuple[str, ...]) -> AsyncIterator[tuple[str, str]]:
    """(channel, payload) for every NOTIFY on `channels`, from one connection of its own.

    The first item is ("", "") once listening: what was committed before it may be missed,
    so the caller reads the present then. Ends with a StoreError when the link drops.
    """
    import psycopg

    from deskterm.store.schema.pg import SESSION_OPTIONS

    try:
        conn = await psycopg.AsyncConnection.connect(
            libpq_url(url), autocommit=True, options=SESSION_OPTIONS, connect_timeout=10
        )
    except psycopg.Error as exc:
        raise StoreError(f"{shown(url)}: cannot listen ({exc})") from exc
    try:
        async with conn:
            for channel in channels:
                await conn.execute(f"LISTEN {channel}")  # names are ours, never input
            yield "", ""
            async for notice in conn.notifies():
                yield notice.channel, notice.payload
    except psycopg.Error as exc:
        raise StoreError(f"{shown(url)}: the LISTEN link dropped ({exc})") from exc
