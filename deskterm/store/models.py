"""SQLModel tables: the schema the service layer writes and Alembic migrates.

Times are aware UTC datetimes (SQLite keeps them as naive UTC text). Enumerations
are stored as their string values (see `vocab`), so raw SQL reads see plain text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    domain: str | None = Field(default=None, index=True)
    created_at: datetime


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)  # lower-cased
    name: str = ""
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    created_at: datetime


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    email: str = Field(unique=True)
    role: str = "agent"
    token_hash: str | None = None
    away: bool = False
    signature: str = ""
    created_at: datetime


class AgentGroup(SQLModel, table=True):
    __tablename__ = "agent_group"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_member"
    group_id: int = Field(foreign_key="agent_group.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)


class Counter(SQLModel, table=True):
    """Monotonic counters (ticket numbers): incremented in the writer's transaction."""

    name: str = Field(primary_key=True)
    value: int = 0


class Ticket(SQLModel, table=True):
    __table_args__ = (
        Index("ix_ticket_status_updated", "status", "updated_at", "id"),
        Index("ix_ticket_updated", "updated_at", "id"),
        Index("ix_ticket_assignee_status", "assignee_id", "status", "updated_at"),
        Index("ix_ticket_customer", "customer_id", "updated_at"),
        Index("ix_ticket_created", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    subject: str
    status: str = "new"
    priority: str = "normal"
    channel: str = "email"
    customer_id: int = Field(foreign_key="customer.id")
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    group_id: int | None = Field(default=None, foreign_key="agent_group.id")
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    reopen_count: int = 0
    message_count: int = 0
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tag"
    __table_args__ = (Index("ix_ticket_tag_tag", "tag_id", "ticket_id"),)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)


class Message(SQLModel, table=True):
    __table_args__ = (Index("ix_message_ticket", "ticket_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: str
    author_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    author_customer_id: int | None = Field(default=None, foreign_key="customer.id")
    from_name: str = ""
    from_addr: str = ""
    to_addrs: str = ""
    cc_addrs: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str | None = None
    message_id: str | None = Field(default=None, index=True)
    in_reply_to: str | None = None
    references: str | None = None
    created_at: datetime


class Attachment(SQLModel, table=True):
    """File contents, stored once per sha256 however many messages carry them."""

    sha256: str = Field(primary_key=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MessageAttachment(SQLModel, table=True):
    __tablename__ = "message_attachment"
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    sha256: str = Field(foreign_key="attachment.sha256")
    filename: str
    mime_type: str = "application/octet-stream"
    content_id: str | None = None
    inline: bool = False


class CannedReply(SQLModel, table=True):
    __tablename__ = "canned_reply"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    body: str
    actions: str = "{}"  # JSON: {"status": ..., "add_tags": [...], "assign": ...}
    created_at: datetime
    updated_at: datetime


class View(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str
    query: str
    position: int = 0


class Event(SQLModel, table=True):
    """The audit trail: who changed what on a ticket, old -> new, when."""

    __table_args__ = (Index("ix_event_ticket", "ticket_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    actor_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    actor: str = ""  # display label: agent name, "customer", "system", "rule:NAME"
    kind: str
    old: str | None = None
    new: str | None = None
    created_at: datetime
