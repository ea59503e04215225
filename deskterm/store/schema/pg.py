"""A server store on PostgreSQL behind the same plain-SQL calls as SQLite.

The read modules and the service layer's plain statements are written in SQLite's
SQL with `?` parameters, on what `Store.read()` and `UnitOfWork.db` hand them. On a
PostgreSQL store those calls get a `PgConnection`: the same calls (execute,
executemany, fetchone, fetchall, iteration, lastrowid, rowcount) on psycopg, each
statement translated once (cached) from SQLite's forms to PostgreSQL's:

- `?` parameters become `%s`, `:name` ones `%(name)s` (and a literal `%` becomes `%%`);
- LIKE becomes ILIKE (SQLite's LIKE ignores ASCII case), IFNULL coalesce,
  group_concat string_agg, two-argument max/min greatest/least;
- `json_each(?)` over a JSON list of ids becomes json_array_elements_text;
- INSERT OR IGNORE becomes ON CONFLICT DO NOTHING, and an INSERT into a table with
  an `id` returns it (psycopg has no lastrowid);
- the FTS5 index writes (`query.fts`) become writes of the plain tables that hold
  the same columns on PostgreSQL (see `store.search.postgres` for the search);
- `INDEXED BY` hints are dropped, `BEGIN IMMEDIATE` is a plain BEGIN.

Values come back as SQLite gives them: times as SQLite's text (`timefmt`), booleans
as 0/1, so every reader sees one shape on both stores. Statements whose plan is
SQLite's own (the FTS5 search walk) have a PostgreSQL module instead.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Loader

from deskterm.errors import DesktermError, StoreError, UsageError
from deskterm.store.schema.urls import libpq_url, shown

# PostgreSQL keeps times as naive UTC, like SQLite's text; the session must not shift them.
SESSION_OPTIONS = "-c timezone=UTC"


class _SqliteTime(Loader):
    """A timestamp as SQLite's text of it: `YYYY-MM-DD HH:MM:SS.ffffff`."""

    def load(self, data: Any) -> str:
        text = bytes(data).decode()
        head, _, frac = text.partition(".")
        return f"{head}.{frac:0<6}"


class _SqliteBool(Loader):
    def load(self, data: Any) -> int:
        return 1 if bytes(data) == b"t" else 0


class PgCursor:
    """The part of `sqlite3.Cursor` the store's readers use."""

    def __init__(self, cursor: psycopg.Cursor[Any], returns_id: bool) -> None:
        self._cursor = cursor
        self.lastrowid: int | None = None
        if returns_id:
            row = cursor.fetchone()
            self.lastrowid = None if row is None else int(row[0])

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """The part of `sqlite3.Connection` the store's readers and plain writes use."""

    def __init__(self, conn: psycopg.Connection[Any], where: str) -> None:
        self.raw = conn
        self.where = where
        self._lock = threading.Lock()

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /) -> PgCursor:
        statement = translate(sql)
        with self._lock:
            cursor = self.raw.cursor()
            cursor.adapters.register_loader("timestamp", _SqliteTime)
            cursor.adapters.register_loader("bool", _SqliteBool)
            try:
                cursor.execute(statement.sql, statement.params(parameters))
            except psycopg.Error as exc:
                raise describe(self.where, exc) from exc
            return PgCursor(cursor, statement.returns_id)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        statement = translate(sql)
        with self._lock, self.raw.cursor() as cursor:
            try:
                cursor.executemany(statement.sql, [statement.params(r) for r in rows])
            except psycopg.Error as exc:
                raise describe(self.where, exc) from exc

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        """Like sqlite3's `with conn`: statements here are committed as they run (autocommit)."""


def connect(url: str) -> PgConnection:
    """An autocommit read connection to the database at `url`, UTC session."""
    try:
        conn = psycopg.connect(
            libpq_url(url), autocommit=True, options=SESSION_OPTIONS, connect_timeout=10
        )
    except psycopg.Error as exc:
        raise StoreError(f"{shown(url)}: cannot connect ({_first_line(exc)})") from exc
    return PgConnection(conn, shown(url))


def describe(where: str, exc: psycopg.Error) -> DesktermError:
    """A psycopg error as one line naming the database; integrity errors keep their kind.

    Text holding NUL is the writer's input, not the store's fault: a usage error. (The
    server refuses it at the door; this covers text a CLI command reads from a file.)
    """
    if isinstance(exc, psycopg.DataError) and "NUL" in str(exc):
        return UsageError(f"{where}: text with a NUL character (\\u0000) cannot be stored")
    if isinstance(exc, psycopg.IntegrityError):
        return RefusedByStore(f"{where}: refused by the store ({_first_line(exc)})")
    if isinstance(exc, psycopg.OperationalError) and (exc.sqlstate or "08").startswith("08"):
        return StoreError(f"{where}: the database is unreachable ({_first_line(exc)})")
    return StoreError(f"{where}: {_first_line(exc)}")


class RefusedByStore(StoreError):
    """A constraint refused a plain statement (the PostgreSQL twin of sqlite3.IntegrityError)."""


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# -- translation ------------------------------------------------------------------------


