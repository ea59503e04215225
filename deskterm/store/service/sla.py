"""Keeping SLA due times on tickets, and recording met and breached targets as events.

Due times are recomputed before the commit of every change to a ticket (the
`refresh_sla` hook), so the queue reads them from indexed columns. A breach is
recorded once per target, when it happens: at the late reply, or by
`check_breaches` (run every minute in solo mode or by the server in team mode)
when a due time passes unanswered.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from deskterm.sla.policy import DueTimes, State, compute
from deskterm.store.queries.sla import ticket_facts
from deskterm.store.schema.models import Ticket
from deskterm.store.service import records
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import UNRESOLVED_STATUSES, EventKind


def refresh_sla(uow: UnitOfWork) -> None:
    """Before-commit hook: due times of every ticket the change touched."""
    if uow.settings.sla is None:
        return
    now = uow.clock()
    for ticket in uow.tickets():
        refresh(uow, ticket, now)


def refresh(uow: UnitOfWork, ticket: Ticket, now: datetime) -> DueTimes | None:
    """Recompute `ticket`'s due times and record targets met or breached since."""
    settings = uow.settings.sla
    assert settings is not None
    uow.session.flush()
    due = compute(settings, ticket_facts(uow.db, stored(ticket.id)))
    ticket.sla_policy = due.policy.name if due else None
    for kind in ("first_reply", "next_reply", "resolution"):
        target = due.get(kind) if due else None
        setattr(ticket, f"{kind}_due_at", target.due_at if target else None)
    ticket.due_at = due.next_due if due and ticket.status in UNRESOLVED_STATUSES else None
    if due is not None:
        _record_states(uow, ticket, due, now)
    return due


def _record_states(uow: UnitOfWork, ticket: Ticket, due: DueTimes, now: datetime) -> None:
    settings = uow.settings.sla
    assert settings is not None
    recorded = set(filter(None, (ticket.sla_breached or "").split(",")))
    for kind, target, when in outcomes(due, now, settings.warning_fraction, recorded, uow.started):
        uow.touch(ticket.id, ticket)
        records.write_event(uow, ticket.id, kind, None, target, when)
    ticket.sla_breached = ",".join(sorted(recorded)) or None


def outcomes(
    due: DueTimes,
    now: datetime,
    warning: float,
    recorded: set[str],
    met_since: datetime | None,
) -> list[tuple[EventKind, str, datetime]]:
    """The SLA events due now: (kind, target, when) of each breach not in `recorded`
    (which gains its key) and of each target met since `met_since` (None: ever)."""
    found: list[tuple[EventKind, str, datetime]] = []
    for target in due.targets:
        state = target.state(now, due.policy.calendar, warning)
        key = f"{target.kind}@{target.started_at:%Y%m%d%H%M%S}"
        if state is State.BREACHED and key not in recorded:
            recorded.add(key)
            when = min(target.met_at or target.due_at or now, now)
            found.append((EventKind.SLA_BREACHED, target.kind, when))
        elif (
            state is State.MET
            and target.met_at
            and (met_since is None or target.met_at >= met_since)
        ):
            found.append((EventKind.SLA_MET, target.kind, target.met_at))
    return found


def check_breaches(uow: UnitOfWork, limit: int) -> list[int]:
    """Record breaches whose due time has passed; returns the ticket numbers."""
    now = uow.clock()
    found: list[int] = []
    tickets = uow.session.exec(
        select(Ticket)
        .where(col(Ticket.due_at) <= now, col(Ticket.status).in_(UNRESOLVED_STATUSES))
        .order_by(col(Ticket.due_at))
        .limit(limit)
    ).all()
    for ticket in tickets:
        before = ticket.sla_breached
        refresh(uow, ticket, now)
        if ticket.sla_breached != before:
            found.append(ticket.number)
    return found


def recompute_batch(
    uow: UnitOfWork, numbers: list[int] | None, after: int, batch: int
) -> tuple[int, int]:
    """Recompute due times of the next `batch` tickets past id `after`: (how many, last id).

    All unresolved tickets, or those of `numbers`.
    """
    query = select(Ticket).where(col(Ticket.id) > after)
    if numbers is not None:
        query = query.where(col(Ticket.number).in_(numbers))
    else:
        query = query.where(col(Ticket.status).in_(UNRESOLVED_STATUSES))
    tickets = uow.session.exec(query.order_by(col(Ticket.id)).limit(batch)).all()
    for ticket in tickets:
        refresh(uow, ticket, uow.clock())
    return len(tickets), (tickets[-1].id or 0) if tickets else after
