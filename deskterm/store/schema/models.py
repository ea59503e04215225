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
    bounced_at: datetime | None = None  # last hard bounce: the address is flagged
    bounce_reason: str | None = None
    note: str = ""  # what agents keep about them (`customers note`)
    # Merged into another customer: mail from this address goes to that one.
    merged_into_id: int | None = None  # customer.id (no FK: added by ALTER in 0016)


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
        Index("ix_ticket_due", "due_at", "id"),
        Index("ux_ticket_uid", "uid", unique=True),
        Index("ix_ticket_sync_version", "sync_version", "id"),
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
    # SLA: the policy that applied at the last change, and its due times.
    sla_policy: str | None = None
    first_reply_due_at: datetime | None = None
    next_reply_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    due_at: datetime | None = None  # earliest target not yet met
    sla_breached: str | None = None  # targets whose breach is recorded, comma separated
    # Tone of the latest customer message: the cue words, "" for none, NULL when not read yet.
    urgent_words: str | None = None
    upset_words: str | None = None
    # Sync: the id a replica gave a ticket it made offline (numbers come from the server),
    # and the server's change sequence at the ticket's last change (what a pull asks after).
    uid: str | None = None
    sync_version: int = 0
    # The latest satisfaction survey answer (every answer: SurveyAnswer); NULL: none yet.
    csat: str | None = None  # great | okay | not_good
    csat_effort: int | None = None  # 1 (very hard) .. 7 (very easy)
    csat_comment: str | None = None
    csat_at: datetime | None = None


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tag"
    __table_args__ = (Index("ix_ticket_tag_tag", "tag_id", "ticket_id"),)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)


class Message(SQLModel, table=True):
    __table_args__ = (
        Index("ix_message_ticket", "ticket_id", "id"),
        Index("ux_message_dedupe_key", "dedupe_key", unique=True),
        Index("ix_message_raw_mail", "raw_mail_id"),
        Index("ix_message_in_reply_to", "in_reply_to"),
        Index("ix_message_id_ticket", "id", "ticket_id"),  # search: hit -> ticket
    )
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
    raw_mail_id: int | None = None  # raw_mail.id (no FK: added by ALTER in migration 0003)
    # Same mail seen twice (two mailboxes, CC'd twice, re-delivered) has one key.
    dedupe_key: str | None = None
    mailbox: str | None = None  # the support address it arrived at or left from
    auto_kind: str | None = None  # auto_reply | list | bulk | bounce | delay, for automatic mail
    sent_at: datetime | None = None  # the mail's own Date header, when plausible


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


class BlockedSender(SQLModel, table=True):
    """An address (or "@domain") whose mail ingest quarantines with `reason`."""

    __tablename__ = "blocked_sender"
    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(unique=True)  # lower-cased address, or "@domain"
    reason: str
    created_at: datetime


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


class RawMail(SQLModel, table=True):
    """A mail exactly as received, kept so parsing can be re-run after a fix."""

    __tablename__ = "raw_mail"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime


class MailboxState(SQLModel, table=True):
    """How far a mailbox folder has been read; advanced with each stored mail."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("address", "folder"),)
    id: int | None = Field(default=None, primary_key=True)
    address: str
    folder: str
    uidvalidity: int | None = None
    last_uid: int = 0
    highestmodseq: int | None = None
    last_fetch_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


class MailReceipt(SQLModel, table=True):
    """One row per (mailbox folder, UIDVALIDITY, UID) taken in: the exactly-once ledger."""

    __tablename__ = "mail_receipt"
    mailbox_state_id: int = Field(foreign_key="mailbox_state.id", primary_key=True)
    uidvalidity: int = Field(primary_key=True)
    uid: int = Field(primary_key=True)
    raw_mail_id: int = Field(foreign_key="raw_mail.id")
    received_at: datetime


class Quarantine(SQLModel, table=True):
    """A mail that could not be parsed at all: kept whole, with the reason."""

    id: int | None = Field(default=None, primary_key=True)
    raw_mail_id: int = Field(foreign_key="raw_mail.id")
    source: str  # mailbox/folder/uid or a file path
    reason: str
    created_at: datetime
    resolved_at: datetime | None = None
    message_id: int | None = Field(default=None, foreign_key="message.id")


class Outbox(SQLModel, table=True):
    """An outgoing mail, fixed (headers and bytes) before its first attempt."""

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = "reply"  # reply | auto_ack | solved_notice | rule
    mailbox: str  # From address
    rfc_message_id: str
    recipients: str  # JSON list of envelope recipients
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: str = "waiting"  # waiting | sending | sent | retrying | failed | cancelled
    not_before: datetime  # end of the undo window
    next_attempt_at: datetime
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None


class AutoMailLog(SQLModel, table=True):
    """Automatic mails sent, per address: the daily cap reads it."""

    __tablename__ = "auto_mail_log"
    __table_args__ = (Index("ix_auto_mail_log_addr", "address", "sent_at"),)
    id: int | None = Field(default=None, primary_key=True)
    address: str
    kind: str
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    sent_at: datetime


class TicketRead(SQLModel, table=True):
    """When an agent last saw a ticket: the ticket is unread to them once it changes after."""

    __tablename__ = "ticket_read"
    __table_args__ = (Index("ix_ticket_read_agent_sync", "agent_id", "sync_version"),)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    read_at: datetime  # the ticket's updated_at as the agent saw it
    sync_version: int = 0  # the sync stamp of a mark made on its own (the agent's replicas pull it)


class RuleFiring(SQLModel, table=True):
    """The ledger that makes a rule fire at most once per event."""

    __tablename__ = "rule_firing"
    rule: str = Field(primary_key=True)
    ticket_id: int = Field(primary_key=True)
    event_key: str = Field(primary_key=True)
    fired_at: datetime


class TimeEntry(SQLModel, table=True):
    """Time an agent spent on a ticket: tracked by the app or logged by hand."""

    __tablename__ = "time_entry"
    __table_args__ = (
        Index("ix_time_entry_ticket", "ticket_id", "started_at"),
        Index("ix_time_entry_agent", "agent_id", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    started_at: datetime
    seconds: int
    source: str = "manual"  # manual | tracked
    note: str = ""


class ReportMeta(SQLModel, table=True):
    """The rollups' own state: `state` (ready | stale) and the business `calendar` used."""

    __tablename__ = "report_meta"
    key: str = Field(primary_key=True)
    value: str