class Statement:
    __slots__ = ("numbered", "returns_id", "sql")

    def __init__(self, sql: str, returns_id: bool, numbered: bool) -> None:
        self.sql = sql
        self.returns_id = returns_id
        self.numbered = numbered  # `?1`-style: parameters go as a mapping p1, p2, ...

    def params(
        self, parameters: Sequence[Any] | Mapping[str, Any]
    ) -> Sequence[Any] | Mapping[str, Any]:
        if isinstance(parameters, Mapping):  # `:name` parameters
            return parameters
        if self.numbered:
            return {f"p{i}": value for i, value in enumerate(parameters, 1)}
        return tuple(parameters)


@functools.cache
def _id_tables() -> frozenset[str]:
    """The tables whose rows have an integer `id` key: an INSERT there returns it."""
    from sqlmodel import SQLModel

    import deskterm.store.schema.models  # noqa: F401  - fills SQLModel.metadata

    return frozenset(
        table.name
        for table in SQLModel.metadata.tables.values()
        if [column.name for column in table.primary_key.columns] == ["id"]
    )


def _fts_writes() -> dict[str, str]:
    from deskterm.query import fts

    out = {fts.INSERT_MESSAGE: fts.INSERT_MESSAGE, fts.INSERT_TICKET: fts.INSERT_TICKET}
    for table, delete in (("message_fts", fts.DELETE_MESSAGE), ("ticket_fts", fts.DELETE_TICKET)):
        # Contentless FTS5 deletes repeat the indexed values; here they pick the row.
        out[delete] = f"DELETE FROM {table} WHERE rowid = ? AND text = ? AND cjk = ?"
    for optimize in fts.OPTIMIZE:
        out[optimize] = "SELECT 1"  # PostgreSQL's GIN indexes have no segments to merge
    return out


_LITERAL = re.compile(r"'(?:[^']|'')*'")
_WORD_SUBS = (
    (re.compile(r"\bNOT\s+LIKE\b", re.I), "NOT ILIKE"),
    (re.compile(r"(?<!NOT )\bLIKE\b", re.I), "ILIKE"),
    (re.compile(r"\bIFNULL\(", re.I), "coalesce("),
    (re.compile(r"\s+INDEXED BY \w+", re.I), ""),
    (
        re.compile(r"SELECT value FROM json_each\(\?\)", re.I),
        "SELECT e.value::bigint FROM json_array_elements_text(?::json) AS e(value)",
    ),
)
_BEGIN_IMMEDIATE = re.compile(r"^\s*BEGIN IMMEDIATE\s*$", re.I)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO", re.I)
_INSERT_INTO = re.compile(r"^\s*INSERT INTO (\w+)", re.I)
_NUMBERED = re.compile(r"\?(\d+)")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_SCALAR_CALL = re.compile(r"\b(max|min|group_concat)\(", re.I)


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> Statement:
    """SQLite statement text as PostgreSQL's (see the module docstring), with psycopg's `%s`."""
    sql = _fts_writes().get(sql, sql)
    if _BEGIN_IMMEDIATE.match(sql):  # SQLite's write lock up front; rows lock as written here
        return Statement("BEGIN", False, False)
    literals = [m.group().replace("%", "%%") for m in _LITERAL.finditer(sql)]
    # Literals are set aside while the code is rewritten, so a `?` or `,` in one stays.
    code = _LITERAL.sub("\x00", sql).replace("%", "%%")
    for pattern, repl in _WORD_SUBS:
        code = pattern.sub(repl, code)
    code = _scalar_calls(code)
    numbered = bool(_NUMBERED.search(code))
    code = _NUMBERED.sub(r"%(p\1)s", code) if numbered else code.replace("?", "%s")
    code = _NAMED.sub(r"%(\1)s", code)
    pieces = code.split("\x00")
    text = pieces[0] + "".join(lit + piece for lit, piece in zip(literals, pieces[1:], strict=True))
    if _INSERT_OR_IGNORE.match(text):
        text = _INSERT_OR_IGNORE.sub("INSERT INTO", text, count=1) + " ON CONFLICT DO NOTHING"
    returns_id = False
    insert = _INSERT_INTO.match(text)
    if insert and insert.group(1).lower() in _id_tables() and "RETURNING" not in text.upper():
        text += " RETURNING id"
        returns_id = True
    return Statement(text, returns_id, numbered)


def _scalar_calls(code: str) -> str:
    """max(a, b)/min(a, b) as greatest/least; group_concat(x[, sep]) as string_agg."""
    out: list[str] = []
    pos = 0
    for match in _SCALAR_CALL.finditer(code):
        if match.start() < pos:
            continue
        close = _closing(code, match.end())
        if close is None:
            continue
        args = _split_args(code[match.end() : close])
        name = match.group(1).lower()
        if name == "group_concat":
            sep = args[1] if len(args) > 1 else "','"
            call = f"string_agg(({_scalar_calls(args[0])})::text, {sep})"
        elif len(args) > 1:
            inner = ", ".join(_scalar_calls(a) for a in args)
            call = f"{'greatest' if name == 'max' else 'least'}({inner})"
        else:
            continue
        out.append(code[pos : match.start()])
        out.append(call)
        pos = close + 1
    out.append(code[pos:])
    return "".join(out)


def _closing(code: str, start: int) -> int | None:
    depth = 1
    for i in range(start, len(code)):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


def _split_args(text: str) -> list[str]:
    args, depth, last = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[last:i].strip())
            last = i + 1
    args.append(text[last:].strip())
    return args
