"""Frozen snapshots returned by reads: safe to hand to other threads and the UI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deskterm.store.schema.timefmt import iso
from deskterm.store.search.order import Cursor


@dataclass(frozen=True, slots=True)
class TicketRow:
    id: int
    number: int
    subject: str
    status: str
    priority: str
    channel: str
    customer_name: str
    customer_email: str
    assignee: str | None
    group: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    reopen_count: int
    message_count: int
    tags: tuple[str, ...]
    sla_policy: str | None
    due_at: datetime | None
    cursor: Cursor = field(compare=False, repr=False)
    unread: bool | None = None  # to the agent who listed it (None: no agent, not listed)
    tone: str = "calm"  # of its latest customer message: urgent, upset or calm

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "channel": self.channel,
            "customer": {"name": self.customer_name, "email": self.customer_email},
            "assignee": self.assignee,
            "group": self.group,
            "tags": list(self.tags),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "first_response_at": iso(self.first_response_at),
            "solved_at": iso(self.solved_at),
            "reopen_count": self.reopen_count,
            "message_count": self.message_count,
            "sla_policy": self.sla_policy,
            "due_at": iso(self.due_at),
            "unread": self.unread,
        }


@dataclass(frozen=True, slots=True)
class TicketPage:
    rows: tuple[TicketRow, ...]
    next: Cursor | None


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    id: int
    filename: str
    mime_type: str
    size: int
    sha256: str
    content_id: str | None
    inline: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size": self.size,
            "sha256": self.sha256,
            "inline": self.inline,
        }


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    kind: str
    author: str
    from_name: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str | None
    created_at: datetime
    attachments: tuple[AttachmentRecord, ...] = ()
    not_mailed: bool = False  # a reply on an email ticket that no [[mailbox]] could send
    sent_at: datetime | None = None  # a mail's own Date, when plausible; else None

    @property
    def written_at(self) -> datetime:
        """When the message was written: a mail's own Date, else when it was stored."""
        return self.sent_at or self.created_at

    @property
    def received_late(self) -> datetime | None:
        """When a mail reached us, if over an hour after it was written (shown beside it)."""
        if self.sent_at is None or self.created_at - self.sent_at <= timedelta(hours=1):
            return None
        return self.created_at

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "author": self.author,
            "from": {"name": self.from_name, "email": self.from_addr},
            "to": self.to_addrs,
            "cc": self.cc_addrs,
            "subject": self.subject,
            "body": self.body_text,
            "message_id": self.message_id,
            "created_at": iso(self.created_at),
            "sent_at": iso(self.sent_at),
            "attachments": [a.to_json() for a in self.attachments],
            "not_mailed": self.not_mailed,
        }


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    email: str
    name: str
    organization: str | None
    created_at: datetime
    ticket_count: int
    open_count: int
    note: str = ""  # what agents keep about the customer

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "organization": self.organization,
            "created_at": iso(self.created_at),
            "ticket_count": self.ticket_count,
            "open_count": self.open_count,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketRow
    customer: CustomerRecord
    messages: tuple[MessageRecord, ...]
    merged_into: int | None

    def to_json(self) -> dict[str, Any]:
        data = self.ticket.to_json()
        data["customer"] = self.customer.to_json()
        data["merged_into"] = self.merged_into
        data["messages"] = [m.to_json() for m in self.messages]
        return data


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    kind: str
    actor: str
    old: str | None
    new: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "actor": self.actor,
            "old": self.old,
            "new": self.new,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class CannedRecord:
    id: int
    name: str
    body: str
    actions: dict[str, Any]
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "body": self.body,
            "actions": self.actions,
            "updated_at": iso(self.updated_at),
        }

    @staticmethod
    def parse_actions(text: str) -> dict[str, Any]:
        value = json.loads(text or "{}")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: int
    name: str
    email: str
    role: str
    away: bool
    signature: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "away": self.away,
        }


@dataclass(frozen=True, slots=True)
class OrgRecord:
    id: int
    name: str
    domain: str | None
    customer_count: int
    open_count: int  # unresolved tickets of its customers

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "customer_count": self.customer_count,
            "open_count": self.open_count,
        }


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: int
    name: str
    members: tuple[str, ...]  # agents' addresses
    open_count: int  # unresolved tickets in the group

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "members": list(self.members),
            "open_count": self.open_count,
        }


@dataclass(frozen=True, slots=True)
class ViewRecord:
    name: str
    query: str
    position: int
