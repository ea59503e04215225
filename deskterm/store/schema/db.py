"""Opening a store: checks, migrations, and the two ways in (raw reads, ORM writes).

Reads use the stdlib `sqlite3` directly so a CLI listing starts in a fraction of
a second (SQLAlchemy alone costs ~0.3 s to import, sqlmodel ~0.7 s); writes go
through SQLAlchemy sessions created lazily by the service layer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from deskterm.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from deskterm.store.schema.pg import PgConnection

# Kept in step with the newest file in migrations/versions (a test checks it), so
# opening an up-to-date store needs no Alembic import.
SCHEMA_HEAD = "0025"
BUSY_TIMEOUT_MS = 5000
# Each thread has its own connection (the app's workers run on up to six pool threads)
# and each connection its own page cache: 8 MB each, not 64. No memory map: mapped
# pages count in the process's resident memory (750 MB of the app's 1.1 GB at 1M
# tickets), while reads leave them in the OS cache; the query matrix at 1M took the
# same CPU either way.
CACHE_KIB = 8192


def _pragmas() -> tuple[str, ...]:
    return (
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA cache_size=-{CACHE_KIB}",
        "PRAGMA mmap_size=0",
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
    """An open store: a shared read connection per thread and a lazy write engine.

    A SQLite file at `path`, or a PostgreSQL database at `url` (a server's store; see
    `pg` for how the same plain SQL runs there).
    """

    def __init__(self, path: Path | None = None, *, url: str | None = None) -> None:
        assert (path is None) != (url is None), "a store is a file or a database URL"
        self._path = path
        self.url = url
        self._local = threading.local()
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._writer = threading.RLock()
        self._pg_conns: list[PgConnection] = []  # every thread's, closed together

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction of this process at a time on a SQLite file; the others
        wait here, woken as it ends. Left to SQLite's busy handler they slept and polled
        (up to 100 ms a try) while newcomers got in first: twelve threads pushing at
        once saw a p99 of 4.4 s, and one gave up after the 5 s timeout. Past that
        timeout the write goes on to SQLite's own wait, as before. PostgreSQL's writers
        wait on row locks instead: nothing to do there."""
        if self.url is not None:
            yield
            return
        held = self._writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if held:
                self._writer.release()

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url is None else "postgresql"

    @property
    def where(self) -> str:
        """The store as messages name it (a URL without its password)."""
        if self.url is not None:
            from deskterm.store.schema.urls import shown

            return shown(self.url)
        return str(self._path)

    @property
    def path(self) -> Path:
        """The SQLite file; work that only a local file supports asks for it."""
        if self._path is None:
            raise StoreError(f"{self.where}: this needs a SQLite store file, not a database URL")
        return self._path

    def read(self) -> sqlite3.Connection:
        """This thread's read connection (sqlite3 connections must not cross threads).

        On PostgreSQL a `PgConnection`, which answers the same calls the readers make.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.url is not None:
                from deskterm.store.schema import pg

                pg_conn = pg.connect(self.url)
                with self._engine_lock:
                    self._pg_conns.append(pg_conn)
                conn = cast(sqlite3.Connection, pg_conn)
            else:
                conn = connect(self.path)
            self._local.conn = conn
        return conn

    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                if self.url is not None:
                    from deskterm.store.schema.pg_engine import make_engine

                    self._engine = make_engine(self.url)
                else:
                    self._engine = _make_engine(self.path)
            return self._engine

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self.url is None:
                conn.close()
            self._local.conn = None
        with self._engine_lock:
            for pg_conn in self._pg_conns:
                pg_conn.close()
            self._pg_conns.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def plain_connection(session_connection: Any) -> sqlite3.Connection:
    """A write session's DB-API connection for plain statements in its transaction.

    On PostgreSQL the `PgConnection` face of it (the same calls as sqlite3's).
    """
    driver = session_connection.connection.driver_connection
    if session_connection.dialect.name == "sqlite":
        return cast(sqlite3.Connection, driver)
    from deskterm.store.schema.pg import PgConnection

    where = session_connection.engine.url.render_as_string(hide_password=True)
    return cast(sqlite3.Connection, PgConnection(driver, where))


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
    if isinstance(conn, sqlite3.Connection):
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
    else:  # PostgreSQL
        found = conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0]
    if found is None:
        return None
    ver = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if ver is None else str(ver[0])


def _has_tables(conn: sqlite3.Connection) -> bool:
    if isinstance(conn, sqlite3.Connection):
        return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    return bool(
        conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()[0]
    )


def open_store(location: Path | str, *, create: bool = False) -> Store:
    """Open (and migrate, or with `create` make) the store at `location`, or explain why not.

    `location` is a SQLite file, or a PostgreSQL URL (`postgresql+psycopg://...`) whose
    database exists (empty: the migrations make the schema there).
    """
    if isinstance(location, str):
        from deskterm.store.schema.urls import is_database_url

        if is_database_url(location):
            return _migrated(Store(url=location))
        location = Path(location)
    path = location.expanduser()
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
    return _migrated(Store(path))


def _migrated(store: Store) -> Store:
    try:
        conn = store.read()
        version = schema_version(conn)
        if version is None and _has_tables(conn):
            raise StoreError(f"{store.where}: not a deskterm store (no schema version table)")
        if version != SCHEMA_HEAD:
            from deskterm.store.schema.migrate import upgrade

            upgrade(store, current=version)
    except StoreError:
        store.close()
        raise
    return store


def own_connection(store: Store) -> sqlite3.Connection:
    """A connection of its own, not the thread's shared one: for its own transactions
    (the sender's ledger, rebuilds), a session lock, or `data_version` (whose values
    compare on one connection). On PostgreSQL a `PgConnection`."""
    if store.url is None:
        return connect(store.path)
    from deskterm.store.schema import pg

    return cast(sqlite3.Connection, pg.connect(store.url))


def data_version(conn: sqlite3.Connection) -> int:
    """A number that moves when another connection commits (SQLite's `PRAGMA data_version`).

    Comparable only with earlier values read on the same connection. On PostgreSQL the
    write-ahead log's position: it moves on every commit (and on some housekeeping, which
    only costs a needless reread).
    """
    if isinstance(conn, sqlite3.Connection):
        return int(conn.execute("PRAGMA data_version").fetchone()[0])
    return int(conn.execute("SELECT pg_current_wal_lsn() - '0/0'").fetchone()[0])
