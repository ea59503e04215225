"""Lookups every write area needs: a ticket by number, an agent, a group, a customer, a tag name.

Each raises a one-line `NotFoundError`/`UsageError` naming what was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from deskterm.errors import NotFoundError, UsageError
from deskterm.store.schema.models import Agent, AgentGroup, CannedReply, Customer, Ticket
from deskterm.store.schema.timefmt import to_db
from deskterm.store.service import records
from deskterm.store.service.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Created:
    number: int
    ticket_id: int
    message_id: int


def normalize_tag(name: str) -> str:
    tag = "-".join(name.strip().lower().split())
    if not tag or "," in tag:
        raise UsageError(f"bad tag {name!r}: tags are single words without commas")
    return tag


def ticket(s: Session, number: int) -> Ticket:
    found = s.exec(select(Ticket).where(Ticket.number == number)).first()
    if found is None:
        raise NotFoundError(f"no ticket #{number}")
    return found


def agent(s: Session, key: str) -> Agent:
    """An agent by email or name (any case)."""
    found = s.exec(
        select(Agent).where(
            (func.lower(Agent.email) == key.lower()) | (func.lower(Agent.name) == key.lower())
        )
    ).first()
    if found is None:
        raise NotFoundError(f"no agent {key!r} (see `deskterm agent list`)")
    return found


def agent_id(uow: UnitOfWork, key: str) -> int:
    """An agent by email or name; "me" is the acting agent."""
    if key.lower() == "me":
        if uow.actor.agent_id is None:
            raise UsageError("'me' needs to know who you are: set [agent] email in the config")
        return uow.actor.agent_id
    return records.stored(agent(uow.session, key).id)


def group(s: Session, name: str) -> AgentGroup:
    found = s.exec(select(AgentGroup).where(func.lower(AgentGroup.name) == name.lower())).first()
    if found is None:
        raise NotFoundError(f"no group {name!r} (see `deskterm groups list`)")
    return found


def canned_reply(s: Session, name: str) -> CannedReply:
    reply = s.exec(select(CannedReply).where(CannedReply.name == name)).first()
    if reply is None:
        raise NotFoundError(f"no canned reply named {name!r} (see `deskterm canned list`)")
    return reply


def customer(uow: UnitOfWork, email: str, name: str = "") -> Customer:
    """The customer with `email` (`records.customer_id`), as an ORM object."""
    uow.session.flush()
    found_id = records.customer_id(uow.db, email, name, to_db(uow.clock()))
    found = uow.session.get(Customer, found_id, populate_existing=True)
    assert found is not None
    return found


def agent_label(s: Session, agent_id: int | None) -> str | None:
    """How an assignee appears in events: the agent's address."""
    found = s.get(Agent, agent_id) if agent_id else None
    return found.email if found else None


def group_label(s: Session, group_id: int | None) -> str | None:
    found = s.get(AgentGroup, group_id) if group_id else None
    return found.name if found else None
