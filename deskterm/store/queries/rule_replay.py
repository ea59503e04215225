"""`rules test`: replay past tickets through the rules, writing nothing.

Each ticket's state is rebuilt at every event of its history (by undoing its
events from the current state back to creation, then playing them forward), and
every rule the event would trigger is checked against that state. What a rule
would have changed is reported relative to the state at that moment; rules are
not chained and nothing is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from deskterm.assist.tone import read_tone
from deskterm.rules.engine import RuleSet, conditions_hold, trigger_of, triggered
from deskterm.rules.match import TicketSnapshot
from deskterm.rules.model import Rule
from deskterm.store.queries.suggest import suggested_routing
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, iso, to_db


@dataclass(frozen=True)
class Replayed:
    number: int
    at: datetime
    trigger: str
    rule: str
    changes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": iso(self.at),
            "trigger": self.trigger,
            "rule": self.rule,
            "changes": list(self.changes),
        }


def _would(rule: Rule, snap: TicketSnapshot, conn: sqlite3.Connection) -> tuple[str, ...]:
    a = rule.actions
    out = []
    if a.set_status and a.set_status != snap.status:
        out.append(f"status {snap.status} -> {a.set_status}")
    if a.set_priority and a.set_priority != snap.priority:
        out.append(f"priority {snap.priority} -> {a.set_priority}")
    if a.set_group and (snap.group or "").lower() != a.set_group.lower():
        out.append(f"group {snap.group or '-'} -> {a.set_group}")
    out += [f"add tag {t}" for t in a.add_tags if t not in snap.tags]
    out += [f"remove tag {t}" for t in a.remove_tags if t in snap.tags]
    if a.assign and a.assign.lower() not in {
        (snap.assignee_email or "").lower(),
        (snap.assignee_name or "").lower(),
    }:
        out.append(f"assign {a.assign}")
    if a.canned:
        out.append(f"reply with canned {a.canned}")
    if a.auto_mail:
        out.append(f"send automatic mail {a.auto_mail}")
    if a.note:
        out.append("add a note")
    if a.apply_suggestion:
        # As suggested then: from the tickets opened before this one, against its state then.
        have = {("tag", t) for t in snap.tags} | {("priority", snap.priority)}
        have.add(("group", snap.group or ""))
        found = suggested_routing(
            conn,
            snap.number,
            a.apply_suggestion,
            have=have,
            tone=(snap.urgent_words, snap.upset_words),
            before=snap.number,
        )
        out += [f"apply suggestion {r.label} ({r.confidence:.0%})" for r in found]
    return tuple(out)


def _undo(snap: TicketSnapshot, kind: str, old: str | None, new: str | None) -> TicketSnapshot:
    if kind == "status" and old:
        return replace(snap, status=old)
    if kind == "priority" and old:
        return replace(snap, priority=old)
    if kind == "assignee":
        return replace(snap, assignee_email=old, assignee_name=None)
    if kind == "group":
        return replace(snap, group=old)
    if kind == "tag_added" and new:
        return replace(snap, tags=snap.tags - {new})
    if kind == "tag_removed" and old:
        return replace(snap, tags=snap.tags | {old})
    return snap


def _redo(snap: TicketSnapshot, kind: str, old: str | None, new: str | None) -> TicketSnapshot:
    if kind == "status" and new:
        return replace(snap, status=new)
    if kind == "priority" and new:
        return replace(snap, priority=new)
    if kind == "assignee":
        return replace(snap, assignee_email=new, assignee_name=None)
    if kind == "group":
        return replace(snap, group=new)
    if kind == "tag_added" and new:
        return replace(snap, tags=snap.tags | {new})
    if kind == "tag_removed" and old:
        return replace(snap, tags=snap.tags - {old})
    return snap


def _with_tone(snap: TicketSnapshot, body: str, subject: str = "") -> TicketSnapshot:
    """The snapshot after a customer message: its body and the tone it sets."""
    tone = read_tone(body, subject)
    return replace(snap, last_body=body, urgent_words=tone.urgent_text, upset_words=tone.upset_text)


_TICKETS = """
    SELECT t.id, t.number, t.subject, t.status, t.priority, t.channel, a.email, a.name, g.name,
      c.email, c.name, o.name, t.created_at, t.updated_at, t.due_at, t.sla_policy,
      (SELECT group_concat(tg.name, ',') FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id
        WHERE tt.ticket_id = t.id)
    FROM ticket t JOIN customer c ON c.id = t.customer_id
    LEFT JOIN organization o ON o.id = c.organization_id
    LEFT JOIN agent a ON a.id = t.assignee_id LEFT JOIN agent_group g ON g.id = t.group_id
    WHERE t.created_at >= ? AND t.id > ? ORDER BY t.id LIMIT 500
"""


def replay(
    store: Store, ruleset: RuleSet, since: datetime, rule_name: str | None = None
) -> Iterator[Replayed]:
    """What the rules would have done to each ticket created since `since`."""
    rules = [r for r in ruleset.rules if r.enabled and rule_name in (None, r.name)]
    conn = store.read()
    after = 0
    while True:
        tickets = conn.execute(_TICKETS, (to_db(since), after)).fetchall()
        if not tickets:
            return
        for row in tickets:
            yield from _replay_ticket(store, ruleset, rules, row)
        after = tickets[-1][0]


def _replay_ticket(
    store: Store, ruleset: RuleSet, rules: list[Rule], row: tuple[Any, ...]
) -> Iterator[Replayed]:
    conn = store.read()
    events = conn.execute(
        "SELECT kind, old, new, created_at FROM event WHERE ticket_id = ? ORDER BY id", (row[0],)
    ).fetchall()
    bodies = dict(
        conn.execute(
            "SELECT id, body_text FROM message WHERE ticket_id = ? AND kind = 'customer'", (row[0],)
        ).fetchall()
    )
    snap = TicketSnapshot(
        number=row[1],
        subject=row[2],
        status=row[3],
        priority=row[4],
        channel=row[5],
        assignee_email=row[6],
        assignee_name=row[7],
        group=row[8],
        tags=frozenset((row[16] or "").split(",")) - {""},
        customer_email=row[9],
        customer_name=row[10],
        organization=row[11],
        created_at=from_db(row[12]),
        updated_at=from_db(row[13]),
        due_at=from_db(row[14]),
        sla_policy=row[15],
        sender=row[9],
        last_body=next(iter(bodies.values()), ""),
    )
    snap = _with_tone(snap, snap.last_body, snap.subject)
    for kind, old, new, _ in reversed(events):
        snap = _undo(snap, kind, old, new)
    for kind, old, new, at in events:
        when = from_db(at)
        assert when is not None
        snap = replace(_redo(snap, kind, old, new), updated_at=when)
        if kind == "customer_message" and new and new.isdecimal():
            snap = _with_tone(snap, bodies.get(int(new), snap.last_body))
        found = trigger_of(kind, new)
        if found is None:
            continue
        trigger, field_name, value = found
        for rule in rules:
            if not triggered(rule, trigger, field_name, value):
                continue
            if conditions_hold(rule, snap, when, ruleset.calendars):
                changes = _would(rule, snap, conn)
                if changes:
                    yield Replayed(snap.number, when, trigger.value, rule.name, changes)
