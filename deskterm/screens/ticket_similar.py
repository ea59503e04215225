"""The ticket screen's assist: similar tickets in the side pane, routing chips under the head.

Both come from one `suggest` read in a worker after the thread is painted. Every
ticket opened also asks (one index range, cheap at any size) whether the assist
model beside the store is due (missing, or enough tickets solved since it was
trained), and if so trains it in a child process, one training per store at a
time: a desk left open all day keeps learning.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from deskterm import keys
from deskterm.screens.ticket_actions import TicketActions
from deskterm.store.queries.suggest import RouteSuggestion, Suggestions, suggest
from deskterm.widgets.similar_pane import SimilarPane

SIMILAR_SHOWN = 5
_training: set[str] = set()  # stores whose model this process is training now


class SimilarSide(TicketActions):
    """`i` shows or hides solved tickets like this one; `y` accepts the routing chips, a
    digit the chip it numbers."""

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
        store = self.desk.open_store_or_fail()
        found = suggest(store, number)
        self.post_message(self.SuggestionsRead(number, found))
        from deskterm.store.assist_model import model_due

        if store.url is None and str(store.path) not in _training and model_due(store):
            _training.add(str(store.path))
            self._refresh_model(store.path)

    @work(thread=True, exit_on_error=False, group="assist-model")
    def _refresh_model(self, path: Path) -> None:
        from deskterm.store.assist_model import train_in_child

        try:
            train_in_child(path)
        finally:
            _training.discard(str(path))

    async def on_ticket_screen_suggestions_read(self, event: SuggestionsRead) -> None:
        if self.detail is None or event.number != self.detail.ticket.number:
            return  # the agent moved on
        found = event.suggestions
        self.similar.show(list(found.similar[:SIMILAR_SHOWN]), found.too_little_history)
        self.routing = found.routing
        row = self.query_one("#ticket-suggest", Horizontal)
        await row.remove_children()
        chips = [
            Static(_chip(i, r), classes="suggest-chip", markup=False)
            for i, r in enumerate(found.routing)
        ]
        if chips:
            chips.append(Static("y accepts all", classes="suggest-hint", markup=False))
        elif found.too_little_history is not None:
            chips.append(Static(found.too_little_history, classes="suggest-hint", markup=False))
        await row.mount_all(chips)
        row.display = bool(chips)
        self.refresh_bindings()

    def action_accept_suggestions(self) -> None:
        self._accept(self.routing)

    def action_accept_suggestion(self, index: int) -> None:
        if index >= len(self.routing):
            self.notify(f"no suggestion {index + 1} on this ticket", markup=False)
            return
        self._accept((self.routing[index],))

    def _accept(self, chosen: tuple[RouteSuggestion, ...]) -> None:
        """One audited change for the chosen chips (the ticket reloads, its chips with it)."""
        if not chosen:
            self.notify("nothing suggested for this ticket", markup=False)
            return
        change: dict[str, object] = {"add_tags": [r.value for r in chosen if r.field == "tag"]}
        for r in chosen:
            if r.field != "tag":
                change[r.field] = r.value
        what = "accepted " + ", ".join(r.label for r in chosen)
        if chosen == self.routing:
            self.routing = ()
        self._write_fields(self.number, what, change)


def _chip(index: int, r: RouteSuggestion) -> str:
    """`1 +tag refund 92%`, and for priority the words that weighed: `(urgent: is down)`."""
    key = f"{index + 1} " if index < keys.CHIP_KEYS else ""
    words = f" ({', '.join(r.words)})" if r.words else ""
    return f"{key}{r.label} {r.confidence:.0%}{words}"
