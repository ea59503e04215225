"""The queue stays bounded on a big store: it never builds rows for the whole list."""

from __future__ import annotations

from pathlib import Path

from helpers.app import make_app, screen_text, seed_bulk, settle
from textual import events

from deskterm.widgets import ticket_list as ticket_list_module
from deskterm.widgets.ticket_list import TicketList

TICKETS = 20_000


def placeholders(app) -> int:
    """Rows painted as "…": known to exist, not loaded yet."""
    return sum(1 for line in screen_text(app).splitlines() if line.strip() == "…")


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
        assert listed.row_at(0) is not None and listed.row_at(0).number == 1  # type: ignore[union-attr]  # checked not None first
        assert listed.cached_rows <= 2 * page  # first page (+ the one prefetched)

        for _ in range(4):  # no scrollbar is drawn (it cost frames), the wheel still scrolls
            listed.post_message(events.MouseScrollDown(listed, 5, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert listed.scroll_offset.y > 0

        # The scroll area runs ahead of the rows known (it grows in steps): scrolling
        # past them loads the pages on the way, one after another, and paints them.
        height = listed.virtual_size.height
        target = listed.row_count + 150
        assert target + 3 * listed.size.height < height  # still inside this step
        listed.scroll_to(y=target, animate=False)
        for _ in range(20):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert listed.scroll_offset.y == target and listed.virtual_size.height == height
        assert placeholders(app) == 0 and f"Bulk ticket {target + 1} " in screen_text(app)

        for _ in range(25):  # walk far down with page-down: pages load and get evicted
            await pilot.press("pagedown")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert listed.cached_rows <= bound
            assert placeholders(app) == 0  # every row on screen painted, none left at "…"
        assert listed.cursor > 25 * 30
        # No scrollbar is drawn: the header says where the cursor is, from the view's count.
        assert f"Subject   {listed.cursor + 1:,} of {TICKETS:,}" in screen_text(app)
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
        assert f"{TICKETS:,} of {TICKETS:,}" in screen_text(app)
        assert listed.current_row is not None and listed.current_row.number == TICKETS
        assert listed.cached_rows <= 4 * page
        await pilot.press("k")
        await pilot.pause()
        assert listed.current_row is not None and listed.current_row.number == TICKETS - 1


async def test_a_view_switch_after_G_starts_the_new_view_at_its_top(tmp_path: Path) -> None:
    """`G` anchors the list at its bottom; another view must not inherit the anchor
    (it walked the new view backwards page by page, 3.8-5.3 s and 1 GB at 1M)."""
    path = seed_bulk(tmp_path / "big.db", TICKETS)
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")  # All open: every ticket
        await settle(app, pilot)
        listed = app.screen.query_one(TicketList)
        await pilot.press("G")
        await settle(app, pilot)
        assert listed.current_row is not None and listed.current_row.number == TICKETS
        await pilot.press("2")  # Unassigned: the same tickets, another view
        for _ in range(2):  # two rounds of workers: the first page and its prefetch
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert listed.cursor == 0 and listed.has_more  # walking down from the top
        assert listed.current_row is not None and listed.current_row.number == 1
        assert listed.cached_rows <= 2 * listed.page_size
        assert placeholders(app) == 0
        assert f"1 of {TICKETS:,}" in screen_text(app)
