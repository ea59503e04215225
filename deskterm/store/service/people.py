"""Writes about people and settings: agents, groups, organizations, views."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, delete, select, update

from deskterm.errors import NotFoundError, UsageError
from deskterm.query.syntax import parse_query
from deskterm.store.schema.models import (
    Agent,
    AgentGroup,
    Customer,
    GroupMember,
    Organization,
    Ticket,
    View,
)
from deskterm.store.service import lookups
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import Role, parse_choice


def add_agent(uow: UnitOfWork, name: str, email: str, role: str = Role.AGENT) -> tuple[int, str]:
    """A new agent and their API token (shown once; only its hash is kept)."""
    role_ = parse_choice(Role, role, "role")
    token = secrets.token_urlsafe(32)
    email = email.strip().lower()
    s = uow.session
    if _by_email(s, email) is not None:
        raise UsageError(f"an agent with address {email} exists")
    agent = Agent(
        name=name.strip(),
        email=email,
        role=role_.value,
        token_hash=hash_token(token),
        created_at=uow.clock(),
    )
    s.add(agent)
    s.flush()
    return stored(agent.id), token


def ensure_agent(uow: UnitOfWork, name: str, email: str, role: str = Role.AGENT) -> int:
    """The id of the agent with `email`, creating it (with no token) if new."""
    email = email.strip().lower()
    s = uow.session
    agent = _by_email(s, email)
    if agent is None:
        agent = Agent(name=name, email=email, role=role, created_at=uow.clock())
        s.add(agent)
        s.flush()
    return stored(agent.id)


def set_away(uow: UnitOfWork, email: str, away: bool) -> None:
    s = uow.session
    lookups.agent(s, email).away = away


def add_group(uow: UnitOfWork, name: str, members: Iterable[str] = ()) -> int:
    s = uow.session
    group = s.exec(select(AgentGroup).where(AgentGroup.name == name)).first()
    if group is None:
        group = AgentGroup(name=name)
        s.add(group)
        s.flush()
    for key in members:
        agent = lookups.agent(s, key)
        if s.get(GroupMember, (group.id, agent.id)) is None:
            s.add(GroupMember(group_id=stored(group.id), agent_id=stored(agent.id)))
    return stored(group.id)


def add_organization(uow: UnitOfWork, name: str, domain: str | None = None) -> int:
    """An organization; existing customers at `domain` join it."""
    s = uow.session
    org = Organization(name=name, domain=domain.lower() if domain else None, created_at=uow.clock())
    s.add(org)
    s.flush()
    if domain:
        for customer in s.exec(
            select(Customer).where(col(Customer.email).endswith("@" + domain.lower()))
        ):
            customer.organization_id = org.id
    return stored(org.id)


def edit_organization(
    uow: UnitOfWork, org_id: int, name: str | None = None, domain: str | None = None
) -> None:
    """Rename an organization or change its domain ("" clears it); customers at a new
    domain who belong to no organization join it."""
    s = uow.session
    org = s.get(Organization, org_id)
    if org is None:
        raise NotFoundError(f"no organization {org_id} (see `deskterm orgs list`)")
    if name is not None:
        if not name.strip():
            raise UsageError("an organization needs a name")
        clash = s.exec(select(Organization).where(Organization.name == name.strip())).first()
        if clash is not None and clash.id != org.id:
            raise UsageError(f"an organization named {name.strip()!r} exists")
        org.name = name.strip()
    if domain is not None:
        org.domain = domain.strip().lower() or None
        if org.domain:
            for customer in s.exec(
                select(Customer).where(
                    col(Customer.email).endswith("@" + org.domain),
                    col(Customer.organization_id).is_(None),
                )
            ):
                customer.organization_id = org.id


def save_view(uow: UnitOfWork, name: str, query: str, position: int | None = None) -> None:
    parse_query(query)  # refuse a view whose query would fail every time
    s = uow.session
    view = s.exec(select(View).where(View.name == name)).first()
    if position is None:
        position = int(s.exec(select(func.coalesce(func.max(View.position), 0))).one()) + 1
    if view is None:
        view = View(name=name, query=query, position=position)
    view.query, view.position = query, position
    s.add(view)


def remove_view(uow: UnitOfWork, name: str) -> None:
    """Remove a stored view (built-in and configured views are not in the store)."""
    s = uow.session
    view = s.exec(select(View).where(func.lower(View.name) == name.lower())).first()
    if view is None:
        raise NotFoundError(
            f"no stored view {name!r} (built-in and [[views]] ones cannot be removed here;"
            " see `deskterm views list`)"
        )
    s.delete(view)


def remove_group(uow: UnitOfWork, name: str) -> int:
    """Remove a group; its tickets keep their assignee and lose the group. Returns how many."""
    s = uow.session
    group = lookups.group(s, name)
    moved = s.exec(
        update(Ticket).where(col(Ticket.group_id) == group.id).values(group_id=None)
    ).rowcount
    s.exec(delete(GroupMember).where(col(GroupMember.group_id) == group.id))
    s.delete(group)
    return int(moved or 0)


def set_members(
    uow: UnitOfWork, name: str, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> None:
    """Add agents to and remove agents from group `name`, all or nothing."""
    s = uow.session
    group = lookups.group(s, name)
    for key in add:
        agent = lookups.agent(s, key)
        if s.get(GroupMember, (group.id, agent.id)) is None:
            s.add(GroupMember(group_id=stored(group.id), agent_id=stored(agent.id)))
    for key in remove:
        agent = lookups.agent(s, key)
        member = s.get(GroupMember, (group.id, agent.id))
        if member is None:
            raise UsageError(f"{agent.email} is not in group {group.name!r}")
        s.delete(member)


def set_role(uow: UnitOfWork, key: str, role: str) -> None:
    lookups.agent(uow.session, key).role = parse_choice(Role, role, "role").value


def revoke_token(uow: UnitOfWork, key: str) -> bool:
    """Forget an agent's API token (the server refuses it from now on); False if none."""
    agent = lookups.agent(uow.session, key)
    had = agent.token_hash is not None
    agent.token_hash = None
    return had


def _by_email(s: Session, email: str) -> Agent | None:
    """The agent with `email` (stripped, lower-cased): stored so by Python, whose lower()
    folds what SQLite's (ASCII only) does not; older rows are matched through SQLite's."""
    return s.exec(
        select(Agent).where((col(Agent.email) == email) | (func.lower(Agent.email) == email))
    ).first()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
