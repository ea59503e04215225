"""Writes about customers: their name, address, organization and note, and merging two.

A merged customer's row stays, pointing at the one it joined (`merged_into_id`),
so mail from its address keeps landing on the surviving customer
(`records.customer_id` follows the pointer).
"""

from __future__ import annotations

from sqlmodel import Session, col, select, update

from deskterm.errors import NotFoundError, UsageError
from deskterm.store.schema.models import Customer, Message, Ticket
from deskterm.store.service.records import stored
from deskterm.store.service.tickets import UNSET
from deskterm.store.service.unit_of_work import UnitOfWork

NOTE_LIMIT = 10_000  # characters: a note is a few lines, not a document


def find(s: Session, key: int | str) -> Customer:
    """A customer by id or address; a merged one answers as the customer it joined."""
    if isinstance(key, int):
        found = s.get(Customer, key)
    else:
        found = s.exec(select(Customer).where(Customer.email == key.strip().lower())).first()
    if found is None:
        raise NotFoundError(f"no customer {key} (see `deskterm customers list`)")
    if found.merged_into_id is not None:
        return find(s, found.merged_into_id)
    return found


def edit(
    uow: UnitOfWork,
    key: int | str,
    *,
    name: str | None = None,
    email: str | None = None,
    org_id: int | None = UNSET,
) -> int:
    """Change a customer's name, address or organization (None: no organization; UNSET and
    None for name/email keep them); returns its id."""
    s = uow.session
    customer = find(s, key)
    if name is not None:
        customer.name = name.strip()
    if email is not None:
        email = email.strip().lower()
        clash = s.exec(select(Customer).where(Customer.email == email)).first()
        if clash is not None and clash.id != customer.id:
            raise UsageError(
                f"customer {clash.id} has {email}: `deskterm customers merge"
                f" {customer.id} {clash.id}` makes them one"
            )
        customer.email = email
    if org_id is not UNSET:
        customer.organization_id = org_id
    return stored(customer.id)


def set_note(uow: UnitOfWork, key: int | str, note: str) -> int:
    """Replace the customer's note ("" clears it); returns its id."""
    if len(note) > NOTE_LIMIT:
        raise UsageError(f"a note holds at most {NOTE_LIMIT:,} characters, not {len(note):,}")
    customer = find(uow.session, key)
    customer.note = note.strip()
    return stored(customer.id)


def merge(uow: UnitOfWork, source_key: int | str, target_key: int | str) -> list[int]:
    """Move every ticket and message of `source` to `target`; returns the tickets' numbers.

    `source` keeps its row, pointing at `target`, so its address still finds `target`.
    Notes join; the target's name and organization win unless it has none.
    """
    s = uow.session
    source, target = find(s, source_key), find(s, target_key)
    if source.id == target.id:
        raise UsageError(f"{source.email} and {target.email} are already one customer")
    moved = s.exec(select(Ticket.id, Ticket.number).where(Ticket.customer_id == source.id)).all()
    s.exec(update(Ticket).where(col(Ticket.customer_id) == source.id).values(customer_id=target.id))
    s.exec(
        update(Message)
        .where(col(Message.author_customer_id) == source.id)
        .values(author_customer_id=target.id)
    )
    s.exec(
        update(Customer)
        .where(col(Customer.merged_into_id) == source.id)
        .values(merged_into_id=target.id)
    )
    target.name = target.name or source.name
    target.organization_id = target.organization_id or source.organization_id
    target.note = "\n\n".join(n for n in (target.note, source.note) if n)
    source.merged_into_id, source.note = target.id, ""
    uow.written_elsewhere([stored(ticket_id) for ticket_id, _ in moved])  # syncs the customer
    return sorted(number for _, number in moved)
