"""The unit of work: hook order, one definition of what a change writes, all-or-nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.store import HookProbe

from deskterm.config import MailboxConfig, PolicyConfig, RuleConfig, SlaConfig
from deskterm.demo.thread import TicketState
from deskterm.errors import StoreError
from deskterm.rules.model import rules_from_config
from deskterm.sla.settings import calendars_from_config, settings_from_config
from deskterm.store.queries.sync import pull_page
from deskterm.store.schema.db import Store, open_store
from deskterm.store.schema.timefmt import from_db
from deskterm.store.service import Actor, RuleSet, Service, hooks, outbox, replies
from deskterm.store.service.delivery import MailSettings
from deskterm.store.service.ingest import MailIngest, parse_incoming
from deskterm.store.service.read_marks import mark_read
from deskterm.store.service.report_hook import report_rollups
from deskterm.store.service.rules import run_rules
from deskterm.store.service.sla import refresh_sla
from deskterm.store.service.sync_journal import journal
from deskterm.store.service.unit_of_work import UnitOfWork

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday
SLA = SlaConfig(policy=[PolicyConfig(name="Std", first_reply={"urgent": "1h", "normal": "8h"})])
URGENT_REFUNDS = RuleConfig(
    name="urgent-refunds", trigger="ticket_created", query="refund", set_priority="urgent"
)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.read().execute(sql)]


def counts(store: Store) -> dict[str, int]:
    tables = ("ticket", "message", "customer", "event", "raw_mail", "mail_receipt", "ticket_read")
    conn = store.read()
    found = {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}
    found["ticket number"] = int(
        conn.execute("SELECT value FROM counter WHERE name = 'ticket'").fetchone()[0]
    )
    return found


def mail(subject: str, body: str, msgid: str = "<first@acme.test>", head: str = "") -> bytes:
    return (
        f"From: Ana Lima <ana@acme.test>\nTo: support@desk.test\nSubject: {subject}\n{head}"
        f"Message-ID: {msgid}\nDate: Mon, 23 Nov 2026 08:00:00 +0000\n\n{body}\n"
    ).encode()


def open_fresh(tmp_path: Path, name: str) -> Store:
    return open_store(tmp_path / name, create=True)


def sam(store: Store, clock: Clock) -> Service:
    """Agent Sam, with SLA due times and a rule that makes refunds urgent."""
    agent = Service(store, Actor.system(), clock).ensure_agent("Sam", "sam@desk.test")
    desk = Service(store, Actor(agent, "Sam"), clock, sla=settings_from_config(SLA))
    return desk.with_rules(RuleSet(rules_from_config([URGENT_REFUNDS]), calendars_from_config(SLA)))


# -- the hooks ---------------------------------------------------------------------------


def test_the_hooks_are_one_visible_tuple_in_order() -> None:
    assert (run_rules, refresh_sla, mark_read, report_rollups, journal) == hooks.BEFORE_COMMIT


def test_hooks_run_in_order_and_each_sees_what_the_one_before_did(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules first (their change is part of the change), SLA over it, the read mark last."""
    seen: list[tuple[str, object]] = []

    def spy(name: str, hook: Callable[[UnitOfWork], None]) -> Callable[[UnitOfWork], None]:
        def run(uow: UnitOfWork) -> None:
            (ticket,) = uow.tickets()
            seen.append((name, (ticket.priority, ticket.first_reply_due_at)))
            hook(uow)

        return run

    desk = sam(store, Clock())
    monkeypatch.setattr(
        hooks,
        "BEFORE_COMMIT",
        tuple(spy(h.__name__, h) for h in hooks.BEFORE_COMMIT),
    )
    number = desk.create_ticket("Refund please", "twice charged", "ana@acme.test").number
    [(priority, due_at, updated_at, read_at)] = rows(
        store,
        "SELECT t.priority, t.first_reply_due_at, t.updated_at, r.read_at FROM ticket t"
        f" JOIN ticket_read r ON r.ticket_id = t.id WHERE t.number = {number}",
    )
    assert seen == [
        ("run_rules", ("normal", None)),
        ("refresh_sla", ("urgent", None)),  # the rule's change, before the due time
        ("mark_read", ("urgent", from_db(due_at))),  # type: ignore[call-overload]  # a stored time
        ("report_rollups", ("urgent", from_db(due_at))),  # type: ignore[call-overload]  # a stored time
        ("journal", ("urgent", from_db(due_at))),  # type: ignore[call-overload]  # a stored time
    ]
    assert due_at is not None and (priority, read_at) == ("urgent", updated_at)


