"""The ticket screen's assist: similar tickets in the side pane, routing chips under the head.

Both come from one `suggest` read in a worker after the thread is painted.
"""

from __future__ import annotations

from textual import work
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from deskterm.screens.ticket_actions import TicketActions
from deskterm.store.queries.suggest import RouteSuggestion, Suggestions, suggest
from deskterm.widgets.similar_pane import SimilarPane

SIMILAR_SHOWN = 5


class SimilarSide(TicketActions):
    """`i` shows or hides solved tickets like this one; `y` accepts the routing chips."""

    routing: tuple[RouteSuggestion, ...] = ()

    class SuggestionsRead(Message, namespace="ticket_screen"):
        def __init__(self, number: int, suggestions: Suggestions) -> None:
            super().__init__()
            self.number = number
            self.suggestions = suggestions

    @property
    def similar(self) -> SimilarPane:
        return self.query_one(SimilarPane)

    def action_toggle_similar(self) -> None:
        pane = self.similar
        pane.display = not pane.display
        if pane.display:
            self.read_assist()

    def read_assist(self) -> None:
        """Read this ticket's suggestions (after it is shown or changed)."""
        if self.detail is None:
            return
        if self.similar.display:
            self.similar.show(None)
        self._fetch_assist(self.detail.ticket.number)

    @work(thread=True, exit_on_error=False, exclusive=True, group="assist")
    def _fetch_assist(self, number: int) -> None:
        found = suggest(self.desk.open_store_or_fail(), number)
        self.post_message(self.SuggestionsRead(number, found))

    async def on_ticket_screen_suggestions_read(self, event: SuggestionsRead) -> None:
        if self.detail is None or event.number != self.detail.ticket.number:
            return  # the agent moved on
        found = event.suggestions
        self.similar.show(list(found.similar[:SIMILAR_SHOWN]))
        self.routing = found.routing
        row = self.query_one("#ticket-suggest", Horizontal)
        await row.remove_children()
        chips = [
            Static(f"{r.label} {r.confidence:.0%}", classes="suggest-chip", markup=False)
            for r in found.routing
        ]
        if chips:
            chips.append(Static("y accepts", classes="suggest-hint", markup=False))
        await row.mount_all(chips)
        row.display = bool(chips)
        self.refresh_bindings()

    def action_accept_suggestions(self) -> None:
        if not self.routing:
            self.notify("nothing suggested for this ticket", markup=False)
            return
        change: dict[str, object] = {
            "add_tags": [r.value for r in self.routing if r.field == "tag"]
        }
        for r in self.routing:
            if r.field != "tag":
                change[r.field] = r.value
        what = "accepted " + ", ".join(r.label for r in self.routing)
        self.routing = ()
        self._write_fields(self.number, what, change)
