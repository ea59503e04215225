"""Store figures: demo build rate, the queue page (warm, cold, deep), full-text search.

Each read goes through `deskterm.store.queries.list_tickets` and is compared with
the same SQL (or a bare FTS5 MATCH) on a raw sqlite3 connection in this process.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time

from bench.common import Context, Figure, measure
from deskterm.query import fts
from deskterm.query.syntax import parse_query
from deskterm.store.queries import tickets as queries
from deskterm.store.schema.db import open_store

NAMES = ("build", "queue", "search")
QUEUE = "status:new,open"
QUEUE_GOAL_S = 0.002
QUEUE_GOAL_RATIO = 5.0
SEARCH_GOAL_S = 0.1
COMMON_CANDIDATES = ("thanks", "order", "please", "account", "hi")
RAW_SEARCH = "SELECT rowid FROM message_fts WHERE message_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
RARE_CANDIDATES = ("chargeback", "neighbours", "accountant", "reinstalling", "seats")


def prepare(ctx: Context, *, rebuild: bool, only: str | None) -> list[Figure]:
    """Build the demo store if it is missing (the build figure), else note its size."""
    if ctx.db.exists() and not rebuild:
        conn = sqlite3.connect(ctx.db)
        ctx.tickets = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
        conn.close()
        ctx.notes.append(f"reused {ctx.db} ({ctx.tickets:,} tickets); --rebuild to time a build")
        return []
    from deskterm.demo import build_demo

    if ctx.db.exists():
        for suffix in ("", "-wal", "-shm"):
            ctx.db.with_name(ctx.db.name + suffix).unlink(missing_ok=True)
    ctx.db.parent.mkdir(parents=True, exist_ok=True)
    print(f"building a {ctx.tickets:,}-ticket demo store at {ctx.db} ...", file=sys.stderr)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 100_000 == 0 or done == total:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>9,} / {total:,} tickets  {rate:,.0f}/s", file=sys.stderr)

    cpu = time.process_time()
    summary = build_demo(ctx.db, ctx.tickets, progress=progress)
    cpu = time.process_time() - cpu
    ctx.notes.append(
        f"build used {cpu:.0f} s of CPU in {summary.seconds:.0f} s"
        f" ({summary.tickets / cpu:,.0f} tickets per CPU-second; the rest is I/O or a busy machine)"
    )
    size = f"{summary.tickets:,} tickets, {summary.messages:,} msgs, {summary.events:,} events"
    mb = ctx.db.stat().st_size / 1e6
    return [
        Figure("store", "demo build", summary.tickets_per_second, "tickets/s", size,
               goal=">= 10,000 tickets/s", ok=summary.tickets_per_second >= 10_000,
               extra=f"({summary.seconds:.0f} s, {mb:,.0f} MB)"),
        Figure("store", "demo build (messages)", summary.messages_per_second, "msgs/s", size),
    ]  # fmt: skip


def run(ctx: Context, only: str | None) -> list[Figure]:
    figures: list[Figure] = []
    if only in (None, "queue"):
        figures += queue_figures(ctx)
    if only in (None, "search"):
        figures += search_figures(ctx)
    return figures


def _queue_sql(limit: int) -> tuple[str, list[object]]:
    """The SQL list_tickets runs for `status:new,open` (first page), for the raw baseline."""
    branch = (
        "SELECT id FROM (SELECT t.id FROM ticket t WHERE t.status = ?"
        + queries._ORDER
        + " LIMIT ?)"
    )
    sql = (
        f"SELECT {queries._ROW_COLUMNS} {queries._ROW_FROM} WHERE t.id IN ("
        + " UNION ALL ".join([branch, branch])
        + ")"
        + queries._ORDER
        + " LIMIT ?"
    )
    return sql, ["new", limit + 1, "open", limit + 1, limit + 1]


def queue_figures(ctx: Context) -> list[Figure]:
    query = parse_query(QUEUE)
    store = open_store(ctx.db)
    raw = sqlite3.connect(ctx.db)
    try:
        active = raw.execute(
            "SELECT count(*) FROM ticket WHERE status IN ('new', 'open')"
        ).fetchone()[0]
        size = f"{ctx.tickets:,} tickets, {active:,} new+open"
        sql, params = _queue_sql(queries.PAGE_SIZE)
        page = queries.list_tickets(store, query)
        raw_rows = raw.execute(sql, params).fetchall()
        assert [r.id for r in page.rows] == [r[0] for r in raw_rows[: queries.PAGE_SIZE]]
        warm = measure(lambda: queries.list_tickets(store, query), ctx.runs)
        base = measure(lambda: raw.execute(sql, params).fetchall(), ctx.runs)

        def cold() -> None:
            fresh = open_store(ctx.db)
            queries.list_tickets(fresh, query)
            fresh.close()

        def cold_raw() -> None:
            conn = sqlite3.connect(ctx.db)
            conn.execute(sql, params).fetchall()
            conn.close()

        cold_t = measure(cold, max(10, ctx.runs // 10), warmup=1)
        cold_raw_t = measure(cold_raw, max(10, ctx.runs // 10), warmup=1)
        # Walk to page 100 by cursors (or the last page, in a small store).
        cursor, depth = page.next, 1
        while depth < 99 and cursor is not None:
            following = queries.list_tickets(store, query, after=cursor).next
            if following is None:
                break
            cursor, depth = following, depth + 1
        assert cursor is not None, "the queue has a single page"
        depth += 1
        deep = measure(lambda: queries.list_tickets(store, query, after=cursor), ctx.runs)
        if ctx.plans:
            _plan(raw, "queue page", sql, params)
            deep_sql = sql.replace("t.status = ?", "t.status = ? AND (t.updated_at, t.id) < (?, ?)")
            key = (cursor.key, cursor.id)
            deep_params = ["new", *key, 51, "open", *key, 51, 51]
            _plan(raw, "queue page 100 (keyset)", deep_sql, deep_params)
    finally:
        store.close()
        raw.close()
    ok = warm.median <= QUEUE_GOAL_S and warm.median <= QUEUE_GOAL_RATIO * base.median
    return [
        Figure("store", "queue page warm (median)", warm.median, "s", size, base.median,
               "<= 2 ms and <= 5x raw", ok),
        Figure("store", "queue page warm (p95)", warm.p95, "s", size, base.p95),
        Figure("store", "queue page cold (new connection)", cold_t.median, "s", size,
               cold_raw_t.median),
        Figure("store", f"queue page {depth} by keyset (median)", deep.median, "s", size,
               extra=f"({(depth - 1) * queries.PAGE_SIZE:,} rows deep)"),
    ]  # fmt: skip


def _hits(conn: sqlite3.Connection, word: str) -> int:
    expr = fts.match_expression((word,))
    return int(
        conn.execute(
            "SELECT count(*) FROM message_fts WHERE message_fts MATCH ?", (expr,)
        ).fetchone()[0]
    )


def search_figures(ctx: Context) -> list[Figure]:
    raw = sqlite3.connect(ctx.db)
    store = open_store(ctx.db)
    figures: list[Figure] = []
    try:
        messages = raw.execute("SELECT max(id) FROM message").fetchone()[0] or 0
        counts = {w: _hits(raw, w) for w in COMMON_CANDIDATES}
        common = min(counts, key=lambda w: abs(counts[w] - messages / 3))
        rare_counts = {w: _hits(raw, w) for w in RARE_CANDIDATES}
        rare = min((w for w in rare_counts if rare_counts[w]), key=rare_counts.__getitem__)
        words = [
            ("common English word", common, counts[common]),
            ("rare English word", rare, rare_counts[rare]),
            ("2-char CJK word", "환불", _hits(raw, "환불")),
        ]
        runs = max(10, ctx.runs // 4)
        for label, word, hits in words:
            query = parse_query(word)
            expr = fts.match_expression((word,))
            page = queries.list_tickets(store, query)
            api = measure(lambda q=query: queries.list_tickets(store, q), runs)
            base = measure(
                lambda e=expr: raw.execute(RAW_SEARCH, (e, queries.PAGE_SIZE)).fetchall(), runs
            )
            size = f"{messages:,} msgs, {hits:,} hits"
            figures.append(
                Figure("search", f"{label} '{word}' (median)", api.median, "s", size,
                       base.median, "<= 100 ms", api.median <= SEARCH_GOAL_S,
                       extra=f"p95 {api.p95 * 1e3:.1f} ms, {len(page.rows)} rows")
            )  # fmt: skip
            if ctx.plans:
                _plan(raw, f"search {word}: body candidates",
                      "SELECT m.ticket_id FROM (SELECT rowid AS mid FROM message_fts WHERE"
                      " message_fts MATCH ? ORDER BY rowid DESC LIMIT ?) h JOIN message m"
                      " ON m.id = h.mid", [expr, 2000])  # fmt: skip
                ids = json.dumps([r.id for r in page.rows])
                _plan(raw, f"search {word}: rows",
                      f"SELECT {queries._ROW_COLUMNS} {queries._ROW_FROM} WHERE t.id IN"
                      " (SELECT value FROM json_each(?))" + queries._ORDER + " LIMIT ?",
                      [ids, 51])  # fmt: skip
    finally:
        store.close()
        raw.close()
    return figures


def _plan(conn: sqlite3.Connection, title: str, sql: str, params: list[object]) -> None:
    print(f"\nEXPLAIN QUERY PLAN: {title}")
    for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params):
        print(f"  {row[0]:>3} {row[1]:>3}  {row[3]}")