def test_a_failing_hook_rolls_the_whole_change_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    desk = sam(store, clock)
    kept = desk.create_ticket("Refund please", "once", "bo@acme.test").number
    ingest = MailIngest(store, clock=clock)
    state = ingest.open_folder("support@desk.test", "INBOX")
    before = counts(store)

    def fail(uow: UnitOfWork) -> None:
        assert uow.events, "the failing hook runs after the change and the rules' changes"
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(hooks, "BEFORE_COMMIT", (*hooks.BEFORE_COMMIT, fail))
    with pytest.raises(StoreError, match="disk error"):
        desk.create_ticket("Refund please", "twice charged", "ana@acme.test")
    with pytest.raises(StoreError):
        desk.update_tickets([kept], status="solved", add_tags=["x"])
    with pytest.raises(StoreError):
        ingest.ingest([parse_incoming(mail("Refund", "hi"), "t")], advance=(state.id, 1, 9))
    assert counts(store) == before  # no ticket, number, customer, event, mail or read mark
    assert rows(store, f"SELECT status FROM ticket WHERE number = {kept}") == [("new",)]
    assert rows(store, "SELECT count(*) FROM ticket_tag") == [(0,)]
    assert rows(store, "SELECT last_uid FROM mailbox_state") == [(0,)]
    hits = "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'twice'"
    assert rows(store, hits) == [(0,)]


# -- one definition of what a change writes -------------------------------------------------

_TICKET = (
    "SELECT number, subject, status, priority, channel, created_at, updated_at,"
    " first_response_at, solved_at, reopen_count, message_count FROM ticket ORDER BY number"
)
_EVENTS = "SELECT ticket_id, actor, kind, old, new, created_at FROM event ORDER BY id"
_CUSTOMERS = "SELECT email, name, organization_id, created_at FROM customer ORDER BY id"
_MESSAGES = (  # the subject is the mail's, or the ticket's when there is no mail
    "SELECT ticket_id, kind, author_customer_id, from_name, from_addr, body_text, created_at"
    " FROM message ORDER BY id"
)


def written(store: Store) -> dict[str, list[tuple[object, ...]]]:
    return {
        "tickets": rows(store, _TICKET),
        "events": rows(store, _EVENTS),
        "customers": rows(store, _CUSTOMERS),
        "messages": rows(store, _MESSAGES),
        "search": rows(store, "SELECT rowid FROM message_fts WHERE message_fts MATCH 'charged'"),
        "subjects": rows(store, "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH 'refund'"),
    }


def test_ingest_and_the_service_write_the_same_rows_for_the_same_mail(
    tmp_path: Path, probe: HookProbe
) -> None:
    """A new ticket, then a reply that reopens it: the same rows, events and hook view."""
    clock = Clock()
    by_service, by_ingest = open_fresh(tmp_path, "a.db"), open_fresh(tmp_path, "b.db")
    mail_actor = Actor(None, "mail")
    for store in (by_service, by_ingest):
        Service(store, Actor.system(), clock).add_organization("Acme", "acme.test")
    service = Service(by_service, mail_actor, clock)
    ingest = MailIngest(by_ingest, clock=clock)
    first = mail("Refund please", "I was charged twice.")
    reply = mail(
        "Re: Refund please", "Still charged.", "<r@acme.test>", "In-Reply-To: <first@acme.test>\n"
    )

    number = service.create_ticket(
        "Refund please", "I was charged twice.", "ana@acme.test", "Ana Lima"
    ).number
    seen_by_service = (probe.tickets, [e[0] for e in probe.events])
    (taken,) = ingest.ingest([parse_incoming(first, "t")])
    assert (probe.tickets, [e[0] for e in probe.events]) == seen_by_service
    for store in (by_service, by_ingest):
        Service(store, Actor.system(), clock).set_status(number, "solved")
    clock.now += timedelta(minutes=5)
    service.add_customer_message(number, "Still charged.")
    seen_by_service = (probe.tickets, [e[0] for e in probe.events])
    (again,) = ingest.ingest([parse_incoming(reply, "t")])
    assert (probe.tickets, [e[0] for e in probe.events]) == seen_by_service
    assert seen_by_service[1] == ["customer_message", "reopened", "status"]

    assert (taken.ticket_number, again.ticket_number) == (number, number)
    a = written(by_service)
    assert a == written(by_ingest)
    assert a["tickets"][0][2] == "open" and a["tickets"][0][9:] == (1, 2)
    assert [e[2] for e in a["events"]] == [
        "created", "status", "customer_message", "reopened", "status",
    ]  # fmt: skip


