"""Bulk loading: prepared rows straight into SQLite, in chunks, indexes rebuilt after.

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
    """One exclusive connection loading rows in chunks; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._dropped: list[str] = []
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._search = SearchIndex(self._conn, whole_tickets=False)
            for pragma in _LOAD_PRAGMAS:
                self._conn.execute(pragma)
            self._conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise describe(path, exc) from exc

    def __enter__(self) -> BulkLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        self._conn.close()

    def drop_indexes(self, tables: Iterable[str] = BULK_TABLES) -> None:
        """Drop the secondary (non-unique, named) indexes of `tables` until `finish()`."""
        names = tuple(tables)
        marks = ",".join("?" * len(names))
        rows = self._conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            names,
        ).fetchall()
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
            raise describe(self.path, exc) from exc
        return written

    def rebuild_reports(self, calendar_spec: str | None = None) -> None:
        """Fill the report rollups from the rows loaded (after `finish`: it reads by index)."""
        from deskterm.store.service.report_rollup import rebuild

        try:
            rebuild(self._conn, calendar_spec)
        except sqlite3.Error as exc:
            raise describe(self.path, exc) from exc

    def finish(self, *, analyze: bool = True) -> None:
        """Commit, rebuild dropped indexes, gather planner statistics, go back to WAL."""
        try:
            for sql in self._dropped:
                self._conn.execute(sql)
            self._dropped.clear()
            self._search.build_ticket_words()
            self._conn.execute("COMMIT")
            self._search.optimize()
            if analyze:
                self._conn.execute("ANALYZE")
                self._conn.execute("PRAGMA optimize")
            self._conn.execute("PRAGMA locking_mode=NORMAL")
            self._conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise describe(self.path, exc) from exc
