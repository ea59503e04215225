"""Opening a store: checks, migrations, and the two ways in (raw reads, ORM writes).

Reads use the stdlib `sqlite3` directly so a CLI listing starts in a fraction of
a second (SQLAlchemy alone costs ~0.3 s to import, sqlmodel ~0.7 s); writes go
through SQLAlchemy sessions created lazily by the service layer.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# Kept in step with the newest file in migrations/versions (a test checks it), so
# opening an up-to-date store needs no Alembic import.
SCHEMA_HEAD = "0017"
BUSY_TIMEOUT_MS = 5000


def _pragmas() -> tuple[str, ...]:
    return (
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA cache_size=-65536",
        "PRAGMA mmap_size=1073741824",
        "PRAGMA temp_store=MEMORY",
    )


class ReadConnection(sqlite3.Connection):
    """A connection whose failures (locked, corrupt) are one-line StoreErrors."""

    path: Path

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise describe(self.path, exc) from exc


def connect(path: Path) -> sqlite3.Connection:
    """A raw connection with the store's pragmas; autocommit, transactions are explicit."""
    conn = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
        factory=ReadConnection,
    )
    assert isinstance(conn, ReadConnection)
    conn.path = path
    try:
        for pragma in _pragmas():
            conn.execute(pragma)
    except StoreError:
        conn.close()
        raise
    return conn


def describe(path: Path, exc: sqlite3.Error) -> StoreError:
    """Turn an sqlite3 error into a one-line StoreError naming the file."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(f"{path}: the store is locked by another deskterm process; try again")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(f"{path}: not a usable deskterm store ({text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path}: the store is read-only ({text})")
    if ("disk" in text and "full" in text) or "disk I/O" in text:
        return StoreError(f"{path}: disk error writing the store ({text}); free space and retry")
    return StoreError(f"{path}: {text}")


class Store:
    """An open store file: a shared read connection per thread and a lazy write engine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    def read(self) -> sqlite3.Connection:
        """This thread's read connection (sqlite3 connections must not cross threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = _make_engine(self.path)
            return self._engine

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={
            "isolation_level": None,
            "check_same_thread": False,
            "timeout": BUSY_TIMEOUT_MS / 1000,
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        for pragma in _pragmas():
            dbapi_conn.execute(pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout
        # instead of failing with SQLITE_BUSY when a read lock cannot be upgraded.
        # Read-only sessions (previews, explanations) must not wait for writers.
        read_only = conn.get_execution_options().get("deskterm_read_only")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def schema_version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    if row is None:
        return None
    ver = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if ver is None else str(ver[0])


def open_store(path: Path, *, create: bool = False) -> Store:
    """Open (and migrate, or with `create` make) the store at `path`, or explain why not."""
    path = path.expanduser()
    if not path.exists():
        if not create:
            raise StoreError(
                f"{path}: no store here; run `deskterm init` or pass --db PATH (env DESKTERM_DB)"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store's folder ({exc.strerror})") from exc
    elif path.is_dir():
        raise StoreError(f"{path}: is a folder, not a store file")
    elif not create and path.stat().st_size == 0:
        # Only `init` and `demo` make stores; opening would turn the file into one.
        raise StoreError(f"{path}: an empty file, not a deskterm store; `deskterm init` makes one")
    store = Store(path)
    try:
        conn = store.read()
        version = schema_version(conn)
        if version is None:
            has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if has_tables:
                raise StoreError(f"{path}: not a deskterm store (no schema version table)")
        if version != SCHEMA_HEAD:
            from deskterm.store.schema.migrate import upgrade

            upgrade(store, current=version)
    except StoreError:
        store.close()
        raise
    return store


def data_version(conn: sqlite3.Connection) -> int:
    """A number that moves when another connection commits (SQLite's `PRAGMA data_version`).

    Comparable only with earlier values read on the same connection.
    """
    return int(conn.execute("PRAGMA data_version").fetchone()[0])
