"""The rule engine inside the service layer.

Rules run in the transaction of the change that triggered them, so a rule's
effects commit (or fail) with their cause. Every change writes an event; the
events of a transaction become triggers, each rule fires at most once per
event (the `rule_firing` ledger), and changes made by rules may trigger further
rules for at most `MAX_ROUNDS` rounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Self

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from deskterm.rules.match import TicketSnapshot, matches
from deskterm.rules.model import Rule, Trigger
from deskterm.store.schema.models import (
    Agent,
    AgentGroup,
    Customer,
    GroupMember,
    Message,
    Organization,
    RuleFiring,
    Tag,
    Ticket,
    TicketTag,
)
from deskterm.store.service.base import Actor, normalize_tag
from deskterm.store.service.canned import CannedWrites
from deskterm.vocab import (
    UNRESOLVED_STATUSES,
    EventKind,
    MessageKind,
    Priority,
    Status,
    parse_choice,
)

if TYPE_CHECKING:
    from deskterm.sla.calendar import BusinessCalendar

MAX_ROUNDS = 5
_FIELD_EVENTS = {
    EventKind.STATUS: "status",
    EventKind.PRIORITY: "priority",
    EventKind.ASSIGNEE: "assignee",
    EventKind.GROUP: "group",
    EventKind.TAG_ADDED: "tags",
}
_TRIGGER_EVENTS = {
    EventKind.CREATED: Trigger.TICKET_CREATED,
    EventKind.CUSTOMER_MESSAGE: Trigger.CUSTOMER_REPLIED,
    EventKind.REPLY: Trigger.AGENT_REPLIED,
}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)


@dataclass(frozen=True)
class Fired:
    """One rule firing: what it did, for logs and `rules test`."""

    rule: str
    number: int
    trigger: str
    changes: tuple[str, ...]


def trigger_of(kind: str, new: str | None) -> tuple[Trigger, str | None, str | None] | None:
    """(trigger, field, new value) for an event kind, or None if it triggers nothing."""
    try:
        event = EventKind(kind)
    except ValueError:
        return None
    if event in _TRIGGER_EVENTS:
        return _TRIGGER_EVENTS[event], None, None
    if event in _FIELD_EVENTS:
        return Trigger.FIELD_CHANGED, _FIELD_EVENTS[event], new
    return None


def conditions_hold(
    rule: Rule, snap: TicketSnapshot, now: datetime, calendars: dict[str, BusinessCalendar]
) -> bool:
    if not matches(rule.query, snap, now):
        return False
    if rule.sender_domains and snap.sender.rpartition("@")[2] not in rule.sender_domains:
        return False
    if rule.mailbox and (snap.mailbox or "").lower() != rule.mailbox:
        return False
    if rule.business_hours:
        calendar = calendars.get(rule.calendar)
        is_open = calendar.is_open(now) if calendar else True
        if is_open != (rule.business_hours == "open"):
            return False
    return True


class RuleWrites(CannedWrites):
    ruleset: RuleSet = RuleSet()
    fired: list[Fired]  # the firings of the current run, reset by each entry point

    def with_rules(self, ruleset: RuleSet) -> Self:
        self.ruleset = ruleset
        return self

    def _before_commit(self, s: Session, tickets: list[Ticket]) -> None:
        if self.ruleset.rules:
            self._run_rules(s)
        super()._before_commit(s, list(self._touched.values()))

    def _run_rules(self, s: Session) -> None:
        self.fired = []
        now = self.clock()
        for _ in range(MAX_ROUNDS):
            changes, self._changes = self._changes, []
            if not changes:
                return
            s.flush()  # event ids: the ledger's keys
            for ticket, kind, new, event in changes:
                found = trigger_of(kind, new)
                if found is None:
                    continue
                trigger, field_name, value = found
                snap: TicketSnapshot | None = None  # built once, again only after a firing
                for rule in self.ruleset.rules:
                    if not rule.enabled or rule.trigger is not trigger:
                        continue
                    if trigger is Trigger.FIELD_CHANGED and (
                        rule.field != field_name
                        or (rule.to and (value or "").lower() != rule.to.lower())
                    ):
                        continue
                    snap = snap or self.snapshot(s, ticket)
                    if self._maybe_fire(s, rule, ticket, f"event:{event.id}", trigger, now, snap):
                        snap = None
        # Still changing after MAX_ROUNDS: a loop between rules; stop here.
        self._changes = []

    def _maybe_fire(
        self,
        s: Session,
        rule: Rule,
        ticket: Ticket,
        key: str,
        trigger: Trigger,
        now: datetime,
        snap: TicketSnapshot,
    ) -> bool:
        if not conditions_hold(rule, snap, now, self.ruleset.calendars):
            return False
        if s.get(RuleFiring, (rule.name, ticket.id, key)) is not None:
            return False
        s.add(RuleFiring(rule=rule.name, ticket_id=ticket.id, event_key=key, fired_at=now))  # type: ignore[arg-type]
        with self._as_rule(rule):
            changes = self._apply(s, rule, ticket, now)
        self.fired.append(Fired(rule.name, ticket.number, trigger.value, tuple(changes)))
        return True

    @contextmanager
    def _as_rule(self, rule: Rule) -> Iterator[None]:
        saved = self.actor
        self.actor = Actor(None, f"rule:{rule.name}")
        try:
            yield
        finally:
            self.actor = saved

    def snapshot(self, s: Session, ticket: Ticket) -> TicketSnapshot:
        """The ticket as conditions see it, read inside this transaction."""
        s.flush()
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None
        org = s.get(Organization, customer.organization_id) if customer.organization_id else None
        agent = s.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
        group = s.get(AgentGroup, ticket.group_id) if ticket.group_id else None
        tags = s.exec(select(Tag.name).join(TicketTag).where(TicketTag.ticket_id == ticket.id))
        last = s.exec(
            select(Message.body_text, Message.from_addr, Message.mailbox, Message.kind)
            .where(Message.ticket_id == ticket.id, Message.kind == "customer")
            .order_by(col(Message.id).desc())
            .limit(1)
        ).first()
        return TicketSnapshot(
            number=ticket.number,
            subject=ticket.subject,
            status=ticket.status,
            priority=ticket.priority,
            channel=ticket.channel,
            assignee_email=agent.email if agent else None,
            assignee_name=agent.name if agent else None,
            group=group.name if group else None,
            tags=frozenset(tags),
            customer_email=customer.email,
            customer_name=customer.name,
            organization=org.name if org else None,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            due_at=ticket.due_at,
            sla_policy=ticket.sla_policy,
            last_body=last[0] if last else "",
            sender=(last[1] if last else customer.email).lower(),
            mailbox=last[2] if last else None,
            urgent_words=ticket.urgent_words,
            upset_words=ticket.upset_words,
        )

    def _apply(self, s: Session, rule: Rule, ticket: Ticket, when: datetime) -> list[str]:
        """Run a rule's actions; returns what actually changed."""
        a = rule.actions
        done: list[str] = []
        before = self._events_written
        if a.set_priority:
            self._set_priority(s, ticket, parse_choice(Priority, a.set_priority, "priority"), when)
        if a.set_group:
            self._set_group(s, ticket, self._group(s, a.set_group).id, when)
        for tag in a.add_tags:
            self._tag(s, ticket, normalize_tag(tag), add=True, when=when)
        for tag in a.remove_tags:
            self._tag(s, ticket, normalize_tag(tag), add=False, when=when)
        if a.assign:
            agent_id = self._pick_agent(s, a.assign)
            if agent_id is not None:
                self._set_assignee(s, ticket, agent_id, when)
        if a.note:
            self._agent_message(ticket.number, a.note, MessageKind.NOTE, None, when, session=s)
        if a.canned:
            self._apply_canned(s, ticket, a.canned, None, as_note=False)
        if a.auto_mail:
            done.append(self._rule_auto_mail(s, ticket, a.auto_mail, when))
        if a.set_status:
            self._set_status(s, ticket, parse_choice(Status, a.set_status, "status"), when)
        if self._events_written != before:
            done.insert(0, f"{self._events_written - before} change(s)")
        return done

    def _rule_auto_mail(self, s: Session, ticket: Ticket, name: str, when: datetime) -> str:
        """Overridden where the outbox exists; here automatic mail cannot be sent."""
        return f"auto mail {name!r} not sent: no outgoing mailbox configured"

    def _pick_agent(self, s: Session, how: str) -> int | None:
        """An agent by name or email, or the next of a group (round robin / least loaded)."""
        mode, _, group_name = how.partition(":")
        if not group_name:
            return self._agent_id(s, how)
        group = self._group(s, group_name)
        members: list[int] = list(
            s.exec(
                select(Agent.id)
                .join(GroupMember, GroupMember.agent_id == Agent.id)  # type: ignore[arg-type]
                .where(GroupMember.group_id == group.id, Agent.away == False)  # noqa: E712
                .order_by(col(Agent.id))
            )
        )
        if not members:
            return None
        if mode == "least_loaded":
            rows = s.exec(
                select(Ticket.assignee_id, func.count())
                .where(
                    col(Ticket.assignee_id).in_(members),
                    col(Ticket.status).in_(UNRESOLVED_STATUSES),
                )
                .group_by(col(Ticket.assignee_id))
            ).all()
            loads = {agent: count for agent, count in rows}
            return min(members, key=lambda m: (loads.get(m, 0), m))
        # Round robin: the member after the last one this group handed a ticket to.
        name = f"round_robin:{group.id}"
        s.execute(text("INSERT OR IGNORE INTO counter (name, value) VALUES (:n, 0)"), {"n": name})
        last = s.execute(text("SELECT value FROM counter WHERE name = :n"), {"n": name}).scalar()
        chosen = next((m for m in members if m > (last or 0)), members[0])
        s.execute(text("UPDATE counter SET value = :v WHERE name = :n"), {"v": chosen, "n": name})
        return chosen

    def run_time_rules(self, batch: int = 200) -> list[Fired]:
        """Check every time rule against the tickets its query finds (run each minute).

        A time rule fires once per ticket state: the ledger key is the ticket's
        last update, so "pending for 5 days" fires again only after new activity.
        """
        from deskterm.store.queries.filters import QueryContext
        from deskterm.store.queries.tickets import list_tickets

        fired: list[Fired] = []
        for rule in self.ruleset.rules:
            if rule.trigger is not Trigger.TIME or not rule.enabled:
                continue
            after = None
            while True:
                page = list_tickets(
                    self.store, rule.query, QueryContext(now=self.clock()), after=after, limit=batch
                )
                for row in page.rows:
                    with self._tx() as s:
                        ticket = self._ticket(s, row.number)
                        key = f"time:{ticket.updated_at:%Y%m%d%H%M%S%f}"
                        self.fired = []
                        now = self.clock()
                        snap = self.snapshot(s, ticket)
                        self._maybe_fire(s, rule, ticket, key, Trigger.TIME, now, snap)
                        fired.extend(self.fired)
                if page.next is None:
                    break
                after = page.next
        return fired
