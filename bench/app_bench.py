"""The agent app, headless, on the bench store: start, moving, paging, a long ticket, memory.

Latencies are key press to painted frame: the bench hands a real `Key` event to
the app's driver and stops the clock when the screen's compositor has rendered
a frame that shows the result (the cursor on the new row, its data loaded, the
thread on screen). Pilot's `press` is not used for timing: it sleeps in 1/60 s
steps while it waits for the process to look idle, which would be measured as
latency. The frame is rendered exactly as on a terminal; only the final write
to the (headless) terminal is skipped.

`--profile` style use: `python -m bench.app_bench DB` prints pyinstrument
profiles of the same steps (pyinstrument is a local tool, not a dependency).
"""

from __future__ import annotations

import asyncio
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Context, Figure

NAMES = ("app",)
PRESSES = 40
LONG_THREAD = 200
START_GOAL_S = 1.0
FRAME_GOAL_S = 0.016
OPEN_GOAL_S = 0.1
RSS_GOAL_MB = 250
# Searches typed in the All open view: words common to rare, prefixes, fields.
SEARCHES = (
    "refund",
    "thanks",
    "pleas*",
    "tag:billing",
    "customer:acme",
    "status:new priority:urgent refund",
    "nosuchwordanywhere",
)
COUNTED_LATE = "thanks"  # in most tickets: its exact count takes the longest

_START_SCRIPT = """
import time, sys, asyncio
began = time.perf_counter()
from pathlib import Path
from deskterm.app import DesktermApp
from deskterm.config import AgentConfig, Config
from bench.app_bench import FrameProbe, queue_painted

async def main():
    app = DesktermApp(Path(sys.argv[1]), Config(agent=AgentConfig(email="me@deskterm.demo")))
    async with app.run_test(size=(160, 48)):
        probe = FrameProbe(app)
        first = await probe.wait(lambda: True)
        await probe.wait(lambda: queue_painted(app))
        print(first - began, time.perf_counter() - began)
        app.exit()

asyncio.run(main())
"""


class FrameProbe:
    """Records every frame the app renders; `wait(cond)` returns when one shows `cond`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now = time.perf_counter()
            for item in list(self._waiters):
                cond, future = item
                if not future.done() and cond():
                    future.set_result(now)
                    self._waiters.remove(item)

        app._display = display

    async def wait(self, cond: Callable[[], bool], timeout: float = 60.0) -> float:
        """The time of the first frame, from now on, rendered while `cond()` holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((cond, future))
        self.app.screen.refresh()  # make sure some frame comes even if nothing is dirty
        return await asyncio.wait_for(future, timeout)

    async def key(self, key: str, cond: Callable[[], bool]) -> float:
        """Seconds from handing `key` to the driver to the first frame showing `cond()`."""
        from textual import events

        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((cond, future))
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(self.app)
        began = time.perf_counter()
        self.app._driver.send_message(event)
        return await asyncio.wait_for(future, 30.0) - began


def queue_painted(app: Any, *, rows: bool = True) -> bool:
    """The queue is on screen with its first page (of rows, unless the view is empty)."""
    from deskterm.screens.queue import QueueScreen
    from deskterm.widgets.ticket_list import TicketList

    screen = app.screen
    if not isinstance(screen, QueueScreen):
        return False
    listed = screen.query_one(TicketList)
    return listed.loaded_once and (listed.current_row is not None or not rows)


def _visible_loaded(listed: Any) -> bool:
    top = int(listed.scroll_y)
    height = listed.scrollable_content_region.height - 1
    last = min(listed.row_count, top + height)
    return all(listed.row_at(i) is not None for i in range(top, last))


