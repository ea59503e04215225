"""The ticket screen's similar-tickets pane: read in a worker when shown, per ticket."""

from __future__ import annotations

from textual import work
from textual.message import Message

from deskterm.screens.ticket_actions import TicketActions
from deskterm.store.queries.similar import SimilarTicket, list_similar
from deskterm.widgets.similar_pane import SimilarPane


class SimilarSide(TicketActions):
    """`i` shows or hides solved tickets like this one; they follow `]`/`[` while shown."""

    class SimilarRead(Message, namespace="ticket_screen"):
        def __init__(self, number: int, rows: list[SimilarTicket]) -> None:
            super().__init__()
            self.number = number
            self.rows = rows

    @property
    def similar(self) -> SimilarPane:
        return self.query_one(SimilarPane)

    def action_toggle_similar(self) -> None:
        pane = self.similar
        pane.display = not pane.display
        if pane.display:
            self.read_similar()

    def read_similar(self) -> None:
        """Read this ticket's similar tickets if the pane is shown (after a ticket change)."""
        if self.similar.display and self.detail is not None:
            self.similar.show(None)
            self._fetch_similar(self.detail.ticket.number)

    @work(thread=True, exit_on_error=False, exclusive=True, group="similar")
    def _fetch_similar(self, number: int) -> None:
        rows = list_similar(self.desk.open_store_or_fail(), number)
        self.post_message(self.SimilarRead(number, rows))

    def on_ticket_screen_similar_read(self, event: SimilarRead) -> None:
        if self.detail is not None and event.number == self.detail.ticket.number:
            self.similar.show(event.rows)
