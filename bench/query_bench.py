"""The query matrix: every shape of query a user types, first page, a deep page, count.

Each shape goes through `list_tickets` and `count_tickets` (the app's and the CLI's
reads) and is set against a raw baseline on a plain sqlite3 connection in the same
process: the same joins and filters written as straightforward SQL (`naive_sql`;
the deep page by OFFSET, the count as count(*)). Each figure is the p95 of the CPU
time one call takes on its thread (`time.thread_time`): on a machine shared with
other work the wall time also counts the waits for a core, CPU time does not. Wall
p50/p95 are printed beside it. The worst shapes by CPU p95 are printed last.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from bench.common import Context, Figure, fmt
from deskterm.query import fts
from deskterm.query.syntax import TicketQuery, parse_query
from deskterm.store.queries import tickets as queries
from deskterm.store.schema.db import open_store
from deskterm.store.schema.timefmt import to_db, utcnow
from deskterm.store.search.filters import QueryContext

NAMES = ("queries",)
GOAL_S = 0.05
DEEP_PAGE = 10
RAW_BUDGET_S = 2.0  # a slow baseline is timed fewer times


def shapes(customer: str, agent: str) -> list[str]:
    """The matrix: the issue's table, then words, filters and both together."""
    return [
        # the table
        "status:new,open tag:billing",
        "tag:billing",
        "status:open tag:billing refund",
        "status:new priority:urgent refund",
        "please customer:nosuchorg",
        "thanks from:nobody@example.com",
        # words: common, rare, none, phrases, prefixes, CJK
        "thanks",
        "the",
        "please",
        "refund",
        "chargeback",
        "neighbours",
        "nosuchwordanywhere",
        "refund please",
        '"credit card"',
        "refun*",
        "pleas*",
        "thank*",
        "환불",
        "환불을",
        "退款",
        "返金",
        # filters alone
        "status:new",
        "status:new,open",
        "status:closed",
        "status:open,pending",
        "priority:urgent",
        "tag:vip",
        "tag:nosuchtag",
        f"from:{customer}",
        "customer:acme",
        "assignee:none",
        f"assignee:{agent}",
        "channel:phone",
        "updated<7d",
        "sort:created",
        "sort:due",
        "status:open sort:due",
        # both
        "status:new,open refund",
        "the status:new,open,pending",
        "status:open 환불",
        "refun* status:open",
        "refund tag:vip",
        "thanks tag:billing priority:urgent",
        "sort:created refund",
        "nosuchwordanywhere status:new",
        "refund tag:nosuchtag",
        f"thanks from:{customer}",
    ]


def store_shapes(raw: sqlite3.Connection) -> list[str]:
    """`shapes` with a customer and an agent of this store."""
    customer = raw.execute(
        "SELECT c.email FROM ticket t JOIN customer c ON c.id = t.customer_id"
        " ORDER BY t.updated_at DESC LIMIT 1"
    ).fetchone()[0]
    agent = raw.execute("SELECT email FROM agent ORDER BY id DESC LIMIT 1").fetchone()[0]
    return shapes(customer, agent)


def naive_sql(
    conn: sqlite3.Connection, query: TicketQuery, *, offset: int = 0, count: bool = False
) -> tuple[str, list[object]]:
    """A page of `query` (rows from `offset`) or its count, as plain SQL, the way one
    writes it by hand."""
    conds: list[str] = []
    params: list[object] = []

    def among(column: str, values: tuple[str, ...]) -> None:
        conds.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    if query.status:
        among("t.status", query.status)
    if query.priority:
        among("t.priority", query.priority)
    if query.channel:
        among("t.channel", query.channel)
    for tags in query.tag:
        conds.append(
            "t.id IN (SELECT tt.ticket_id FROM ticket_tag tt JOIN tag ON tag.id = tt.tag_id"
            f" WHERE tag.name IN ({','.join('?' * len(tags))}))"
        )
        params.extend(tags)
    if query.from_:
        conds.append(
            "t.customer_id IN (SELECT id FROM customer WHERE email IN"
            f" ({','.join('?' * len(query.from_))}))"
        )
        params.extend(query.from_)
    for text in query.customer:
        conds.append(
            "t.customer_id IN (SELECT cu.id FROM customer cu LEFT JOIN organization o"
            " ON o.id = cu.organization_id WHERE cu.email LIKE ?1 OR cu.name LIKE ?1"
            " OR o.name LIKE ?1)".replace("?1", "?")
        )
        params.extend([f"%{text}%"] * 3)
    for who in query.assignee:
        if who == "none":
            conds.append("t.assignee_id IS NULL")
        else:
            conds.append("t.assignee_id IN (SELECT id FROM agent WHERE name = ? OR email = ?)")
            params.extend((who, who))
    for date in query.dates:  # only `updated<Nd` is in the matrix
        conds.append("t.updated_at > ?")
        params.append(to_db(utcnow() - timedelta(days=int(date.value[:-1]))))
    for word in query.words:
        expr = fts.match_expression((word,))
        conds.append(
            "t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?"
            " UNION SELECT m.ticket_id FROM message_fts f JOIN message m ON m.id = f.rowid"
            " WHERE message_fts MATCH ?)"
        )
        params.extend((expr, expr))
    column, way = {"": ("updated_at", "DESC"), "created": ("created_at", "DESC")}.get(
        query.sort, ("due_at", "ASC")
    )
    if query.sort == "due":
        conds.append("t.due_at IS NOT NULL")
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    if count:
        return f"SELECT count(*) FROM ticket t{where}", params
    sql = (
        f"SELECT {queries._ROW_COLUMNS} {queries._ROW_FROM}{where}"
        f" ORDER BY t.{column} {way}, t.id {way} LIMIT ? OFFSET ?"
    )
    return sql, [*params, queries.PAGE_SIZE + 1, offset]