def build_long_ticket(folder: Path, messages: int = LONG_THREAD) -> tuple[Path, int]:
    """A small store with one ticket of `messages` messages (the bench store has none that long)."""
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    path = folder / "long.db"
    store = open_store(path, create=True)
    base = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    service = Service(store, Actor.system(), clock=lambda: base)
    me = service.ensure_agent("Me Agent", "me@deskterm.demo", role="admin")
    agent = Service(store, Actor(me, "Me Agent"), clock=lambda: base)
    body = (
        "Hello,\n\nthe export still fails when the file has more than 10,000 rows. "
        "I attached the log.\n\nThanks,\nAna\n\nOn Mon, Support wrote:\n> Could you try again?\n"
    )
    created = agent.create_ticket(
        "Export fails on big files", body, "ana@acme.example", "Ana Silva", when=base
    )
    for i in range(1, messages):
        when = base + timedelta(minutes=30 * i)
        if i % 2:
            agent.add_reply(created.number, f"Reply {i}: we are looking into it.", when=when)
        else:
            agent.add_customer_message(created.number, f"Message {i}\n\n" + body, when=when)
    store.close()
    return path, created.number


async def _measure_queue(db: Path) -> dict[str, float]:
    from deskterm.app import DesktermApp
    from deskterm.config import AgentConfig, Config
    from deskterm.widgets.ticket_list import TicketList

    out: dict[str, float] = {}
    config = Config(agent=AgentConfig(email="me@deskterm.demo"))
    began = time.perf_counter()
    app = DesktermApp(db, config)
    async with app.run_test(size=(160, 48)) as pilot:
        probe = FrameProbe(app)
        out["start_in_process_s"] = await probe.wait(lambda: queue_painted(app)) - began
        await pilot.press("3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        listed = app.screen.query_one(TicketList)

        moves: list[float] = []
        for _ in range(PRESSES):
            want = listed.cursor + 1
            moves.append(await probe.key("j", lambda w=want: listed.cursor == w))  # type: ignore[misc]  # default pins w
            await asyncio.sleep(0.02)  # an agent's key repeat, not a burst
        out["key_move_median_s"] = statistics.median(moves)
        out["key_move_max_s"] = max(moves)
        pages: list[float] = []
        down = True
        for _ in range(PRESSES):
            before = listed.cursor
            # A small store's view ends before 40 pages: turn back up at its last row.
            down = down and (listed.has_more or before < listed.row_count - 1)
            down = down or before == 0
            pages.append(
                await probe.key(
                    "pagedown" if down else "pageup",
                    lambda b=before, d=down: (
                        (listed.cursor > b if d else listed.cursor < b)  # type: ignore[misc]  # defaults pin b, d
                        and _visible_loaded(listed)
                    ),
                )
            )
            await asyncio.sleep(0.05)
        out["key_page_median_s"] = statistics.median(pages)
        out["key_page_max_s"] = max(pages)
        out["cursor_rows"] = listed.cursor
        out["cached_rows"] = listed.cached_rows
        end = await probe.key("G", lambda: not listed.has_more and _visible_loaded(listed))
        out["key_bottom_s"] = end
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        await app.workers.wait_for_complete()
    return out


async def _measure_searches(db: Path) -> dict[str, float]:
    """Enter in the search box to its first page painted, per search; then `G` and a view
    switch to the new view's first page painted; and the process's peak RSS after."""
    from deskterm.app import DesktermApp
    from deskterm.config import AgentConfig, Config
    from deskterm.widgets.ticket_list import TicketList

    out: dict[str, float] = {}
    app = DesktermApp(db, Config(agent=AgentConfig(email="me@deskterm.demo")))
    async with app.run_test(size=(160, 48)) as pilot:
        probe = FrameProbe(app)
        await probe.wait(lambda: queue_painted(app, rows=False))
        await pilot.press("3")
        await probe.wait(lambda: queue_painted(app))
        queue = app.screen
        listed = queue.query_one(TicketList)

        def fresh(generation: int) -> bool:
            return (
                app.screen is queue
                and listed.generation > generation
                and listed.loaded_once
                and _visible_loaded(listed)
            )

        for text in SEARCHES:
            await pilot.press("slash")
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.screen.query_one("#search-input").value = text
            out[text] = await probe.key("enter", lambda g=listed.generation: fresh(g))  # type: ignore[misc]  # default pins g
            await app.workers.wait_for_complete()  # the counts, before the next search
            await pilot.pause()
        # G at once after a common word: its count (O(matches)) is still running.
        await pilot.press("slash")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#search-input").value = COUNTED_LATE
        await probe.key("enter", lambda g=listed.generation: fresh(g))  # type: ignore[misc]  # default pins g
        out[f"{COUNTED_LATE}, then G at once"] = await probe.key(
            "G",
            lambda: (
                listed.current_row is not None
                and listed.cursor == listed.row_count - 1
                and not listed.has_more
                and _visible_loaded(listed)
            ),
        )
        await app.workers.wait_for_complete()
        await probe.key("escape", lambda g=listed.generation: fresh(g))  # type: ignore[misc]  # default pins g
        await app.workers.wait_for_complete()
        await probe.key("G", lambda: not listed.has_more and _visible_loaded(listed))
        await app.workers.wait_for_complete()
        out["G, then view 2"] = await probe.key(
            "2",
            lambda g=listed.generation: fresh(g) and listed.cursor == 0,  # type: ignore[misc]  # default pins g
        )
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.update(_resident())
        await app.workers.wait_for_complete()
    return out


def _resident() -> dict[str, float]:
    """Resident memory now, split (Linux): anonymous (the heap, SQLite's page caches)
    and file pages (the store's memory map, shared with the OS cache)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return {}
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile")}


async def _measure_ticket(db: Path, number: int) -> list[float]:
    """Enter on the queue's row to the first frame showing the ticket's thread, 5 times.

    The first open also builds the ticket screen; later ones reuse it.
    """
    from deskterm.app import DesktermApp
    from deskterm.config import AgentConfig, Config
    from deskterm.screens.ticket import TicketScreen

    app = DesktermApp(db, Config(agent=AgentConfig(email="me@deskterm.demo")))
    samples = []
    async with app.run_test(size=(160, 48)) as pilot:
        probe = FrameProbe(app)
        await probe.wait(lambda: queue_painted(app, rows=False))
        await pilot.press("3")  # All open: the long ticket is its only row
        await probe.wait(lambda: queue_painted(app))

        def shown() -> bool:
            screen = app.screen
            return (
                isinstance(screen, TicketScreen)
                and screen.detail is not None
                and screen.detail.ticket.number == number
                and screen.thread.line_count > 0
            )

        for _ in range(5):
            samples.append(await probe.key("enter", shown))
            await pilot.pause()
            await probe.key("escape", lambda: queue_painted(app))
            await pilot.pause()
    return samples


def _start_subprocess(db: Path) -> tuple[float, float, float]:
    """(first frame, queue with rows) from the child's start, and the parent's wall time."""
    root = Path(__file__).resolve().parent.parent
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _START_SCRIPT, str(db)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    wall = time.perf_counter() - began
    first, queue = (float(x) for x in done.stdout.split())
    return first, queue, wall


def _ticket_count(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM ticket").fetchone()[0])
    finally:
        conn.close()


def run(ctx: Context, only: str | None) -> list[Figure]:
    size = f"{_ticket_count(ctx.db):,} tickets"
    starts = [_start_subprocess(ctx.db) for _ in range(3)]
    first = statistics.median(s[0] for s in starts)
    queue = statistics.median(s[1] for s in starts)
    wall = statistics.median(s[2] for s in starts)
    got = asyncio.run(_measure_queue(ctx.db))
    with tempfile.TemporaryDirectory() as folder:
        long_db, number = build_long_ticket(Path(folder))
        opens = asyncio.run(_measure_ticket(long_db, number))
    opened = statistics.median(opens)
    searched = asyncio.run(_measure_searches(ctx.db))
    rss = max(got["rss_mb"], searched.pop("rss_mb"))
    split = {key: searched.pop(key) for key in ("RssAnon", "RssFile") if key in searched}
    parts = ", ".join(f"{key[3:].lower()} {mb:,.0f} MB" for key, mb in split.items())
    keys = [got["key_move_median_s"], got["key_page_median_s"], got["key_bottom_s"]]
    keys += searched.values()
    searches = [
        Figure("app", f"{label[:22]}: rows painted", took, "s", size,
               extra="enter in the search box" if label in SEARCHES else _what(label))
        for label, took in searched.items()
    ]  # fmt: skip
    return [
        *searches,
        Figure(
            "app",
            "median key: moves, pages, G, searches",
            statistics.median(keys),
            "s",
            size,
            goal=f"<= {FRAME_GOAL_S * 1000:.0f} ms",
            ok=statistics.median(keys) <= FRAME_GOAL_S,
            extra=f"max {max(keys) * 1000:.1f} ms over {len(keys)} kinds of key",
        ),
        Figure(
            "app",
            "start to first painted frame",
            first,
            "s",
            size,
            goal=f"<= {START_GOAL_S} s",
            ok=first <= START_GOAL_S,
            extra="process start, imports included (median of 3)",
        ),
        Figure(
            "app",
            "start to queue painted with rows",
            queue,
            "s",
            size,
            goal=f"<= {START_GOAL_S} s",
            ok=queue <= START_GOAL_S,
            extra=f"interpreter + exit: {wall:.2f} s wall",
        ),
        Figure(
            "app",
            "j to repainted list (median)",
            got["key_move_median_s"],
            "s",
            size,
            goal=f"<= {FRAME_GOAL_S * 1000:.0f} ms",
            ok=got["key_move_median_s"] <= FRAME_GOAL_S,
            extra=f"max {got['key_move_max_s'] * 1000:.1f} ms over {PRESSES}",
        ),
        Figure(
            "app",
            "pagedown to repainted list (median)",
            got["key_page_median_s"],
            "s",
            size,
            goal=f"<= {FRAME_GOAL_S * 1000:.0f} ms",
            ok=got["key_page_median_s"] <= FRAME_GOAL_S,
            extra=(
                f"max {got['key_page_max_s'] * 1000:.1f} ms; row {int(got['cursor_rows']):,},"
                f" rows held {int(got['cached_rows'])}"
            ),
        ),
        Figure("app", "G to the true last row painted", got["key_bottom_s"], "s", size),
        Figure(
            "app",
            "open a ticket: thread painted (median)",
            opened,
            "s",
            f"{LONG_THREAD} messages",
            goal=f"<= {OPEN_GOAL_S * 1000:.0f} ms",
            ok=opened <= OPEN_GOAL_S,
            extra=f"enter on the queue row; the first open (builds the screen) "
            f"{opens[0] * 1000:.0f} ms",
        ),
        Figure(
            "app",
            "resident memory (max RSS)",
            rss,
            "MB",
            size,
            goal=f"<= {RSS_GOAL_MB} MB",
            ok=rss <= RSS_GOAL_MB,
            extra=f"at the end: {parts}" if parts else "",
        ),
    ]


def _what(label: str) -> str:
    if label.startswith(COUNTED_LATE):
        return "G pressed as the first page shows, before the count"
    return "first page of view 2"


def _profile(db: Path) -> None:
    """Profiles of the queue steps and of opening a long ticket (local use)."""
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled", interval=0.0005)
    profiler.start()
    print(asyncio.run(_measure_queue(db)))
    with tempfile.TemporaryDirectory() as folder:
        long_db, number = build_long_ticket(Path(folder))
        print("open", asyncio.run(_measure_ticket(long_db, number)))
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    _profile(Path(sys.argv[1]))
