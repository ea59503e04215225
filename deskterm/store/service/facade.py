"""`Service`: every write on behalf of one actor, each one unit of work.

A thin facade: each method opens a `UnitOfWork` (`unit_of_work.transaction`),
calls the area function that makes the change (tickets, replies, outbox,
auto_mail, canned, people, rules, sla, read_marks, ...) and commits after the
hooks of `hooks.BEFORE_COMMIT`; most are just that, one line each (`in_unit`).
Callers get back numbers and ids, never live ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from sqlmodel import Session

from deskterm.errors import UsageError
from deskterm.kb.article import ArticleDraft
from deskterm.kb.counts import KbEventKind
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
    report_hook,
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
from deskterm.store.service.records import stored
from deskterm.store.service.sync_journal import (
    Encoder,
    as_op,
    journaled,
    nothing_to_sync,
    refuse_offline,
)
from deskterm.store.service.unit_of_work import (
    Actor,
    Settings,
    UnitOfWork,
    transaction,
)
from deskterm.vocab import MessageKind, parse_choice

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig
    from deskterm.sla.policy import SlaSettings


P = ParamSpec("P")
R = TypeVar("R")


class in_unit(Generic[P, R]):
    """A `Service` method that is one area function in a unit of work of its own.

    `merge = in_unit(tickets.merge, journal=sync_ops.encode_merge)` reads:
    `service.merge(a, b)` opens a unit as the service's actor, calls
    `tickets.merge(uow, a, b)`, runs the hooks and commits; on a replica the call is
    one sync op, `journal`'s encoding of it (as with `sync_journal.journaled`). The
    method takes the area function's arguments after the unit, as typed there.
    """

    def __init__(
        self, change: Callable[Concatenate[UnitOfWork, P], R], *, journal: Encoder | None = None
    ) -> None:
        self.change = change
        self.journal = journal
        self.__doc__ = change.__doc__

    @overload
    def __get__(self, service: None, owner: type[Service]) -> in_unit[P, R]: ...

    @overload
    def __get__(self, service: Service, owner: type[Service]) -> Callable[P, R]: ...

    def __get__(
        self, service: Service | None, owner: type[Service]
    ) -> in_unit[P, R] | Callable[P, R]:
        if service is None:
            return self
        change, journal = self.change, self.journal

        def method(*args: P.args, **kwargs: P.kwargs) -> R:
            def run() -> R:
                with service.unit() as uow:
                    return change(uow, *args, **kwargs)

            return run() if journal is None else as_op(service, journal, args, kwargs, run)

        method.__doc__ = change.__doc__
        return method


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

    create_ticket = in_unit(tickets.create_ticket, journal=sync_ops.encode_create)

    add_customer_message = in_unit(tickets.add_customer_message)

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

    update_tickets = in_unit(tickets.update_tickets, journal=sync_ops.encode_update)

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

    merge = in_unit(tickets.merge, journal=sync_ops.encode_merge)

    split = in_unit(tickets.split, journal=refuse_offline("splitting a ticket"))

    @journaled(sync_ops.encode_mark_read)
    def mark_read(self, number: int, *, seen: datetime | None = None) -> bool:
        """The actor has seen ticket `number` as it is now (`seen`: as it was then, on a
        replica); False when it was already marked."""
        if self.actor.agent_id is None:
            raise UsageError("only an agent can mark a ticket read: set [agent] email")
        with self.unit() as uow:
            marked = read_marks.mark_alone(uow, lookups.ticket(uow.session, number), seen)
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

    track_time = in_unit(time_entries.track_time, journal=sync_ops.encode_track_time)

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

    cancel = in_unit(outbox.cancel)

    retry = in_unit(outbox.retry)

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

    save_canned = in_unit(canned.save, journal=sync_ops.encode_canned_save)

    remove_canned = in_unit(canned.remove, journal=sync_ops.encode_canned_remove)

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

    remove_article = in_unit(kb.remove, journal=kb_sync.encode_remove)

    @journaled(kb_sync.encode_count)
    def count_kb(self, kind: str, slug: str | None = None, *, ticket: int | None = None) -> None:
        """Count one use of the knowledge base (a view, a helpful click, a link in a reply)."""
        with self.unit() as uow:
            kb.count(uow, parse_choice(KbEventKind, kind, "kb event"), slug, ticket)

    count_kb_views = in_unit(kb.count_views)

    # -- satisfaction survey -----------------------------------------------------------

    answer_survey = in_unit(surveys.answer)

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
        from deskterm.store.queries.tickets import list_tickets
        from deskterm.store.search.filters import QueryContext

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

    def catch_up_reports(self) -> int:
        """Bring the rollups up to date with the changes marked due since the last catch-up
        (before a report reads them, and each minute); how many tickets were recounted."""
        if not report_hook.anything_due(self.store.read()):
            return 0
        with self.unit() as uow:
            return report_hook.catch_up(uow.db)

    # -- people and settings -----------------------------------------------------------

    add_agent = in_unit(people.add_agent, journal=refuse_offline("adding an agent"))

    ensure_agent = in_unit(people.ensure_agent)

    set_away = in_unit(people.set_away, journal=people_sync.encode_set_away)

    add_group = in_unit(people.add_group, journal=refuse_offline("adding a group"))

    add_organization = in_unit(
        people.add_organization, journal=refuse_offline("adding an organization")
    )

    @journaled(refuse_offline("changing an organization"))
    def edit_organization(
        self, key: int | str, name: str | None = None, domain: str | None = None
    ) -> int:
        """Rename organization `key` (id, name or domain) or change its domain; its id."""
        org_id = get_organization(self.store, key).id
        with self.unit() as uow:
            people.edit_organization(uow, org_id, name, domain)
        return org_id

    save_view = in_unit(people.save_view, journal=people_sync.encode_save_view)

    remove_view = in_unit(people.remove_view, journal=people_sync.encode_remove_view)

    remove_group = in_unit(people.remove_group, journal=refuse_offline("removing a group"))

    set_members = in_unit(people.set_members, journal=refuse_offline("changing a group's members"))

    set_role = in_unit(people.set_role, journal=refuse_offline("changing an agent's role"))

    revoke_token = in_unit(people.revoke_token, journal=refuse_offline("revoking a token"))

    # -- customers ---------------------------------------------------------------------

    edit_customer = in_unit(customers.edit, journal=refuse_offline("changing a customer"))

    set_customer_note = in_unit(customers.set_note, journal=refuse_offline("changing a customer"))

    @journaled(refuse_offline("merging customers"))
    def merge_customers(self, source: int | str, target: int | str) -> list[int]:
        """Make `source` part of `target`: tickets, messages, note; returns the tickets moved."""
        with self.unit() as uow:
            return customers.merge(uow, source, target)

    # -- blocked senders -----------------------------------------------------------------

    block_sender = in_unit(blocks.block, journal=refuse_offline("blocking a sender"))

    unblock_sender = in_unit(blocks.unblock, journal=refuse_offline("unblocking a sender"))

    mark_spam = in_unit(blocks.mark_spam, journal=refuse_offline("marking spam"))
