"""Reports at scale: the 30-day and all-time report in a new process, and what the rollups
add to one change.

A change's cost is CPU seconds and WAL pages per change, with the rollup hook and
without it, interleaved in one process, beside a plain SQL status change on a raw
connection. The reports run on a copy of the bench store (`NAME-reports.db` beside it, made once
under a lock, migrated, rollups rebuilt): the shared store stays as other areas
expect it. Each report is compared with bare SQL over the base tables computing
the calendar-time part of the same numbers (counts, median and p90 first-reply and
resolution time by ORDER BY, backlog, time logged) on a raw connection in this
process.
"""

from __future__ import annotations

import asyncio
import fcntl
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import Context, Figure
from deskterm.reports.model import Period

NAMES = ("reports",)
RUNS = 5
CHANGES = 60
GOAL_30D_S = 1.0
GOAL_ALL_S = 3.0
GOAL_CHANGE = 0.10
GOAL_PAINT_S = 0.3


def _copy(ctx: Context) -> tuple[Path, list[Figure]]:
    """The reports' own copy of the bench store, with its rollups built (timed once)."""
    target = ctx.db.with_name(ctx.db.stem + "-reports.db")
    figures: list[Figure] = []
    with open(ctx.db.with_name(f".lock-{target.name}"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = target.with_name(target.name + ".partial")
            src = sqlite3.connect(f"file:{ctx.db}?mode=ro", uri=True)
            src.backup(sqlite3.connect(partial))
            src.close()
            from deskterm.store.schema.db import open_store
            from deskterm.store.service import Actor, Service

            store = open_store(partial)
            cpu, wall = time.process_time(), time.perf_counter()
            done = Service(store, Actor.system()).rebuild_reports()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            store.close()
            shutil.move(partial, target)
            figures.append(
                Figure("report", "rollup rebuild (CPU)", cpu, "s", f"{done:,} tickets",
                       extra=f"({done / cpu:,.0f} tickets per CPU-second; {wall:.0f} s wall)")
            )  # fmt: skip
    return target, figures


def _process(db: Path, *args: str) -> float:
    """Median wall time of `deskterm report` in a new process (the first run warms the cache)."""
    exe = Path(sys.executable).with_name("deskterm")
    argv = [str(exe), "--db", str(db), "report", "--json", *args]
    samples = []
    for _ in range(RUNS + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        samples.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
    return statistics.median(samples[1:])


def _raw(db: Path, since: date | None, until: date) -> float:
    """Bare SQL for the calendar-time numbers of the same period, on the base tables."""
    lo = "0000" if since is None else since.isoformat()
    hi = (until + timedelta(days=1)).isoformat()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    duration = "(julianday({end}) - julianday({start})) * 86400"
    frt = duration.format(end="first_response_at", start="created_at")
    res = duration.format(end="solved_at", start="created_at")
    queries = [
        ("SELECT count(*) FROM ticket WHERE created_at >= ? AND created_at < ?", (lo, hi)),
        ("SELECT kind, count(*) FROM event WHERE kind IN ('status', 'reopened')"
         " AND created_at >= ? AND created_at < ? GROUP BY kind", (lo, hi)),
        (f"SELECT count(*), {frt} FROM ticket WHERE first_response_at >= ?"
         " AND first_response_at < ?", (lo, hi)),
        ("SELECT count(*) FROM ticket WHERE created_at < ? AND status IN"
         " ('new', 'open', 'pending', 'on_hold')", (hi,)),
        ("SELECT sum(seconds) FROM time_entry WHERE started_at >= ? AND started_at < ?", (lo, hi)),
    ]  # fmt: skip
    start = time.perf_counter()
    for sql, params in queries:
        conn.execute(sql, params).fetchall()
    for value, column in ((frt, "first_response_at"), (res, "solved_at")):
        n = conn.execute(
            f"SELECT count(*) FROM ticket WHERE {column} >= ? AND {column} < ?", (lo, hi)
        ).fetchone()[0]
        for pct in (50, 90):
            conn.execute(
                f"SELECT {value} AS d FROM ticket WHERE {column} >= ? AND {column} < ?"
                " ORDER BY d LIMIT 1 OFFSET ?",
                (lo, hi, max(0, (n * pct + 99) // 100 - 1)),
            ).fetchall()
    took = time.perf_counter() - start
    conn.close()
    return took


# Changes there and back (field, values): a solve and its reopening, which the rollups
# count; a status change among unresolved ones and a priority change, report-neutral
# changes the hook skips.
FLIPS = {
    "solve": ("status", ("solved", "open")),
    "pending": ("status", ("pending", "open")),
    "priority": ("priority", ("high", "normal")),
}


@dataclass
class ChangeCost:
    """One change there or back: median CPU seconds and mean WAL pages written, with the
    rollup hook and without it (interleaved, one process)."""

    cpu: float
    cpu_without: float
    pages: float
    pages_without: float
    catch_up: float = 0.0  # CPU seconds per ticket of the recount a reader does later

    @property
    def added(self) -> float:
        return self.cpu / self.cpu_without - 1


class _Wal:
    """Pages a commit writes: the WAL is emptied before it, and counted after."""

    def __init__(self, db: Path) -> None:
        self._conn = sqlite3.connect(db, isolation_level=None)
        self._file = Path(f"{db}-wal")
        self._frame = int(self._conn.execute("PRAGMA page_size").fetchone()[0]) + 24

    def empty(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def pages(self) -> int:
        return max(0, (self._file.stat().st_size - 32) // self._frame)

    def close(self) -> None:
        self._conn.close()


def _change_cost(db: Path, flip: str) -> ChangeCost:
    """One change of `field` (there and back) with and without the rollup hook, on the big
    store (a scratch copy would take minutes: changes are rolled back by the second one,
    and the figure is per change either way). CPU, not wall time: the machine is shared."""
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service, hooks
    from deskterm.store.service.report_hook import report_rollups

    with_hook = hooks.BEFORE_COMMIT
    without_hook = tuple(h for h in with_hook if h is not report_rollups)
    store = open_store(db)
    agent = int(store.read().execute("SELECT min(id) FROM agent").fetchone()[0])
    numbers = [
        int(r[0])
        for r in store.read().execute(
            "SELECT number FROM ticket WHERE status = 'open' ORDER BY id DESC LIMIT ?",
            (CHANGES * 2,),
        )
    ]
    field, values = FLIPS[flip]
    cpu: dict[bool, list[float]] = {True: [], False: []}
    pages: dict[bool, list[int]] = {True: [], False: []}
    service = Service(store, Actor(agent, "bench"))
    wal = _Wal(db)
    try:
        for i, number in enumerate(numbers):
            rollups = i % 2 == 0
            hooks.BEFORE_COMMIT = with_hook if rollups else without_hook
            for value in values:
                wal.empty()
                start = time.process_time()
                service.update_tickets([number], **{field: value})
                cpu[rollups].append(time.process_time() - start)
                pages[rollups].append(wal.pages())
    finally:
        hooks.BEFORE_COMMIT = with_hook
        wal.close()
    start = time.process_time()
    recounted = service.catch_up_reports()  # what the next report's reader does first
    catch_up = (time.process_time() - start) / max(recounted, 1)
    # The tickets changed without the hook are brought in step again.
    from deskterm.store.service.report_rollup import record_tickets

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    ids = [
        int(r[0])
        for r in conn.execute(
            f"SELECT id FROM ticket WHERE number IN ({','.join('?' * len(numbers))})", numbers
        )
    ]
    record_tickets(conn, ids)
    conn.execute("COMMIT")
    conn.close()
    store.close()
    return ChangeCost(
        statistics.median(cpu[True]), statistics.median(cpu[False]),
        statistics.mean(pages[True]), statistics.mean(pages[False]), catch_up,
    )  # fmt: skip


def _raw_change(db: Path) -> tuple[float, float]:
    """A status change and its event in plain SQL on a raw connection: CPU, pages."""
    conn = sqlite3.connect(db, isolation_level=None)
    ids = [
        int(r[0])
        for r in conn.execute("SELECT id FROM ticket WHERE status = 'open' ORDER BY id LIMIT 40")
    ]
    wal = _Wal(db)
    cpu, pages = [], []
    for ticket_id in ids:
        for old, new in (("open", "solved"), ("solved", "open")):
            wal.empty()
            start = time.process_time()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE ticket SET status = ? WHERE id = ?", (new, ticket_id))
            conn.execute(
                "INSERT INTO event (ticket_id, kind, old, new, created_at, actor)"
                " VALUES (?, 'status', ?, ?, '2026-01-01 00:00:00.000000', 'bench')",
                (ticket_id, old, new),
            )
            conn.execute("COMMIT")
            cpu.append(time.process_time() - start)
            pages.append(wal.pages())
    conn.execute(  # back as it was: each ticket is open again, its rollups still true
        "DELETE FROM event WHERE actor = 'bench' AND created_at = '2026-01-01 00:00:00.000000'"
    )
    wal.close()
    conn.close()
    return statistics.median(cpu), statistics.mean(pages)


async def _screen_paint(db: Path) -> tuple[list[float], list[float]]:
    """Seconds from `R` on the queue to the reports screen's first frame (its loading
    state), and to the frame with the 30-day KPIs; then back to the queue, RUNS times.
    The first press comes after the app's background imports (a second after start)."""
    from bench.app_bench import FrameProbe, queue_painted
    from deskterm.app import DesktermApp
    from deskterm.config import AgentConfig, Config
    from deskterm.screens.reports import ReportsScreen

    first: list[float] = []
    full: list[float] = []
    app = DesktermApp(db, Config(agent=AgentConfig(email="me@deskterm.demo")))
    async with app.run_test(size=(160, 48)):
        probe = FrameProbe(app)
        await probe.wait(lambda: queue_painted(app, rows=False))
        # As an agent finds it: the screens the app imports once the queue is up are in.
        await app.workers.wait_for_complete([w for w in app.workers if w.group == "warm-up"])
        for _ in range(RUNS):

            def shown() -> bool:
                return isinstance(app.screen, ReportsScreen)

            def loaded() -> bool:
                return shown() and not app.screen.has_class("-loading")

            began = time.perf_counter()
            painted = asyncio.ensure_future(probe.wait(loaded))
            first.append(await probe.key("R", shown))
            full.append(await painted - began)
            await probe.key("escape", lambda: queue_painted(app, rows=False))
        await app.workers.wait_for_complete()
    return first, full


def _in_process(db: Path, period: Period) -> float:
    """`build_report` of the same period in this process: what the worker waits for."""
    from deskterm.store.queries.reports import build_report
    from deskterm.store.schema.db import open_store

    store = open_store(db)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        build_report(store, period)
        samples.append(time.perf_counter() - start)
    store.close()
    return statistics.median(samples)


def run(ctx: Context, only: str | None) -> list[Figure]:
    db, figures = _copy(ctx)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tickets = int(conn.execute("SELECT count(*) FROM ticket").fetchone()[0])
    first = conn.execute("SELECT min(day) FROM report_count").fetchone()[0]
    conn.close()
    today = datetime.now(UTC).date()
    size = f"{tickets:,} tickets"
    month = _process(db, "--since", "30d")
    month_raw = _raw(db, today - timedelta(days=29), today)
    everything = _process(db, "--since", "all")
    everything_raw = _raw(db, None, today)
    paints, painted = asyncio.run(_screen_paint(db))
    read = _in_process(db, Period(today - timedelta(days=29), today))
    solve = _change_cost(db, "solve")
    raw_cpu, raw_pages = _raw_change(db)
    pending = _change_cost(db, "pending")
    neutral = _change_cost(db, "priority")
    figures += [
        Figure("report", "R to reports screen first paint", statistics.median(paints), "s",
               size, goal=f"<= {GOAL_PAINT_S * 1000:.0f} ms",
               ok=statistics.median(paints) <= GOAL_PAINT_S,
               extra=f"(loading state; max {max(paints) * 1000:.0f} ms over {RUNS})"),
        Figure("report", "R to 30-day KPIs painted", statistics.median(painted), "s", size, read,
               extra="(raw: build_report of the same period in-process)"),
        Figure("report", "30-day report (new process)", month, "s", size, month_raw,
               f"<= {GOAL_30D_S:.0f} s", month <= GOAL_30D_S,
               extra="(raw: bare SQL, calendar time only, in-process)"),
        Figure("report", "all-time report (new process)", everything, "s",
               f"{size}, since day {first}", everything_raw, f"<= {GOAL_ALL_S:.0f} s",
               everything <= GOAL_ALL_S),
        Figure("report", "a solve or reopen, rollup hook (CPU)", solve.cpu, "s", size,
               solve.cpu_without, "<= 1.1x raw", solve.added <= GOAL_CHANGE,
               extra=f"({solve.added:+.0%}; counted; raw: the same change without the hook;"
               f" plain SQL UPDATE + event {raw_cpu * 1000:.2f} ms)"),
        Figure("report", "a solve or reopen, pages written", solve.pages, "pages", size,
               solve.pages_without,
               extra=f"(raw: without the hook; plain SQL UPDATE + event {raw_pages:.1f})"),
        Figure("report", "catch-up before a report, per ticket", solve.catch_up, "s", size,
               extra="(the recount a counted change leaves to the next reader)"),
        Figure("report", "open <-> pending, rollup hook (CPU)", pending.cpu, "s", size,
               pending.cpu_without, "<= 1.1x raw", pending.added <= GOAL_CHANGE,
               extra=f"({pending.added:+.0%}; report-neutral: the hook skips it)"),
        Figure("report", "a priority change, rollup hook (CPU)", neutral.cpu, "s", size,
               neutral.cpu_without, "<= 1.1x raw", neutral.added <= GOAL_CHANGE,
               extra=f"({neutral.added:+.0%}; report-neutral: the hook skips it)"),
    ]  # fmt: skip
    return figures
