"""One holder per store at a time, for work that must never run twice at once (the sender).

On a SQLite file the lock is an flock on a file beside it; on PostgreSQL a session
advisory lock on a connection of its own (advisory locks are per database, so two
stores on one server never share one). Either way it is released when the holder
dies, kill -9 included: the OS closes the file, the server ends the session.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import IO, cast

from deskterm.errors import StoreError
from deskterm.store.schema.db import Store, own_connection

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one holder per store is up to the user
    fcntl = None  # type: ignore[assignment]  # no module there; `_acquire_file` checks for None


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (what pg_try_advisory_lock takes)."""
    digest = hashlib.sha256(f"deskterm:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class StoreLock:
    """An exclusive, non-blocking lock named `name` on `store`."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self._held: IO[bytes] | sqlite3.Connection | None = None  # the file, or the connection

    @property
    def held(self) -> bool:
        return self._held is not None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; False (at once) if somebody does."""
        if self._held is None:
            self._held = self._acquire_file() if self.store.url is None else self._acquire_pg()
        return self._held is not None

    def _acquire_file(self) -> IO[bytes] | None:
        path = self.store.path
        handle = open(path.with_name(f"{path.name}.{self.name}-lock"), "ab")  # noqa: SIM115 - held open while locked
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return None
        return handle

    def _acquire_pg(self) -> sqlite3.Connection | None:
        conn = own_connection(self.store)
        got = conn.execute("SELECT pg_try_advisory_lock(?)", (advisory_key(self.name),)).fetchone()[
            0
        ]
        if not got:
            conn.close()
            return None
        return conn

    def alive(self) -> bool:
        """Whether the lock is still ours: on PostgreSQL, whether its session is still there
        (a restarted database ended it, and the lock with it)."""
        held = self._held
        if held is None:
            return False
        if self.store.url is None:
            return True  # a file lock lasts as long as the file is open
        try:
            cast(sqlite3.Connection, held).execute("SELECT 1")
        except StoreError:
            self.release()
            return False
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        if self.store.url is None:
            held.close()  # closing the file drops its flock at once
            return
        session = cast(sqlite3.Connection, held)  # a PgConnection
        # PostgreSQL frees a closed session's locks a moment later: unlock first, so the
        # next holder (the same process, at once) finds it free.
        try:
            session.execute("SELECT pg_advisory_unlock(?)", (advisory_key(self.name),))
        except StoreError:
            pass  # the session is gone already, and its lock with it
        finally:
            session.close()
