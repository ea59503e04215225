"""Keeping SLA due times on tickets, and recording met and breached targets as events.

Due times are recomputed in the transaction of every change to a ticket, so the
queue reads them from indexed columns. A breach is recorded once per target, when
it happens: at the late reply, or by `check_breaches` (run every minute by the
app in solo mode or the server in team mode) when a due time passes unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from deskterm.sla.policy import DueTimes, State, TicketFacts, compute
from deskterm.store.schema.models import (
    Customer,
    Event,
    Message,
    Organization,
    Tag,
    Ticket,
    TicketTag,
)
from deskterm.store.service.base import ServiceBase
from deskterm.vocab import UNRESOLVED_STATUSES, EventKind, MessageKind


@dataclass(frozen=True)
class TargetState:
    """One SLA target of a ticket, now: for the ticket header and `sla show --json`."""

    kind: str  # first_reply | next_reply | resolution
    policy: str
    due_at: datetime | None  # None while paused
    met_at: datetime | None
    state: str  # ok | warning | breached | met | paused
    business_left: timedelta | None
    calendar_left: timedelta | None


class SlaWrites(ServiceBase):
    def _before_commit(self, s: Session, tickets: list[Ticket]) -> None:
        super()._before_commit(s, tickets)
        if self.sla is None:
            return
        now = self.clock()
        for ticket in tickets:
            self._refresh_sla(s, ticket, now)

    def _facts(self, s: Session, ticket: Ticket) -> TicketFacts:
        s.flush()
        messages = s.exec(
            select(Message.kind, Message.created_at, Message.mailbox)
            .where(Message.ticket_id == ticket.id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
        statuses = s.exec(
            select(Event.created_at, Event.old, Event.new)
            .where(Event.ticket_id == ticket.id, Event.kind == EventKind.STATUS.value)
            .order_by(col(Event.id))
        ).all()
        initial = statuses[0][1] if statuses else ticket.status
        tags = s.exec(select(Tag.name).join(TicketTag).where(TicketTag.ticket_id == ticket.id))
        customer = s.get(Customer, ticket.customer_id)
        org = (
            s.get(Organization, customer.organization_id)
            if customer and customer.organization_id
            else None
        )
        mailbox = next((m for k, _, m in reversed(messages) if k == "customer" and m), None)
        return TicketFacts(
            created_at=ticket.created_at,
            priority=ticket.priority,
            status=ticket.status,
            tags=frozenset(tags),
            organization=org.name if org else None,
            mailbox=mailbox,
            customer_messages=tuple(t for k, t, _ in messages if k == MessageKind.CUSTOMER),
            replies=tuple(t for k, t, _ in messages if k == MessageKind.REPLY),
            statuses=(
                (ticket.created_at, initial or ticket.status),
                *((t, new or "") for t, _, new in statuses),
            ),
            solved_at=ticket.solved_at,
        )

    def _refresh_sla(self, s: Session, ticket: Ticket, now: datetime) -> DueTimes | None:
        assert self.sla is not None
        due = compute(self.sla, self._facts(s, ticket))
        ticket.sla_policy = due.policy.name if due else None
        for kind in ("first_reply", "next_reply", "resolution"):
            target = due.get(kind) if due else None
            setattr(ticket, f"{kind}_due_at", target.due_at if target else None)
        ticket.due_at = due.next_due if due and ticket.status in UNRESOLVED_STATUSES else None
        if due is not None:
            self._record_states(s, ticket, due, now)
        return due

    def _record_states(self, s: Session, ticket: Ticket, due: DueTimes, now: datetime) -> None:
        assert self.sla is not None
        recorded = set(filter(None, (ticket.sla_breached or "").split(",")))
        for target in due.targets:
            state = target.state(now, due.policy.calendar, self.sla.warning_fraction)
            key = f"{target.kind}@{target.started_at:%Y%m%d%H%M%S}"
            if state is State.BREACHED and key not in recorded:
                recorded.add(key)
                when = target.met_at or target.due_at or now
                self._event(s, ticket, EventKind.SLA_BREACHED, None, target.kind, min(when, now))
            elif state is State.MET and target.met_at and target.met_at >= self._tx_started:
                self._event(s, ticket, EventKind.SLA_MET, None, target.kind, target.met_at)
        ticket.sla_breached = ",".join(sorted(recorded)) or None

    def sla_targets(self, number: int) -> tuple[TargetState, ...]:
        """Each SLA target of ticket `number` as the ticket header shows it (read-only)."""
        if self.sla is None:
            return ()
        with self._read_tx() as s:
            due = compute(self.sla, self._facts(s, self._ticket(s, number)))
        if due is None:
            return ()
        now, cal = self.clock(), due.policy.calendar
        return tuple(
            TargetState(
                kind=t.kind,
                policy=due.policy.name,
                due_at=t.due_at,
                met_at=t.met_at,
                state=t.state(now, cal, self.sla.warning_fraction).value,
                business_left=cal.between(now, t.due_at) if t.due_at else None,
                calendar_left=t.due_at - now if t.due_at else None,
            )
            for t in due.targets
        )

    def explain_sla(self, number: int) -> list[str]:
        """Why each due time of ticket `number` is what it is (nothing is written)."""
        from deskterm.errors import UsageError
        from deskterm.sla.policy import explain

        if self.sla is None:
            raise UsageError("no SLA policies are configured ([[sla.policy]] in the config)")
        with self._read_tx() as s:
            facts = self._facts(s, self._ticket(s, number))
        return explain(self.sla, facts, self.clock())

    def check_breaches(self, limit: int = 1000) -> list[int]:
        """Record breaches whose due time has passed; returns the ticket numbers."""
        if self.sla is None:
            return []
        now = self.clock()
        found: list[int] = []
        with self._tx() as s:
            tickets = s.exec(
                select(Ticket)
                .where(col(Ticket.due_at) <= now, col(Ticket.status).in_(UNRESOLVED_STATUSES))
                .order_by(col(Ticket.due_at))
                .limit(limit)
            ).all()
            for ticket in tickets:
                before = ticket.sla_breached
                self._refresh_sla(s, ticket, now)
                if ticket.sla_breached != before:
                    found.append(ticket.number)
        return found

    def recompute_sla(self, numbers: list[int] | None = None, batch: int = 500) -> int:
        """Recompute due times (after a policy change in the config); returns how many."""
        if self.sla is None:
            return 0
        done, after = 0, 0
        while True:
            with self._tx() as s:
                query = select(Ticket).where(col(Ticket.id) > after)
                if numbers is not None:
                    query = query.where(col(Ticket.number).in_(numbers))
                else:
                    query = query.where(col(Ticket.status).in_(UNRESOLVED_STATUSES))
                tickets = s.exec(query.order_by(col(Ticket.id)).limit(batch)).all()
                for ticket in tickets:
                    self._refresh_sla(s, ticket, self.clock())
            if not tickets:
                return done
            done += len(tickets)
            after = tickets[-1].id or 0
