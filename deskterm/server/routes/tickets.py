"""`/api/v1/tickets`: list (query syntax, keyset cursors), get, create, update, add messages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field

from deskterm.query.syntax import parse_query
from deskterm.server.auth import CallerAgent, actor_of
from deskterm.server.deps import server_state, store_of
from deskterm.store.queries.tickets import get_ticket, get_ticket_row, list_events, list_tickets
from deskterm.store.search.filters import QueryContext
from deskterm.store.search.order import Cursor
from deskterm.vocab import Channel, Priority, Status

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])

# Ticket numbers and ids stay inside SQLite's and PostgreSQL's 64-bit integers.
Number = Annotated[int, Path(ge=1, le=2**62)]
Text = Annotated[str, Field(max_length=200_000)]
Short = Annotated[str, Field(max_length=500)]


class TicketIn(BaseModel):
    subject: Short
    body: Text
    customer_email: Short
    customer_name: Short = ""
    priority: Priority = Priority.NORMAL
    status: Status = Status.NEW
    channel: Channel = Channel.EMAIL
    tags: list[Short] = Field(default_factory=list, max_length=50)
    assignee: Short | None = None


class TicketPatch(BaseModel):
    """Fields to change; `assignee` or `group` sent as null clears them, left out keeps them."""

    status: Status | None = None
    priority: Priority | None = None
    assignee: Short | None = None
    group: Short | None = None
    subject: Short | None = None
    add_tags: list[Short] = Field(default_factory=list, max_length=50)
    remove_tags: list[Short] = Field(default_factory=list, max_length=50)


class MessageIn(BaseModel):
    """A reply (mailed to the customer through the outbox) or an internal note."""

    kind: Literal["reply", "note"] = "reply"
    body: Text = ""
    status: Status | None = None
    canned: Short | None = Field(None, description="Use this canned reply and run its actions.")


@router.get("")
def list_(
    request: Request,
    agent: CallerAgent,
    q: Annotated[str, Query(max_length=2000, description="The query syntax of `/`.")] = "",
    after: Annotated[str | None, Query(max_length=200, description="next_cursor of a page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """One page of tickets matching `q`; pass `next_cursor` back as `after` for the next."""
    page = list_tickets(
        store_of(request),
        parse_query(q),
        QueryContext(me_agent_id=agent.id),
        after=Cursor.decode(after) if after else None,
        limit=limit,
    )
    return {
        "tickets": [row.to_json() for row in page.rows],
        "next_cursor": page.next.encode() if page.next else None,
    }


@router.get("/{number}")
def get(request: Request, _agent: CallerAgent, number: Number) -> dict[str, Any]:
    """A ticket with its customer and every message."""
    return get_ticket(store_of(request), number).to_json()


@router.get("/{number}/events")
def events(request: Request, _agent: CallerAgent, number: Number) -> list[dict[str, Any]]:
    """The audit history: who changed what, old and new, when."""
    return [event.to_json() for event in list_events(store_of(request), number)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create(request: Request, agent: CallerAgent, ticket: TicketIn) -> dict[str, Any]:
    """Open a ticket on the customer's behalf (a phone call, an integration)."""
    state = server_state(request)
    created = state.make_service(actor_of(agent)).create_ticket(
        ticket.subject,
        ticket.body,
        ticket.customer_email,
        ticket.customer_name,
        priority=ticket.priority,
        status=ticket.status,
        channel=ticket.channel,
        tags=ticket.tags,
        assignee=ticket.assignee,
    )
    return get_ticket_row(state.store, created.number).to_json()


@router.patch("/{number}")
def update(
    request: Request, agent: CallerAgent, number: Number, patch: TicketPatch
) -> dict[str, Any]:
    """Change fields; every change is an audit event, rules and SLA run as in the app."""
    state = server_state(request)
    given = patch.model_fields_set
    optional: dict[str, Any] = {k: getattr(patch, k) for k in ("assignee", "group") if k in given}
    state.make_service(actor_of(agent)).update_tickets(
        [number],
        status=patch.status,
        priority=patch.priority,
        add_tags=patch.add_tags,
        remove_tags=patch.remove_tags,
        subject=patch.subject,
        **optional,
    )
    return get_ticket_row(state.store, number).to_json()


@router.post("/{number}/messages", status_code=status.HTTP_201_CREATED)
def add_message(
    request: Request, agent: CallerAgent, number: Number, message: MessageIn
) -> dict[str, Any]:
    """Reply or note; with `canned`, the canned reply's text (or `body`) and its actions."""
    service = server_state(request).make_service(actor_of(agent))
    if message.canned:
        message_id = service.apply_canned(
            number, message.canned, body=message.body or None, as_note=message.kind == "note"
        )
    elif message.kind == "note":
        message_id = service.add_note(number, message.body)
    else:
        message_id = service.add_reply(number, message.body, status=message.status)
    return {"id": message_id, "ticket": number}