class ReportTicket(SQLModel, table=True):
    """Each ticket's contribution to the rollups (JSON), taken out again when it changes."""

    __tablename__ = "report_ticket"
    ticket_id: int = Field(primary_key=True)
    facts: str


class ReportDue(SQLModel, table=True):
    """A ticket changed since its rollups were last brought up to date (`report_hook`)."""

    __tablename__ = "report_due"
    ticket_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class ReportCount(SQLModel, table=True):
    """Per-day sums of count facts, by dimension (agent, tag, group, ...; "" for all)."""

    __tablename__ = "report_count"
    day: int = Field(primary_key=True)  # days since 1970-01-01, UTC
    metric: str = Field(primary_key=True)
    dim: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    n: int = 0


class ReportHist(SQLModel, table=True):
    """Per-day histograms of durations: which bucket holds a percentile, in a few rows."""

    __tablename__ = "report_hist"
    metric: str = Field(primary_key=True)
    measure: str = Field(primary_key=True)  # calendar | business
    agent_id: int = Field(primary_key=True)  # 0: nobody; -1: everyone together
    day: int = Field(primary_key=True)
    bucket: int = Field(primary_key=True)
    n: int = 0


class ReportDuration(SQLModel, table=True):
    """Every duration, indexed by bucket and day: a percentile reads one bucket's rows."""

    __tablename__ = "report_duration"
    __table_args__ = (
        Index("ix_report_duration_ticket", "ticket_id"),
        Index(
            "ix_report_duration_calendar",
            "metric",
            "calendar_bucket",
            "day",
            "agent_id",
            "calendar_s",
        ),
        Index(
            "ix_report_duration_business",
            "metric",
            "business_bucket",
            "day",
            "agent_id",
            "business_s",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int
    metric: str
    day: int
    agent_id: int
    calendar_s: float
    business_s: float
    calendar_bucket: int
    business_bucket: int


class SyncClient(SQLModel, table=True):
    """Server side: each replica and the last of its mutations applied (pushes are idempotent)."""

    __tablename__ = "sync_client"
    client_id: str = Field(primary_key=True)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    last_mutation_id: int = 0
    last_seen_at: datetime


class SyncNotice(SQLModel, table=True):
    """Server side: why a replica's mutation was not applied as written (shown to its agent)."""

    __tablename__ = "sync_notice"
    client_id: str = Field(primary_key=True)
    mutation_id: int = Field(primary_key=True)
    text: str


class SyncOp(SQLModel, table=True):
    """Replica side: a service call made here, queued for the server to run again."""

    __tablename__ = "sync_op"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)  # the mutation id, never reused
    name: str
    args: str  # JSON
    tickets: str  # JSON list of ticket refs it touched here: rebuilt from the server on pull
    created_at: datetime
    notice: str | None = None


class SyncState(SQLModel, table=True):
    """Replica side: where the server is, this replica's client id, its cursor, its last sync."""

    __tablename__ = "sync_state"
    name: str = Field(primary_key=True)
    value: str


class Article(SQLModel, table=True):
    """A knowledge-base article (Markdown); `uid` names it across replicas, `slug` in URLs."""

    # Lists by section, and the related articles of a page read from the index alone:
    # ranking a section's articles by shared tags never reads their bodies.
    __table_args__ = (
        Index("ix_article_related", "section", "locale", "status", "tags", "slug", "updated_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    slug: str = Field(unique=True)
    title: str
    body: str
    section: str = ""
    tags: str = "[]"  # JSON list
    status: str = "draft"  # published | draft
    locale: str = "en"
    created_at: datetime
    updated_at: datetime
    sync_version: int = Field(default=0, index=True)  # the sync stamp of its last change


class ArticleGone(SQLModel, table=True):
    """A removed article: a replica that pulls after `sync_version` removes it too."""

    __tablename__ = "article_gone"
    uid: str = Field(primary_key=True)
    sync_version: int = Field(index=True)


class ArticleSlug(SQLModel, table=True):
    """A slug an article had before: its old URL redirects to the article."""

    __tablename__ = "article_slug"
    slug: str = Field(primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)


class KbEvent(SQLModel, table=True):
    """One counted use of the knowledge base: a view, a helpful click, a link in a reply..."""

    __tablename__ = "kb_event"
    __table_args__ = (Index("ix_kb_event_kind_created", "kind", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    article_id: int | None = Field(default=None, foreign_key="article.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime


class SurveyAnswer(SQLModel, table=True):
    """One answer to a ticket's satisfaction survey; a changed answer adds a row."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("ix_survey_answer_ticket", "ticket_id", "id"),
        Index("ix_survey_answer_answered", "answered_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    rating: str
    effort: int | None = None
    comment: str = ""
    answered_at: datetime


class SiteSecret(SQLModel, table=True):
    """A key this store made for itself (`survey`: signs the survey links)."""

    __tablename__ = "site_secret"
    name: str = Field(primary_key=True)
    value: str
    created_at: datetime
