"""The queue stays bounded on a big store: it never builds rows for the whole list."""

from __future__ import annotations

from pathlib import Path

from app_helpers import make_app, seed_bulk

from deskterm.widgets import ticket_list as ticket_list_module
from deskterm.widgets.ticket_list import TicketList

TICKETS = 20_000


async def test_queue_holds_a_bounded_window(tmp_path: Path) -> None:
    path = seed_bulk(tmp_path / "big.db", TICKETS)
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("3")  # All open: every ticket
        await app.workers.wait_for_complete()
        await pilot.pause()
        listed = app.screen.query_one(TicketList)
        page = listed.page_size
        bound = ticket_list_module.MAX_PAGES * page
        assert listed.row_at(0) is not None and listed.row_at(0).number == 1  # type: ignore[union-attr]
        assert listed.cached_rows <= 2 * page  # first page (+ the one prefetched)

        for _ in range(25):  # walk far down with page-down: pages load and get evicted
            await pilot.press("pagedown")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert listed.cached_rows <= bound
        assert listed.cursor > 25 * 30
        row = listed.current_row
        assert row is not None and row.number == listed.cursor + 1
        # one widget for the whole list, never one per ticket
        assert len(list(app.screen.query("*"))) < 30

        await pilot.press("g", "g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert listed.cursor == 0
        assert listed.current_row is not None and listed.current_row.number == 1
        assert listed.cached_rows <= bound

        await pilot.press("G")  # the true last row at once, from the bottom (no page walk)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert listed.cursor == TICKETS - 1
        assert listed.current_row is not None and listed.current_row.number == TICKETS
        assert listed.cached_rows <= 4 * page
        await pilot.press("k")
        await pilot.pause()
        assert listed.current_row is not None and listed.current_row.number == TICKETS - 1
