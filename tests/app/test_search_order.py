"""A search's first page is read before its count, not beside it.

A count is O(matches) (1.4 s of CPU for `thanks` at 1M tickets) and, run at the
same time, slowed the rows the agent waits for.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from helpers.app import make_app, screen_text, search_for, seeded_copy, settle

from deskterm.screens import queue as queue_module
from deskterm.store.queries import tickets as ticket_queries
from deskterm.store.queries.records import TicketPage


async def test_the_count_starts_once_the_first_page_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    listing, counting = ticket_queries.list_tickets, ticket_queries.count_tickets

    def list_tickets(*args: Any, **kwargs: Any) -> TicketPage:
        page = listing(*args, **kwargs)
        calls.append("page")
        return page

    def count_tickets(*args: Any, **kwargs: Any) -> int:
        calls.append("count")
        return counting(*args, **kwargs)

    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(queue_module, "list_tickets", list_tickets)
        monkeypatch.setattr(queue_module, "count_tickets", count_tickets)
        await search_for(app, pilot, "refund")
        assert calls[0] == "page" and "count" in calls
        line = next(x for x in screen_text(app).splitlines() if "/ refund" in x)
        assert re.search(r"\b[1-9]\d* match", line), line  # and the count came
