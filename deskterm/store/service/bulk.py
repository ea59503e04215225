"""Bulk loading: prepared rows straight into the store, in chunks, indexes rebuilt after.

The service layer writes one change per transaction; a demo (or an import) of a
million tickets is ~10^7 rows, which only raw `executemany` loads in minutes.
Rows have the shapes of `records` (TICKET_COLUMNS, `schema.rows.MESSAGE_COLUMNS`, `event_row`),
and a caller playing changes forward uses `records.status_change` for status
fields and events, so bulk rows say what a change through the service says. The search index is
filled in the same chunks as its rows: one huge transaction once grew the WAL
to 8.6 GB, so `commit()` every ~10k tickets. Meant for a store no one else has
open: journaling is off until `finish()`, so a crash leaves a broken file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from deskterm.assist.tone import Tone
from deskterm.store.schema.db import describe
from deskterm.store.schema.rows import MESSAGE_COLUMNS
from deskterm.store.search.index import SearchIndex
from deskterm.store.service.records import INSERT_EVENT, TICKET_COLUMNS, insert_sql
from deskterm.store.service.tone import set_tones

if TYPE_CHECKING:
    from deskterm.sla.policy import SlaSettings

_BODY = MESSAGE_COLUMNS.index("body_text")
_SUBJECT = TICKET_COLUMNS.index("subject")
# Tables whose secondary indexes are dropped during a load and rebuilt (sorted) after:
# inserting 3M random Message-IDs into a B-tree costs more than sorting them once.
BULK_TABLES = ("ticket", "message", "event", "ticket_tag", "customer")
SLA_CHUNK = 5000  # tickets per transaction of the SLA history pass
_LOAD_PRAGMAS = (
    "PRAGMA journal_mode=OFF",
    "PRAGMA synchronous=OFF",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA locking_mode=EXCLUSIVE",
    "PRAGMA cache_size=-262144",
    "PRAGMA temp_store=MEMORY",
)


_INSERT_TICKET = insert_sql("ticket", TICKET_COLUMNS)
_INSERT_MESSAGE = insert_sql("message", MESSAGE_COLUMNS)


class BulkLoader:
    """One exclusive connection loading rows in chunks; use as a context manager.

    `location` is a SQLite file, or a PostgreSQL URL (a team server's store, empty): the
    same rows go through `pg`'s translation of the same statements, and `finish` moves
    each id sequence past the explicit ids loaded.
    """

    def __init__(self, location: Path | str) -> None:
        self.path = location
        self._dropped: list[str] = []
        self._pg = isinstance(location, str)
        if isinstance(location, str):
            from deskterm.store.schema import pg

            self._conn = cast(sqlite3.Connection, pg.connect(location))
        else:
            try:
                self._conn = sqlite3.connect(
                    location, isolation_level=None, check_same_thread=False
                )
                for pragma in _LOAD_PRAGMAS:
                    self._conn.execute(pragma)
            except sqlite3.Error as exc:
                raise describe(location, exc) from exc
        self._search = SearchIndex(self._conn, whole_tickets=False)
        self._conn.execute("BEGIN")
        self._open = True
        self._foreign_keys: list[tuple[str, str, str]] = []
        if self._pg:
            self._drop_foreign_keys()

    def __enter__(self) -> BulkLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._open:
            self._conn.execute("ROLLBACK")
        if self._foreign_keys:  # a load that failed: later writes are checked again
            self._add_foreign_keys(checked=False)
        self._conn.close()

    def _drop_foreign_keys(self) -> None:
        """PostgreSQL's `foreign_keys=OFF`: rows come in any order (customers after their
        tickets); `finish` adds the keys back, which checks every row loaded."""
        self._foreign_keys = [
            (str(table), str(name), str(definition))
            for table, name, definition in self._conn.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
                " FROM pg_constraint c WHERE c.contype = 'f'"
                " AND c.connamespace = current_schema()::regnamespace"
            ).fetchall()
        ]
        for table, name, _definition in self._foreign_keys:
            self._conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')

    def _add_foreign_keys(self, *, checked: bool = True) -> None:
        for table, name, definition in self._foreign_keys:
            self._conn.execute(
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                + ("" if checked else " NOT VALID")
            )
        self._foreign_keys.clear()

    def drop_indexes(self, tables: Iterable[str] = BULK_TABLES) -> None:
        """Drop the secondary (non-unique, named) indexes of `tables` until `finish()`."""
        names = tuple(tables)
        marks = ",".join("?" * len(names))
        listing = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND indexdef NOT LIKE 'CREATE UNIQUE %' AND tablename IN"
            if self._pg
            else "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN"
        )
        rows = self._conn.execute(f"{listing} ({marks})", names).fetchall()
        for name, sql in rows:
            self._conn.execute(f'DROP INDEX "{name}"')
            self._dropped.append(str(sql))

    def add_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        self._conn.executemany(insert_sql(table, columns), rows)

    def add_tickets(self, rows: Sequence[Sequence[object]]) -> None:
        """Rows in TICKET_COLUMNS order (explicit ids); subjects go into the search index."""
        self._conn.executemany(_INSERT_TICKET, rows)
        self._search.add_tickets((cast(int, r[0]), str(r[_SUBJECT])) for r in rows)

    def add_messages(self, rows: Sequence[Sequence[object]]) -> None:
        """Rows in MESSAGE_COLUMNS order (explicit ids); bodies go into the search index."""
        self._conn.executemany(_INSERT_MESSAGE, rows)
        self._search.add_messages((cast(int, r[0]), str(r[_BODY])) for r in rows)

    def add_events(self, rows: Iterable[Sequence[object]]) -> None:
        """`records.event_row` rows; ids are assigned in insertion order."""
        self._conn.executemany(INSERT_EVENT, rows)

    def add_read_marks(self, rows: Iterable[tuple[int, int, str]]) -> None:
        """(agent_id, ticket_id, read_at) rows; a later mark replaces an earlier one."""
        self._conn.executemany(
            "INSERT INTO ticket_read (agent_id, ticket_id, read_at) VALUES (?, ?, ?)"
            " ON CONFLICT (agent_id, ticket_id) DO UPDATE SET read_at = excluded.read_at",
            rows,
        )

    def add_tones(self, tones: Iterable[tuple[int, Tone]]) -> None:
        """(ticket_id, tone of its latest customer message) for tickets already loaded."""
        set_tones(self._conn, tones)

    def set_counter(self, name: str, value: int) -> None:
        self._conn.execute("UPDATE counter SET value = ? WHERE name = ?", (value, name))

    def commit(self) -> None:
        """End this chunk's transaction and start the next."""
        self._conn.execute("COMMIT")
        self._conn.execute("BEGIN")

    def record_sla_history(self, settings: SlaSettings, now: datetime) -> int:
        """The SLA targets every loaded ticket met or breached before `now`, as the
        events the service would have written at the time (and the breach keys that
        keep them from being written twice). After `finish`, before `rebuild_reports`,
        which counts them. Returns how many events."""
        from deskterm.sla.policy import compute
        from deskterm.store.queries.sla import ticket_facts
        from deskterm.store.schema.timefmt import to_db
        from deskterm.store.service.records import event_row
        from deskterm.store.service.sla import outcomes

        written = 0
        last = int(self._conn.execute("SELECT coalesce(max(id), 0) FROM ticket").fetchone()[0])
        try:
            for start in range(1, last + 1, SLA_CHUNK):
                self._conn.execute("BEGIN")
                events: list[Sequence[object]] = []
                keys: list[tuple[str, int]] = []
                for tid in range(start, min(start + SLA_CHUNK, last + 1)):
                    due = compute(settings, ticket_facts(self._conn, tid))
                    if due is None:
                        continue
                    recorded: set[str] = set()
                    for kind, target, when in outcomes(
                        due, now, settings.warning_fraction, recorded, None
                    ):
                        events.append(
                            event_row(tid, None, "system", kind.value, None, target, to_db(when))
                        )
                    if recorded:
                        keys.append((",".join(sorted(recorded)), tid))
                self.add_events(events)
                self._conn.executemany("UPDATE ticket SET sla_breached = ? WHERE id = ?", keys)
                self._conn.execute("COMMIT")
                written += len(events)
        except sqlite3.Error as exc:
            raise describe(Path(self.path), exc) from exc
        return written

    def rebuild_reports(self, calendar_spec: str | None = None) -> None:
        """Fill the report rollups from the rows loaded (after `finish`: it reads by index)."""
        from deskterm.store.service.report_rollup import rebuild

        try:
            rebuild(self._conn, calendar_spec)
        except sqlite3.Error as exc:
            raise describe(Path(self.path), exc) from exc

    def finish(self, *, analyze: bool = True) -> None:
        """Commit, rebuild dropped indexes, gather planner statistics, go back to WAL."""
        try:
            for sql in self._dropped:
                self._conn.execute(sql)
            self._dropped.clear()
            if self._pg:
                self._move_sequences()
                self._add_foreign_keys()
            else:  # SQLite's whole-ticket rows (PostgreSQL searches its tsvectors)
                self._search.build_ticket_words()
            self._conn.execute("COMMIT")
            self._open = False
            self._search.optimize()
            if analyze:
                self._conn.execute("ANALYZE")
            if not self._pg:
                if analyze:
                    self._conn.execute("PRAGMA optimize")
                self._conn.execute("PRAGMA locking_mode=NORMAL")
                self._conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise describe(Path(self.path), exc) from exc

    def _move_sequences(self) -> None:
        """Rows were loaded with their ids: each id sequence goes on from the largest."""
        for (table,) in self._conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND column_name = 'id' AND column_default LIKE 'nextval(%'"
        ).fetchall():
            self._conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f' coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)'
            )
