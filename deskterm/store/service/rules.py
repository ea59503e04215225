"""The rule engine in the service layer: the `run_rules` hook and a rule's actions.

Rules run in the transaction of the change that triggered them, so a rule's
effects commit (or fail) with their cause. Every change writes an event; the
events of a unit become triggers, each rule fires at most once per event (the
`rule_firing` ledger), and changes made by rules may trigger further rules for
at most `MAX_ROUNDS` rounds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from deskterm.rules.engine import Fired, conditions_hold, trigger_of, triggered
from deskterm.rules.match import TicketSnapshot
from deskterm.rules.model import Rule, Trigger
from deskterm.store.queries.rules import ticket_snapshot
from deskterm.store.schema.models import Agent, GroupMember, RuleFiring, Ticket
from deskterm.store.service import auto_mail, canned, lookups, replies, tickets
from deskterm.store.service.lookups import normalize_tag
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import Actor, UnitOfWork
from deskterm.vocab import UNRESOLVED_STATUSES, MessageKind, Priority, Status, parse_choice

MAX_ROUNDS = 5


def run_rules(uow: UnitOfWork) -> None:
    """Before-commit hook: every rule the unit's events trigger, round after round."""
    ruleset = uow.settings.rules
    if not ruleset.rules:
        return
    now = uow.clock()
    for _ in range(MAX_ROUNDS):
        changes, uow.triggers = uow.triggers, []
        if not changes:
            return
        for event in changes:
            found = trigger_of(event.kind, event.new)
            if found is None:
                continue
            trigger, field_name, value = found
            snap: TicketSnapshot | None = None  # read once, again only after a firing
            for rule in ruleset.rules:
                if not triggered(rule, trigger, field_name, value):
                    continue
                snap = snap or snapshot(uow, event.ticket_id)
                ticket = uow.ticket(event.ticket_id)
                if fire(uow, rule, ticket, f"event:{event.id}", trigger, now, snap):
                    snap = None
    # Still changing after MAX_ROUNDS: a loop between rules; stop here.
    uow.triggers = []


def snapshot(uow: UnitOfWork, ticket_id: int) -> TicketSnapshot:
    """The ticket as conditions see it, inside this unit (its changes flushed)."""
    uow.session.flush()
    return ticket_snapshot(uow.db, ticket_id)


def fire(
    uow: UnitOfWork,
    rule: Rule,
    ticket: Ticket,
    key: str,
    trigger: Trigger,
    now: datetime,
    snap: TicketSnapshot,
) -> bool:
    """Run `rule` on `ticket` if its conditions hold and it has not fired for `key`."""
    if not conditions_hold(rule, snap, now, uow.settings.rules.calendars):
        return False
    s = uow.session
    if s.get(RuleFiring, (rule.name, ticket.id, key)) is not None:
        return False
    s.add(RuleFiring(rule=rule.name, ticket_id=stored(ticket.id), event_key=key, fired_at=now))
    with uow.acting_as(Actor(None, f"rule:{rule.name}")):
        changes = _apply(uow, rule, ticket, now)
    uow.fired.append(Fired(rule.name, ticket.number, trigger.value, tuple(changes)))
    return True


def _apply(uow: UnitOfWork, rule: Rule, ticket: Ticket, when: datetime) -> list[str]:
    """Run a rule's actions; returns what actually changed."""
    a = rule.actions
    s = uow.session
    done: list[str] = []
    before = len(uow.events)
    if a.set_priority:
        prio = parse_choice(Priority, a.set_priority, "priority")
        tickets.set_priority(uow, ticket, prio, when)
    if a.set_group:
        tickets.set_group(uow, ticket, lookups.group(s, a.set_group).id, when)
    for tag in a.add_tags:
        tickets.set_tag(uow, ticket, normalize_tag(tag), add=True, when=when)
    for tag in a.remove_tags:
        tickets.set_tag(uow, ticket, normalize_tag(tag), add=False, when=when)
    if a.assign:
        agent_id = _pick_agent(uow, a.assign)
        if agent_id is not None:
            tickets.set_assignee(uow, ticket, agent_id, when)
    if a.apply_suggestion:
        _apply_suggestion(uow, ticket, a.apply_suggestion, when)
    if a.note:
        replies.agent_message(uow, ticket.number, a.note, MessageKind.NOTE, None, when)
    if a.canned:
        canned.apply(uow, ticket, a.canned, None, as_note=False)
    if a.auto_mail:
        done.append(auto_mail.for_rule(uow, ticket, a.auto_mail, when))
    if a.set_status:
        status = parse_choice(Status, a.set_status, "status")
        tickets.set_status(uow, ticket, status, when)
    if len(uow.events) != before:
        done.insert(0, f"{len(uow.events) - before} change(s)")
    return done


def _apply_suggestion(uow: UnitOfWork, ticket: Ticket, floor: float, when: datetime) -> None:
    """The routing similar tickets suggest at `floor` or above, read inside this unit."""
    # Here, not at the top: the assist model's code costs every write that runs rules.
    from deskterm.store.queries.suggest import suggested_routing

    uow.session.flush()
    for r in suggested_routing(uow.db, ticket.number, floor):
        if r.field == "tag":
            tickets.set_tag(uow, ticket, normalize_tag(r.value), add=True, when=when)
        elif r.field == "group":
            tickets.set_group(uow, ticket, lookups.group(uow.session, r.value).id, when)
        else:
            tickets.set_priority(uow, ticket, parse_choice(Priority, r.value, "priority"), when)


def _pick_agent(uow: UnitOfWork, how: str) -> int | None:
    """An agent by name or email, or the next of a group (round robin / least loaded)."""
    mode, _, group_name = how.partition(":")
    if not group_name:
        return lookups.agent_id(uow, how)
    s = uow.session
    group = lookups.group(s, group_name)
    members: list[int] = list(
        s.exec(
            select(GroupMember.agent_id)
            .join(Agent, col(Agent.id) == col(GroupMember.agent_id))
            .where(GroupMember.group_id == group.id, Agent.away == False)  # noqa: E712
            .order_by(col(GroupMember.agent_id))
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
    db = uow.db
    db.execute("INSERT OR IGNORE INTO counter (name, value) VALUES (?, 0)", (name,))
    last = db.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()[0]
    chosen = next((m for m in members if m > (last or 0)), members[0])
    db.execute("UPDATE counter SET value = ? WHERE name = ?", (chosen, name))
    return chosen


def time_rule(uow: UnitOfWork, rule: Rule, number: int) -> None:
    """A time rule on one ticket its query found: fires once per ticket state (the
    ledger key is the ticket's last update, so it fires again only after new activity)."""
    ticket = lookups.ticket(uow.session, number)
    key = f"time:{ticket.updated_at:%Y%m%d%H%M%S%f}"
    snap = snapshot(uow, stored(ticket.id))
    fire(uow, rule, ticket, key, Trigger.TIME, uow.clock(), snap)
