"""`G` shows the last rows before the list is counted, and the count moves no row on screen.

A common word's count is O(matches) (1.4 s of CPU for `thanks` at 1M tickets);
the bottom page used to wait for it. The list here is answered from a real store
by the same query the queue runs, page by page, and the count comes when the
test says so.
"""

from __future__ import annotations

from pathlib import Path

from helpers.app import NOW, screen_text, seed_bulk, wait_until
from textual.app import App, ComposeResult

from deskterm.query.syntax import parse_query
from deskterm.store.queries.tickets import count_tickets, list_tickets
from deskterm.store.schema.db import Store, open_store
from deskterm.store.search.filters import QueryContext
from deskterm.widgets.ticket_list import TicketList

TICKETS = 300
PAGE = 20
QUERY = parse_query("status:new,open")


class ListOnly(App[None]):
    """The ticket list alone, its pages answered at once from the store."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.ctx = QueryContext(None, NOW)

    def compose(self) -> ComposeResult:
        yield TicketList(page_size=PAGE, now=NOW, id="tickets")

    def on_mount(self) -> None:
        self.query_one(TicketList).reset()

    def on_ticket_list_page_requested(self, event: TicketList.PageRequested) -> None:
        page = list_tickets(
            self.store,
            QUERY,
            self.ctx,
            after=event.after,
            limit=PAGE,
            reverse=event.from_bottom,
        )
        self.query_one(TicketList).add_page(event.generation, event.page, page)


async def test_G_before_the_count_then_the_count(tmp_path: Path) -> None:
    store = open_store(seed_bulk(tmp_path / "desk.db", TICKETS))
    app = ListOnly(store)
    async with app.run_test(size=(100, 30)) as pilot:
        listed = app.query_one(TicketList)
        await wait_until(pilot, lambda: listed.loaded_once)
        assert listed.total is None  # not counted: the screen has not said

        listed.to_bottom()
        await wait_until(pilot, lambda: listed.current_row is not None)
        last = listed.current_row
        assert last is not None and last.number == TICKETS  # the oldest, at once
        assert listed.cursor == listed.row_count - 1
        assert listed.row_count < TICKETS  # the rows walked, not a count

        # Walking up loads pages above and the list grows; the cursor's ticket stays.
        for _ in range(4 * PAGE):
            listed.move(-1)
            await pilot.pause()
        await wait_until(pilot, lambda: listed.current_row is not None)
        held = listed.current_row
        assert held is not None and held.number == TICKETS - 4 * PAGE
        grown = listed.row_count
        assert grown < TICKETS

        listed.total = count_tickets(store, QUERY, QueryContext(None, NOW))
        await pilot.pause()
        assert listed.row_count == TICKETS
        assert listed.current_row == held  # same ticket, its index moved by the count
        assert listed.cursor == TICKETS - 1 - 4 * PAGE
        assert f"{listed.cursor + 1:,} of {TICKETS:,}" in screen_text(app)  # type: ignore[arg-type]  # any App renders the same way
        assert held.subject in screen_text(app)  # type: ignore[arg-type]  # any App renders the same way
        listed.move_to(0)
        await wait_until(pilot, lambda: listed.current_row is not None)
        assert listed.current_row.number == 1
    store.close()
