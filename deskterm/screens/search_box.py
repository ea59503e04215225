"""The queue's search box: Enter reads the search's first page before the box closes.

Closing the box lays the whole queue out and paints it (a full frame, ~8 ms of the UI
thread at 160x48), and a page asked for as it closed waited for that frame before its
worker started; the rows then came in a second frame. Read first, the box closes onto
the rows in one frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.widgets import Input
from textual.worker import get_current_worker

from deskterm.screens.modals import TextModal
from deskterm.store.queries.records import TicketPage


class SearchBox(TextModal):
    """A `TextModal` whose Enter runs `read(text)` in a worker and closes when it is
    done; `first_page` holds what it read (None: nothing to show, the queue reads)."""

    def __init__(self, title: str, *, read: Callable[[str], TicketPage | None], **kw: Any) -> None:
        super().__init__(title, **kw)
        self._read = read
        self.first_page: TicketPage | None = None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # TextModal's handler (closing at once) is not run
        self._read_first(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read_first(self, text: str) -> None:
        page = self._read(text)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._close, text, page)

    def _close(self, text: str, page: TicketPage | None) -> None:
        if self.app.screen is self:  # not closed by escape meanwhile
            self.first_page = page
            self.dismiss(text)