def test_bulk_status_changes_are_the_services(tmp_path: Path) -> None:
    """The demo's status machine (bulk-loaded) writes what the service writes, field for field."""
    clock = Clock()
    store = open_fresh(tmp_path, "s.db")
    service = Service(store, Actor.system(), clock)
    number = service.create_ticket("Hello", "hi", "ana@acme.test").number
    state = TicketState()
    bulk_events: list[tuple[object, ...]] = []
    for step, status in enumerate(("open", "solved", "solved", "open", "closed", "pending")):
        clock.now = T0 + timedelta(hours=step + 1)
        service.set_status(number, status)
        at = int(clock.now.timestamp() * 1_000_000)
        bulk_events += [
            (kind, old, new)
            for _, _, kind, old, new in state.change_status(status, at, None, "system")
        ]
    service_events = rows(
        store, "SELECT kind, old, new FROM event WHERE kind != 'created' ORDER BY id"
    )
    assert bulk_events == service_events
    [(final, reopen_count, solved_at)] = rows(
        store, f"SELECT status, reopen_count, solved_at FROM ticket WHERE number = {number}"
    )
    assert (state.status, state.reopen_count) == (final, reopen_count) == ("pending", 2)
    assert solved_at is None and state.solved_at is None


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> HookProbe:
    seen = HookProbe()
    monkeypatch.setattr(hooks, "BEFORE_COMMIT", (*hooks.BEFORE_COMMIT, seen))
    return seen


def test_a_reply_taken_back_in_its_own_unit_leaves_no_event_for_the_hooks(store: Store) -> None:
    """What the hooks see is what will be committed: a deleted event is forgotten too."""
    clock = Clock()
    box = MailboxConfig(address="support@desk.test", name="Desk", smtp_host="127.0.0.1")
    agent = Service(store, Actor.system(), clock).ensure_agent("Sam", "sam@desk.test")
    desk = Service(store, Actor(agent, "Sam"), clock).with_mail(MailSettings(mailboxes=(box,)))
    number = desk.create_ticket("Hello", "hi", "ana@acme.test").number
    with desk.unit() as uow:
        _, outbox_id = replies.send_reply(uow, number, "On it", None, None, [], None, None, None)
        assert outbox_id is not None and [e.kind for e in uow.events] == ["reply", "status"]
        outbox.cancel(uow, outbox_id)
        assert [e.kind for e in uow.events] == [e.kind for e in uow.triggers] == ["status"]
    assert rows(store, "SELECT kind FROM event ORDER BY id") == [("created",), ("status",)]


def test_the_journal_stamps_what_a_change_touched_on_a_solo_store_too(store: Store) -> None:
    """One new `sync` value a change, on every ticket it touched: a store served later
    gives a joining replica (a pull from cursor 0) every ticket."""
    clock = Clock()
    ingest = MailIngest(store, clock=clock)
    reply = mail("Re: Refund", "again", "<r@acme.test>", "In-Reply-To: <first@acme.test>\n")
    batch = [mail("Refund", "hi"), mail("Login", "no", "<second@acme.test>"), reply]
    results = ingest.ingest([parse_incoming(m, "t") for m in batch])
    assert [r.ticket_number for r in results] == [1, 2, 1]
    stamps = "SELECT number, sync_version FROM ticket ORDER BY number"
    sync = "SELECT value FROM counter WHERE name = 'sync'"
    first_stamp = int(store.read().execute(sync).fetchone()[0])
    assert rows(store, stamps) == [(1, first_stamp), (2, first_stamp)]
    Service(store, Actor.system(), clock).set_status(1, "open")
    assert rows(store, sync) == [(first_stamp + 1,)]
    assert rows(store, stamps) == [(1, first_stamp + 1), (2, first_stamp)]
    page = pull_page(store, 0, limit=10)
    assert sorted(t["number"] for t in page.tickets) == [1, 2]
