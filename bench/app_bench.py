"""The agent app, headless, on the bench store: start, moving, paging, a long ticket, memory.

Key figures are measured through Textual's Pilot (press + wait until idle), so
they include the pilot's own overhead (~20-60 ms a press): an upper bound of
what an agent feels.
"""

from __future__ import annotations

import asyncio
import resource
import sqlite3
import statistics
import time
from pathlib import Path

from bench.common import Context, Figure

NAMES = ("app",)
PRESSES = 40
START_GOAL_S = 1.0
KEY_GOAL_S = 0.1


def _longest_ticket(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT number, message_count FROM ticket ORDER BY message_count DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return int(row[0]), int(row[1])


async def _measure(db: Path) -> dict[str, float]:
    from deskterm.app import DesktermApp
    from deskterm.config import AgentConfig, Config
    from deskterm.screens.queue import QueueScreen
    from deskterm.screens.ticket import TicketScreen
    from deskterm.widgets.ticket_list import TicketList

    out: dict[str, float] = {}
    config = Config(agent=AgentConfig(email="me@deskterm.demo"))
    began = time.perf_counter()
    app = DesktermApp(db, config)
    async with app.run_test(size=(160, 48)) as pilot:
        while True:
            await pilot.pause()
            screen = app.screen
            if isinstance(screen, QueueScreen) and screen.query_one(TicketList).loaded_once:
                break
        await pilot.pause()
        out["start_to_queue_s"] = time.perf_counter() - began
        await pilot.press("3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        listed = app.screen.query_one(TicketList)

        moves: list[float] = []
        for _ in range(PRESSES):
            t = time.perf_counter()
            await pilot.press("j")
            moves.append(time.perf_counter() - t)
        out["key_move_median_s"] = statistics.median(moves)
        pages: list[float] = []
        for _ in range(PRESSES):
            t = time.perf_counter()
            await pilot.press("pagedown")
            while listed.current_row is None:
                await pilot.pause()
            pages.append(time.perf_counter() - t)
        out["key_page_median_s"] = statistics.median(pages)
        out["cached_rows"] = listed.cached_rows

        number, messages = _longest_ticket(db)
        out["long_ticket_messages"] = messages
        t = time.perf_counter()
        app.push_screen(TicketScreen(number))
        while True:
            await pilot.pause()
            screen = app.screen
            if isinstance(screen, TicketScreen) and screen.detail is not None:
                break
        await pilot.pause()
        out["open_long_ticket_s"] = time.perf_counter() - t
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        await app.workers.wait_for_complete()
    return out


def run(ctx: Context, only: str | None) -> list[Figure]:
    got = asyncio.run(_measure(ctx.db))
    size = f"{ctx.tickets} tickets"
    ticket_size = f"{int(got['long_ticket_messages'])} messages"
    return [
        Figure(
            "app",
            "start to painted queue",
            got["start_to_queue_s"],
            "s",
            size,
            goal=f"< {START_GOAL_S} s",
            ok=got["start_to_queue_s"] < START_GOAL_S,
        ),
        Figure(
            "app",
            "j to repainted list (median)",
            got["key_move_median_s"],
            "s",
            size,
            goal=f"< {KEY_GOAL_S} s",
            ok=got["key_move_median_s"] < KEY_GOAL_S,
        ),
        Figure(
            "app",
            "pagedown to repainted list (median)",
            got["key_page_median_s"],
            "s",
            size,
            goal=f"< {KEY_GOAL_S} s",
            ok=got["key_page_median_s"] < KEY_GOAL_S,
            extra=f"rows held {int(got['cached_rows'])}",
        ),
        Figure("app", "open the longest ticket", got["open_long_ticket_s"], "s", ticket_size),
        Figure("app", "resident memory (max RSS)", got["rss_mb"], "MB", size),
    ]
