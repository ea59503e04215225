"""Canned replies: applying one to a ticket with its actions, adding and removing them.

What a template sees (and the preview) is a read: `queries.canned`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from deskterm import canned
from deskterm.errors import NotFoundError, UsageError
from deskterm.store.queries.canned import template_context
from deskterm.store.schema.models import (
    CannedReply,
    Ticket,
)
from deskterm.store.service import lookups, records, replies, tickets
from deskterm.store.service.lookups import normalize_tag
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import EventKind, MessageKind, Priority, Status, parse_choice


def apply(uow: UnitOfWork, ticket: Ticket, name: str, body: str | None, as_note: bool) -> int:
    """Reply (or note) with canned reply `name` and run its actions.

    `body` replaces the rendered text (the agent edited it in the composer).
    """
    when = uow.clock()
    s = uow.session
    reply = lookups.canned_reply(s, name)
    actions = json.loads(reply.actions or "{}")
    if body is None:
        s.flush()
        context = template_context(uow.db, stored(ticket.id), uow.actor.agent_id)
        body = canned.render(name, reply.body, context)
    kind = MessageKind.NOTE if as_note else MessageKind.REPLY
    message_id = replies.agent_message(uow, ticket.number, body, kind, actions.get("status"), when)
    uow.touch(ticket.id, ticket)
    records.write_event(uow, ticket.id, EventKind.CANNED, None, name, when)
    for tag in actions.get("add_tags", []):
        tickets.set_tag(uow, ticket, normalize_tag(tag), add=True, when=when)
    if actions.get("priority"):
        prio = parse_choice(Priority, actions["priority"], "priority")
        tickets.set_priority(uow, ticket, prio, when)
    if actions.get("assign"):
        tickets.set_assignee(uow, ticket, lookups.agent_id(uow, actions["assign"]), when)
    return message_id


def save(
    uow: UnitOfWork,
    name: str,
    body: str,
    actions: dict[str, Any] | None = None,
    *,
    create: bool = True,
) -> None:
    """Add (or with create=False, replace) a canned reply; refuse a broken template."""
    name = name.strip()
    if not name:
        raise UsageError("a canned reply needs a name")
    canned.check(name, body)
    actions = validate_actions(actions or {})
    when = uow.clock()
    s = uow.session
    reply = s.exec(select(CannedReply).where(CannedReply.name == name)).first()
    if create and reply is not None:
        raise UsageError(f"canned reply {name!r} exists; use `deskterm canned edit`")
    if actions.get("assign") and actions["assign"] != "me":
        lookups.agent(s, actions["assign"])  # refuse an unknown agent now, not at use
    if reply is None:
        if not create:
            raise NotFoundError(f"no canned reply named {name!r}")
        reply = CannedReply(name=name, body=body, created_at=when, updated_at=when)
    reply.body = body
    reply.actions = json.dumps(actions, sort_keys=True)
    reply.updated_at = when
    s.add(reply)


def remove(uow: UnitOfWork, name: str) -> None:
    uow.session.delete(lookups.canned_reply(uow.session, name))


_ACTION_KEYS = {"status", "priority", "add_tags", "assign"}


def validate_actions(actions: dict[str, Any]) -> dict[str, Any]:
    """Check a canned reply's actions before they are stored, with one-line errors."""
    unknown = set(actions) - _ACTION_KEYS
    if unknown:
        raise UsageError(
            f"unknown canned action {sorted(unknown)[0]!r}"
            f" (known: {', '.join(sorted(_ACTION_KEYS))})"
        )
    for key in ("status", "priority", "assign"):
        if actions.get(key) is not None and not isinstance(actions[key], str):
            raise UsageError(f"canned action {key}: must be text, not {actions[key]!r}")
    out: dict[str, Any] = {}
    if actions.get("status"):
        out["status"] = parse_choice(Status, actions["status"], "status").value
    if actions.get("priority"):
        out["priority"] = parse_choice(Priority, actions["priority"], "priority").value
    if actions.get("add_tags"):
        tags = actions["add_tags"]
        tags = [tags] if isinstance(tags, str) else tags
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise UsageError(f"canned action add_tags: must be a list of tags, not {tags!r}")
        out["add_tags"] = [normalize_tag(t) for t in tags]
    if actions.get("assign"):
        out["assign"] = actions["assign"]
    return out
