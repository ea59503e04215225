"""Blocked senders: `deskterm block`, `unblock` and `tickets spam`.

Ingest reads the list once per batch (`queries.blocks.blocked_reason`) and
quarantines a blocked sender's mail with the reason, so nothing is lost:
`deskterm quarantine retry ID` lets one in.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import select

from deskterm.errors import NotFoundError, UsageError
from deskterm.mail.addresses import is_valid
from deskterm.store.schema.models import BlockedSender, Customer
from deskterm.store.service import lookups, tickets
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import Status

SPAM_TAG = "spam"


def normalize(sender: str) -> str:
    """An address, or a whole domain as "@domain" ("domain" alone means the same)."""
    value = sender.strip().lower()
    if value and "@" not in value:
        value = "@" + value
    if value.startswith("@"):
        domain = value[1:]
        if "." not in domain or not is_valid("x" + value):
            raise UsageError(f"{sender!r} is neither an e-mail address nor a domain")
    elif not is_valid(value):
        raise UsageError(f"{sender!r} is neither an e-mail address nor a domain")
    return value


def block(uow: UnitOfWork, sender: str, reason: str = "") -> str:
    """Block `sender` (again: the new reason replaces the old); returns it normalized."""
    key = normalize(sender)
    s = uow.session
    found = s.exec(select(BlockedSender).where(BlockedSender.sender == key)).first()
    if found is None:
        s.add(BlockedSender(sender=key, reason=reason.strip(), created_at=uow.clock()))
    else:
        found.reason = reason.strip()
    return key


def unblock(uow: UnitOfWork, sender: str) -> str:
    key = normalize(sender)
    s = uow.session
    found = s.exec(select(BlockedSender).where(BlockedSender.sender == key)).first()
    if found is None:
        raise NotFoundError(f"{key} is not blocked (see `deskterm block --list`)")
    s.delete(found)
    return key


def mark_spam(uow: UnitOfWork, numbers: Sequence[int]) -> list[str]:
    """Close the tickets tagged spam and block their customers; returns who was blocked."""
    tickets.update_tickets(uow, numbers, status=Status.CLOSED, add_tags=[SPAM_TAG])
    blocked: dict[str, None] = {}
    for number in numbers:
        ticket = lookups.ticket(uow.session, number)
        customer = uow.session.get(Customer, ticket.customer_id)
        assert customer is not None
        blocked[block(uow, customer.email, f"spam: ticket #{number}")] = None
    return list(blocked)
