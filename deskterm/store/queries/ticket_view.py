"""What the ticket screen shows, read in one go off the UI thread.

The queue reads it before it opens the screen, so the screen's first frame is
the ticket itself: no empty frame, and the read does not wait for the UI
thread's frames to let go of the GIL.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.store.queries.outbox import OutboxRecord, list_delivery_states
from deskterm.store.queries.records import TicketDetail, TicketRow
from deskterm.store.queries.surveys import TicketSurvey, customer_ratings, ticket_survey
from deskterm.store.queries.tickets import get_ticket, list_customer_tickets
from deskterm.store.schema.db import Store

OTHER_TICKETS = 13  # the customer's other tickets shown in the side pane


@dataclass(frozen=True)
class TicketData:
    detail: TicketDetail
    others: list[TicketRow]
    delivery: dict[int, OutboxRecord]
    """Outbox state of the ticket's mailed replies, by message id."""
    survey: TicketSurvey | None = None  # the customer's latest satisfaction answer
    ratings: dict[str, int] | None = None  # how the customer rated their tickets


def read_ticket(store: Store, number: int) -> TicketData:
    detail = get_ticket(store, number)
    return TicketData(
        detail,
        list_customer_tickets(store, detail.customer.id, limit=OTHER_TICKETS),
        list_delivery_states(store, number),
        ticket_survey(store, detail.ticket.id),
        customer_ratings(store, detail.customer.id),
    )
