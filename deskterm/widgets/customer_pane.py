"""The customer beside a ticket: who they are, their organization, their other tickets."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widget import Widget

from deskterm.kb.survey import Rating
from deskterm.store.queries.records import CustomerRecord, TicketRow
from deskterm.widgets.fmt import age, body, plain


class CustomerPane(Widget):
    """Filled by the ticket screen with `show`; renders plain text only."""

    COMPONENT_CLASSES = {"customer-pane--title", "customer-pane--dim"}  # noqa: RUF012
    DEFAULT_CSS = """
    CustomerPane { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._customer: CustomerRecord | None = None
        self._tickets: list[TicketRow] = []
        self._current = 0
        self._now: datetime | None = None
        self._ratings: dict[str, int] = {}

    def show(
        self,
        customer: CustomerRecord,
        tickets: list[TicketRow],
        current: int,
        now: datetime,
        ratings: dict[str, int] | None = None,
    ) -> None:
        """`ratings`: how the customer answered the satisfaction survey, per rating."""
        self._customer, self._tickets, self._current, self._now = customer, tickets, current, now
        self._ratings = ratings or {}
        self.refresh(layout=True)

    def render(self) -> Text:
        customer = self._customer
        if customer is None:
            return Text("…")
        title = self.get_component_rich_style("customer-pane--title")
        dim = self.get_component_rich_style("customer-pane--dim")
        out = Text(end="")
        name = plain(customer.name or customer.email)
        name.stylize(title)
        out.append_text(name)
        out.append("\n")
        out.append_text(plain(customer.email))
        out.append("\n")
        org = plain(customer.organization or "no organization")
        if not customer.organization:
            org.stylize(dim)
        out.append_text(org)
        out.append(f"\n{customer.ticket_count} tickets, {customer.open_count} unresolved\n", dim)
        if self._ratings:
            told = ", ".join(f"{n} {Rating(r).label.lower()}" for r, n in self._ratings.items())
            out.append(f"Surveys: {told}\n", dim)
        if customer.note:  # `deskterm customers note`
            out.append("\nNote\n", title)
            out.append_text(body(customer.note))
            out.append("\n")
        others = [t for t in self._tickets if t.number != self._current]
        if others:
            out.append("\nOther tickets\n", title)
        for row in others[:12]:
            when = age(self._now, row.updated_at) if self._now else ""
            line = Text(f"#{row.number} {row.status} {when} ", end="")
            line.stylize(dim)
            line.append_text(plain(row.subject))
            out.append_text(line)
            out.append("\n")
        return out