@dataclass(frozen=True)
class Costs:
    """p50/p95 of one call's CPU time and wall time."""

    cpu50: float
    cpu95: float
    wall50: float
    wall95: float

    def line(self) -> str:
        return (
            f"CPU p50 {self.cpu50 * 1e3:.1f} ms, wall p50 {self.wall50 * 1e3:.1f}"
            f" p95 {self.wall95 * 1e3:.1f} ms"
        )


def costs(fn: object, runs: int, warmup: int = 3) -> Costs:
    """CPU and wall time of each of `runs` calls of `fn`, after `warmup` calls."""
    assert callable(fn)  # typed `object`: mypy infers no type for a lambda's defaults
    for _ in range(warmup):
        fn()
    cpu, wall = [], []
    for _ in range(runs):
        start, used = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - used)
        wall.append(time.perf_counter() - start)
    return Costs(statistics.median(cpu), _p95(cpu), statistics.median(wall), _p95(wall))


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _budgeted(fn: object, runs: int) -> Costs:
    """`costs`, but a call slower than RAW_BUDGET_S / runs is timed fewer times."""
    assert callable(fn)
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    return costs(fn, max(1, min(runs, int(RAW_BUDGET_S / max(once, 1e-6)))), warmup=0)


def run(ctx: Context, only: str | None) -> list[Figure]:
    store = open_store(ctx.db)
    raw = sqlite3.connect(ctx.db)
    qctx = QueryContext()
    runs = max(10, ctx.runs // 10)
    figures: list[Figure] = []
    worst: list[tuple[float, str]] = []
    size = f"{ctx.tickets:,} tickets"

    def figure(name: str, text: str, ours: Costs, base: Costs, extra: str = "") -> None:
        figures.append(
            Figure("query", f"{text[:30]} ({name})", ours.cpu95, "s", size, base.cpu95,
                   f"CPU p95 <= {GOAL_S * 1e3:.0f} ms", ours.cpu95 <= GOAL_S,
                   extra=f"{ours.line()}{extra}")
        )  # fmt: skip
        worst.append((ours.cpu95, f"{text} ({name})"))

    try:
        for text in store_shapes(raw):
            query = parse_query(text)
            first = queries.list_tickets(store, query, qctx)
            sql, params = naive_sql(raw, query)
            base = _budgeted(lambda s=sql, p=params: raw.execute(s, p).fetchall(), runs)
            ours = costs(lambda q=query: queries.list_tickets(store, q, qctx), runs)
            figure("first", text, ours, base, f", {len(first.rows)} rows")
            sql, params = naive_sql(raw, query, count=True)
            base = _budgeted(lambda s=sql, p=params: raw.execute(s, p).fetchall(), runs)
            ours = _budgeted(lambda q=query: queries.count_tickets(store, q, qctx), runs)
            total = queries.count_tickets(store, query, qctx)
            figure("count", text, ours, base, f", {total:,} matches")
            cursor, depth = first.next, 1
            while cursor is not None and depth < DEEP_PAGE:
                cursor = queries.list_tickets(store, query, qctx, after=cursor).next
                depth += 1
            if cursor is None:
                continue
            sql, params = naive_sql(raw, query, offset=depth * queries.PAGE_SIZE)
            base = _budgeted(lambda s=sql, p=params: raw.execute(s, p).fetchall(), runs)
            ours = costs(
                lambda q=query, c=cursor: queries.list_tickets(store, q, qctx, after=c), runs
            )
            figure(f"page {depth + 1}", text, ours, base)
    finally:
        store.close()
        raw.close()
    worst.sort(reverse=True)
    missed = sum(cpu > GOAL_S for cpu, _ in worst)
    ctx.notes.append(
        f"query matrix ({size}): {len(worst)} figures, {missed} over {GOAL_S * 1e3:.0f} ms"
        " CPU p95; worst by CPU p95: "
        + "; ".join(f"{name} {fmt(cpu, 's')}" for cpu, name in worst[:5])
    )
    return figures
