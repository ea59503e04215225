"""`Service`: every write on behalf of one actor, each one unit of work.

A thin facade: each method opens a `UnitOfWork` (`unit_of_work.transaction`),
calls the area function that makes the change (tickets, replies, outbox,
auto_mail, canned, people, rules, sla, read_marks) and commits after the hooks
of `hooks.BEFORE_COMMIT`. Callers get back numbers and ids, never live ORM
objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlmodel import Session

from deskterm.errors import UsageError
from deskterm.kb.article import ArticleDraft
from deskterm.kb.counts import KbEventKind
from deskterm.kb.survey import Answer
from deskterm.mail import compose as mc
from deskterm.rules.engine import Fired, RuleSet
from deskterm.rules.match import TicketSnapshot
from deskterm.rules.model import Trigger
from deskterm.store.queries import sla as sla_queries
from deskterm.store.queries.canned import render_canned
from deskterm.store.queries.catalog import get_organization
from deskterm.store.queries.rules import ticket_snapshot
from deskterm.store.schema.db import Store, own_connection, plain_connection
from deskterm.store.schema.models import Ticket
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service import (
    auto_mail,
    blocks,
    canned,
    customers,
    hooks,
    kb,
    kb_sync,
    lookups,
    outbox,
    people,
    people_sync,
    read_marks,
    replies,
    report_rollup,
    rules,
    sla,
    surveys,
    sync_ops,
    tickets,
    time_entries,
)
from deskterm.store.service.auto_mail import AutoMailResult
from deskterm.store.service.delivery import MailSettings
from deskterm.store.service.lookups import Created
from deskterm.store.service.records import stored
from deskterm.store.service.sync_journal import journaled, nothing_to_sync, refuse_offline
from deskterm.store.service.tickets import UNSET
from deskterm.store.service.unit_of_work import (
    Actor,
    Settings,
    UnitOfWork,
    transaction,
)
from deskterm.vocab import MessageKind, Priority, Role, Status, parse_choice

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig
    from deskterm.sla.policy import SlaSettings


class Service:
    """Writes on behalf of one actor; `clock` is injectable for tests and demo history."""

    def __init__(
        self,
        store: Store,
        actor: Actor,
        clock: Callable[[], datetime] = utcnow,
        *,
        sla: SlaSettings | None = None,
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        self.sla = sla
        self.ruleset = RuleSet()
        self.mail: MailSettings | None = None
        """Outgoing mail settings; None keeps replies in the store only."""

    def with_rules(self, ruleset: RuleSet) -> Self:
        self.ruleset = ruleset
        return self

    def with_mail(self, settings: MailSettings | None) -> Self:
        self.mail = settings
        return self

    def settings(self) -> Settings:
        return Settings(sla=self.sla, rules=self.ruleset, mail=self.mail)

    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        """One unit of work as this service's actor, with its settings and hooks."""
        with transaction(
            self.store, self.actor, self.clock, self.settings(), hooks.BEFORE_COMMIT
        ) as uow:
            yield uow

    # -- tickets -------------------------------------------------------------------

    @journaled(sync_ops.encode_create)
    def create_ticket(
        self,
        subject: str,
        body: str,
        customer_email: str,
        customer_name: str = "",
        *,
        priority: str = Priority.NORMAL,
        status: str = Status.NEW,
        channel: str = "email",
        tags: Iterable[str] = (),
        assignee: str | None = None,
        group: str | None = None,
        when: datetime | None = None,
        message_fields: dict[str, Any] | None = None,
        uid: str | None = None,
    ) -> Created:
        """A new ticket opened by the customer's first message (`uid`: made on a replica)."""
        with self.unit() as uow:
            return tickets.create_ticket(
                uow, subject, body, customer_email, customer_name, priority=priority,
                status=status, channel=channel, tags=tags, assignee=assignee, group=group,
                when=when, message_fields=message_fields, uid=uid,
            )  # fmt: skip

    def add_customer_message(
        self,
        number: int,
        body: str,
        *,
        reopen: bool = True,
        when: datetime | None = None,
        message_fields: dict[str, Any] | None = None,
    ) -> int:
        """A customer wrote again: reopens a solved ticket and wakes a pending one."""
        with self.unit() as uow:
            return tickets.add_customer_message(
                uow, number, body, reopen=reopen, when=when, message_fields=message_fields
            )

    @journaled(sync_ops.encode_reply)
    def add_reply(
        self, number: int, body: str, *, status: str | None = None, when: datetime | None = None
    ) -> int:
        """A public answer from the acting agent; the first one sets first_response_at."""
        with self.unit() as uow:
            return replies.agent_message(uow, number, body, MessageKind.REPLY, status, when)

    @journaled(sync_ops.encode_note)
    def add_note(self, number: int, body: str, *, when: datetime | None = None) -> int:
        """An internal note: never sent, never counts as a response."""
        with self.unit() as uow:
            return replies.agent_message(uow, number, body, MessageKind.NOTE, None, when)

    @journaled(sync_ops.encode_update)
    def update_tickets(
        self,
        numbers: Sequence[int],
        *,
        status: str | None = None,
        priority: str | None = None,
        assignee: str | None = UNSET,
        group: str | None = UNSET,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        subject: str | None = None,
    ) -> list[int]:
        """Change fields on several tickets at once, all or nothing.

        `assignee`/`group` of None clears them; leave them out to keep them.
        Returns the numbers that changed.
        """
        with self.unit() as uow:
            return tickets.update_tickets(
                uow, numbers, status=status, priority=priority, assignee=assignee, group=group,
                add_tags=add_tags, remove_tags=remove_tags, subject=subject,
            )  # fmt: skip

    def set_status(self, number: int, status: str) -> bool:
        return bool(self.update_tickets([number], status=status))

    def set_priority(self, number: int, priority: str) -> bool:
        return bool(self.update_tickets([number], priority=priority))

    def set_assignee(self, number: int, agent: str | None) -> bool:
        return bool(self.update_tickets([number], assignee=agent))

    def set_group(self, number: int, group: str | None) -> bool:
        return bool(self.update_tickets([number], group=group))

    def add_tags(self, number: int, tags: Iterable[str]) -> bool:
        return bool(self.update_tickets([number], add_tags=tags))

    def remove_tags(self, number: int, tags: Iterable[str]) -> bool:
        return bool(self.update_tickets([number], remove_tags=tags))

    @journaled(sync_ops.encode_merge)
    def merge(self, source: int, target: int) -> None:
        """Move every message of `source` into `target`; `source` closes, pointing there."""
        with self.unit() as uow:
            tickets.merge(uow, source, target)

    @journaled(refuse_offline("splitting a ticket"))
    def split(self, number: int, message_id: int) -> Created:
        """A new ticket from `message_id` and every later message of the thread."""
        with self.unit() as uow:
            return tickets.split(uow, number, message_id)

    @journaled(sync_ops.encode_mark_read)
    def mark_read(self, number: int, *, seen: datetime | None = None) -> bool:
        """The actor has seen ticket `number` as it is now (`seen`: as it was then, on a
        replica); False when it was already marked."""
        if self.actor.agent_id is None:
            raise UsageError("only an agent can mark a ticket read: set [agent] email")
        with self.unit() as uow:
            marked = read_marks.mark(uow, lookups.ticket(uow.session, number), seen)
            if not marked:
                nothing_to_sync()
            return marked

    @journaled(sync_ops.encode_log_time)
    def log_time(
        self, number: int, seconds: int, *, note: str = "", when: datetime | None = None
    ) -> int:
        """Time the acting agent spent on ticket `number`, ending now; returns the entry id."""
        with self.unit() as uow:
            return time_entries.log_time(uow, number, seconds, note, when or uow.clock())

    @journaled(sync_ops.encode_track_time)
    def track_time(self, number: int, started_at: datetime, seconds: int) -> int:
        """Active time the app measured with ticket `number` open; returns the entry id."""
        with self.unit() as uow:
            return time_entries.track_time(uow, number, started_at, seconds)

    # -- mail ----------------------------------------------------------------------

    @journaled(sync_ops.encode_send)
    def send_reply(
        self,
        number: int,
        body: str,
        *,
        attachments: Sequence[Path] = (),
        attached: Sequence[mc.OutgoingAttachment] = (),
        status: str | None = None,
        mailbox: MailboxConfig | None = None,
        undo_seconds: float | None = None,
        quote_original: bool | None = None,
        when: datetime | None = None,
    ) -> tuple[int, int | None]:
        """Reply and queue it as mail: (message id, outbox id or None if not mailed).

        Not mailed when the ticket's channel is not email or no [[mailbox]] has an
        smtp_host; the reply and its attachments are stored either way. `attached`:
        files already read (a replica's reply, run again on the server).
        """
        files = [*outbox.read_attachments(attachments), *attached]
        with self.unit() as uow:
            return replies.send_reply(
                uow, number, body, status, when, files, mailbox, undo_seconds, quote_original
            )

    def keep_file(self, data: bytes) -> str:
        """Store a file ahead of the reply that attaches it (a replica's upload); its sha256."""
        with self.unit() as uow:
            return outbox.keep(uow.session, data)

    def cancel(self, outbox_id: int) -> str:
        """Take back a mail not yet sent: the reply is removed; returns its text."""
        with self.unit() as uow:
            return outbox.cancel(uow, outbox_id)

    def retry(self, outbox_id: int) -> None:
        """Try a failed or retrying mail again now."""
        with self.unit() as uow:
            outbox.retry(uow, outbox_id)

    def queue_acknowledgement(self, number: int, *, when: datetime | None = None) -> AutoMailResult:
        """The "we got your mail" answer to a new ticket, unless it must not get one."""
        with self.unit() as uow:
            return auto_mail.acknowledge(uow, number, when)

    # -- canned replies --------------------------------------------------------------

    def render_canned(self, number: int, name: str) -> tuple[str, dict[str, Any]]:
        """The rendered body and the actions of canned reply `name` for ticket `number`."""
        return render_canned(self.store, self.actor.agent_id, number, name)

    @journaled(sync_ops.encode_canned)
    def apply_canned(
        self, number: int, name: str, *, body: str | None = None, as_note: bool = False
    ) -> int:
        """Reply (or note) with canned reply `name` and run its actions, in one transaction.

        `body` replaces the rendered text (the agent edited it in the composer).
        """
        with self.unit() as uow:
            return canned.apply(uow, lookups.ticket(uow.session, number), name, body, as_note)

    @journaled(sync_ops.encode_canned_save)
    def save_canned(
        self, name: str, body: str, actions: dict[str, Any] | None = None, *, create: bool = True
    ) -> None:
        """Add (or with create=False, replace) a canned reply; refuse a broken template."""
        with self.unit() as uow:
            canned.save(uow, name, body, actions, create=create)

    @journaled(sync_ops.encode_canned_remove)
    def remove_canned(self, name: str) -> None:
        with self.unit() as uow:
            canned.remove(uow, name)

    # -- knowledge base ----------------------------------------------------------------

    @journaled(kb_sync.encode_save)
    def save_article(
        self, draft: ArticleDraft, *, slug_before: str | None = None, uid: str | None = None
    ) -> str:
        """Add an article, or change the one at `slug_before` (its old URL redirects); its slug."""
        with self.unit() as uow:
            return kb.save(uow, draft, slug_before, uid)

    @journaled(kb_sync.encode_import)
    def import_articles(
        self, drafts: Sequence[ArticleDraft], *, uids: Sequence[str | None] = ()
    ) -> tuple[int, int]:
        """Save many articles at once, all or nothing, by slug: (added, changed)."""
        with self.unit() as uow:
            return kb.import_all(uow, drafts, uids)

    @journaled(kb_sync.encode_remove)
    def remove_article(self, slug: str) -> None:
        with self.unit() as uow:
            kb.remove(uow, slug)

    @journaled(kb_sync.encode_count)
    def count_kb(self, kind: str, slug: str | None = None, *, ticket: int | None = None) -> None:
        """Count one use of the knowledge base (a view, a helpful click, a link in a reply)."""
        with self.unit() as uow:
            kb.count(uow, parse_choice(KbEventKind, kind, "kb event"), slug, ticket)

    def count_kb_views(self, views: Sequence[tuple[str, datetime]]) -> None:
        """Count a batch of public article views (slug, when) in one write; a view of an
        article removed since counts for no article."""
        with self.unit() as uow:
            kb.count_views(uow, views)

    # -- satisfaction survey -----------------------------------------------------------

    def answer_survey(self, number: int, answer: Answer, *, rating_only: bool = False) -> bool:
        """Keep a customer's survey answer and make it the ticket's (the public page's);
        False when it repeats the latest (see `surveys.answer`)."""
        with self.unit() as uow:
            return surveys.answer(uow, number, answer, rating_only=rating_only)

    # -- rules -------------------------------------------------------------------------

    def snapshot(self, s: Session, ticket: Ticket) -> TicketSnapshot:
        """The ticket as rule conditions see it, read inside session `s`."""
        s.flush()
        db = plain_connection(s.connection())
        return ticket_snapshot(db, stored(ticket.id))

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
                    with self.unit() as uow:
                        rules.time_rule(uow, rule, row.number)
                        fired.extend(uow.fired)
                if page.next is None:
                    break
                after = page.next
        return fired

    # -- SLA ---------------------------------------------------------------------------

    def sla_targets(self, number: int) -> tuple[sla_queries.TargetState, ...]:
        """Each SLA target of ticket `number` as the ticket header shows it (read-only)."""
        return sla_queries.sla_targets(self.store, self.sla, number, self.clock())

    def explain_sla(self, number: int) -> list[str]:
        """Why each due time of ticket `number` is what it is (nothing is written)."""
        return sla_queries.explain_sla(self.store, self.sla, number, self.clock())

    def check_breaches(self, limit: int = 1000) -> list[int]:
        """Record breaches whose due time has passed; returns the ticket numbers."""
        if self.sla is None:
            return []
        with self.unit() as uow:
            return sla.check_breaches(uow, limit)

    def recompute_sla(self, numbers: list[int] | None = None, batch: int = 500) -> int:
        """Recompute due times (after a policy change in the config); returns how many."""
        if self.sla is None:
            return 0
        done, after = 0, 0
        while True:
            with self.unit() as uow:
                count, after = sla.recompute_batch(uow, numbers, after, batch)
            if not count:
                return done
            done += count

    # -- reports -------------------------------------------------------------------------

    def rebuild_reports(
        self, calendar_spec: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Recompute the rollups of every ticket (on `calendar_spec` if given); returns how many."""
        conn = own_connection(self.store)
        try:
            return report_rollup.rebuild(conn, calendar_spec, progress)
        finally:
            conn.close()

    # -- people and settings -----------------------------------------------------------

    @journaled(refuse_offline("adding an agent"))
    def add_agent(self, name: str, email: str, role: str = Role.AGENT) -> tuple[int, str]:
        """A new agent and their API token (shown once; only its hash is kept)."""
        with self.unit() as uow:
            return people.add_agent(uow, name, email, role)

    def ensure_agent(self, name: str, email: str, role: str = Role.AGENT) -> int:
        """The id of the agent with `email`, creating it (with no token) if new."""
        with self.unit() as uow:
            return people.ensure_agent(uow, name, email, role)

    @journaled(people_sync.encode_set_away)
    def set_away(self, email: str, away: bool) -> None:
        with self.unit() as uow:
            people.set_away(uow, email, away)

    @journaled(refuse_offline("adding a group"))
    def add_group(self, name: str, members: Iterable[str] = ()) -> int:
        with self.unit() as uow:
            return people.add_group(uow, name, members)

    @journaled(refuse_offline("adding an organization"))
    def add_organization(self, name: str, domain: str | None = None) -> int:
        """An organization; existing customers at `domain` join it."""
        with self.unit() as uow:
            return people.add_organization(uow, name, domain)

    @journaled(refuse_offline("changing an organization"))
    def edit_organization(
        self, key: int | str, name: str | None = None, domain: str | None = None
    ) -> int:
        """Rename organization `key` (id, name or domain) or change its domain; its id."""
        org_id = get_organization(self.store, key).id
        with self.unit() as uow:
            people.edit_organization(uow, org_id, name, domain)
        return org_id

    @journaled(people_sync.encode_save_view)
    def save_view(self, name: str, query: str, position: int | None = None) -> None:
        with self.unit() as uow:
            people.save_view(uow, name, query, position)

    @journaled(people_sync.encode_remove_view)
    def remove_view(self, name: str) -> None:
        with self.unit() as uow:
            people.remove_view(uow, name)

    @journaled(refuse_offline("removing a group"))
    def remove_group(self, name: str) -> int:
        """Remove a group; returns how many tickets lost it."""
        with self.unit() as uow:
            return people.remove_group(uow, name)

    @journaled(refuse_offline("changing a group's members"))
    def set_members(self, name: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        with self.unit() as uow:
            people.set_members(uow, name, add, remove)

    @journaled(refuse_offline("changing an agent's role"))
    def set_role(self, key: str, role: str) -> None:
        with self.unit() as uow:
            people.set_role(uow, key, role)

    @journaled(refuse_offline("revoking a token"))
    def revoke_token(self, key: str) -> bool:
        """Forget an agent's API token; False if they had none."""
        with self.unit() as uow:
            return people.revoke_token(uow, key)

    # -- customers ---------------------------------------------------------------------

    @journaled(refuse_offline("changing a customer"))
    def edit_customer(
        self,
        key: int | str,
        *,
        name: str | None = None,
        email: str | None = None,
        org_id: int | None = UNSET,
    ) -> int:
        """Change a customer's name, address or organization (None: none); returns its id."""
        with self.unit() as uow:
            return customers.edit(uow, key, name=name, email=email, org_id=org_id)

    @journaled(refuse_offline("changing a customer"))
    def set_customer_note(self, key: int | str, note: str) -> int:
        """Replace what agents keep about a customer ("" clears it); returns its id."""
        with self.unit() as uow:
            return customers.set_note(uow, key, note)

    @journaled(refuse_offline("merging customers"))
    def merge_customers(self, source: int | str, target: int | str) -> list[int]:
        """Make `source` part of `target`: tickets, messages, note; returns the tickets moved."""
        with self.unit() as uow:
            return customers.merge(uow, source, target)

    # -- blocked senders -----------------------------------------------------------------

    @journaled(refuse_offline("blocking a sender"))
    def block_sender(self, sender: str, reason: str = "") -> str:
        """Quarantine mail from `sender` (an address or "@domain") from now on."""
        with self.unit() as uow:
            return blocks.block(uow, sender, reason)

    @journaled(refuse_offline("unblocking a sender"))
    def unblock_sender(self, sender: str) -> str:
        with self.unit() as uow:
            return blocks.unblock(uow, sender)

    @journaled(refuse_offline("marking spam"))
    def mark_spam(self, numbers: Sequence[int]) -> list[str]:
        """Close the tickets (tagged spam) and block their senders, all or nothing."""
        with self.unit() as uow:
            return blocks.mark_spam(uow, numbers)
