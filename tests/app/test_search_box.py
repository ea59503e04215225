"""Enter in the search box reads the search's first page before the box closes.

Closing the box lays out and paints the whole queue; a page asked for as it closed
started after that frame and came in a second one. Read first, the box closes onto
the rows: one frame of the queue, not two to four.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.app import make_app, search_for, seeded_copy, settle

from deskterm.screens import queue as queue_module
from deskterm.screens.search_box import SearchBox
from deskterm.store.queries import tickets as ticket_queries
from deskterm.store.queries.records import TicketPage
from deskterm.widgets.ticket_list import TicketList


async def test_the_first_page_is_read_while_the_box_is_open_and_shown_as_it_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = ticket_queries.list_tickets
    reads: list[tuple[bool, bool]] = []  # (box open, first page) per page read

    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)

        def list_tickets(*args: Any, **kwargs: Any) -> TicketPage:
            reads.append((isinstance(app.screen, SearchBox), kwargs.get("after") is None))
            return listing(*args, **kwargs)

        monkeypatch.setattr(queue_module, "list_tickets", list_tickets)
        listed = app.screen.query_one(TicketList)
        before = listed.generation
        await search_for(app, pilot, "refund")
        assert not isinstance(app.screen, SearchBox)
        assert reads[0] == (True, True)  # read before the box closed
        assert [r for r in reads if r[1]] == [(True, True)]  # and not asked again
        assert listed.generation == before + 1 and listed.loaded_once
        queue = app.screen
        store, ctx = queue.desk.open_store_or_fail(), queue.desk.query_context()  # type: ignore[attr-defined]  # the queue
        found = listing(store, queue.current_query, ctx).rows  # type: ignore[attr-defined]
        assert found and [listed.row_at(i) for i in range(len(found))] == list(found)


async def test_a_query_that_does_not_parse_says_why_and_changes_nothing(tmp_path: Path) -> None:
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        listed = app.screen.query_one(TicketList)
        before = listed.generation
        await search_for(app, pilot, "status:nosuchstatus")
        assert not isinstance(app.screen, SearchBox)
        assert listed.generation == before
        assert any("status" in str(n.message) for n in app._notifications)
