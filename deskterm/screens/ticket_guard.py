"""The send guard of the ticket screen: a reply stops if others wrote while it was written.

When the composer opens, a worker counts the ticket's messages from the customer and
from other agents; when a reply is sent, the sending worker counts again. More than
before: nothing is sent, the stop shows what arrived (the thread reloads with it),
and the send key, pressed again, sends as written (the new ones count as seen).
Peers only warn (Help Scout's traffic cop, Zendesk's collision badges); we stop.
"""

from __future__ import annotations

from textual import work
from textual.message import Message

from deskterm import keys
from deskterm.screens.ticket_similar import SimilarSide
from deskterm.store.queries.arrivals import Arrival, others_messages
from deskterm.store.schema.db import Store
from deskterm.widgets.send_guard import SendGuard


class GuardedSend(SimilarSide):
    """Holds how many others' messages the agent had when the composer opened."""

    seen_others: dict[int, int]

    class Counted(Message, namespace="ticket_screen"):
        def __init__(self, number: int, count: int) -> None:
            super().__init__()
            self.number = number
            self.count = count

    class SendStopped(Message, namespace="ticket_screen"):
        def __init__(self, number: int, arrived: list[Arrival], count: int) -> None:
            super().__init__()
            self.number = number
            self.arrived = arrived
            self.count = count

    @property
    def send_guard(self) -> SendGuard:
        return self.query_one(SendGuard)

    def _send_key(self) -> str:
        spec = next(s for s in keys.specs(keys.COMPOSER) if s.id == "send")
        return keys.display_keys(self.desk.config.keys.get(spec.id, spec.keys))

    def _me_id(self) -> int | None:
        me = self.desk.me
        return me.id if me is not None else None

    @work(thread=True, exit_on_error=False, group="guard")
    def count_seen(self, number: int) -> None:
        """The composer opened on `number`: what the agent has in front of them now."""
        store = self.desk.open_store_or_fail()
        self.post_message(self.Counted(number, len(others_messages(store, number, self._me_id()))))

    def on_ticket_screen_counted(self, event: Counted) -> None:
        self.seen_others.setdefault(event.number, event.count)

    def stopped(self, store: Store, number: int, seen: int | None) -> bool:
        """In the sending worker: whether anything arrived since `seen` (then it is shown)."""
        if seen is None:
            return False
        others = others_messages(store, number, self._me_id())
        if len(others) <= seen:
            return False
        self.post_message(self.SendStopped(number, others[seen:], len(others)))
        return True

    def on_ticket_screen_send_stopped(self, event: SendStopped) -> None:
        self.seen_others[event.number] = event.count  # seen now: the next send goes
        if event.number == self.number:
            self.send_guard.stop(event.arrived, self._send_key())
        self.desk.store_changed([event.number])

    def guard_done(self, number: int) -> None:
        """The reply went out, or the composer closed: the next one starts afresh."""
        self.seen_others.pop(number, None)
        if number == self.number:
            self.send_guard.clear()
            self.desk.present(number, "viewing")
