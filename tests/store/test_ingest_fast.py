"""The batch ingest path: one savepoint a batch, mail by mail only when the store refuses one."""

from __future__ import annotations

import sqlite3
from email.utils import make_msgid

import pytest
from helpers.store import HookProbe

from deskterm.store.service import Actor, Service, hooks
from deskterm.store.service.ingest import Incoming, MailIngest, Outcome, Receipt, parse_incoming

SUPPORT = "support@desk.test"


def mail(n: int, subject: str = "Question", msgid: str | None = None, reply_to: str = "") -> bytes:
    head = f"In-Reply-To: {reply_to}\n" if reply_to else ""
    return (
        f"From: Person {n} <p{n}@cust.test>\nTo: {SUPPORT}\nSubject: {subject} {n}\n"
        f"Message-ID: {msgid or make_msgid(domain='fast.test')}\n{head}"
        f"Date: Mon, 2 Mar 2026 09:00:00 +0000\n\nHello {n}\n"
    ).encode()


@pytest.fixture
def probe(monkeypatch) -> HookProbe:
    """What the hooks saw: the service layer's SLA and rules run there."""
    seen = HookProbe()
    monkeypatch.setattr(hooks, "BEFORE_COMMIT", (*hooks.BEFORE_COMMIT, seen))
    return seen


@pytest.fixture
def ingest(store) -> MailIngest:
    return MailIngest(store, own_addresses=[SUPPORT])


def batch(ingest: MailIngest, raws: list[bytes], first_uid: int = 1) -> list[Incoming]:
    state = ingest.open_folder(SUPPORT, "INBOX")
    return [
        parse_incoming(raw, f"uid {first_uid + n}", receipt=Receipt(state.id, 7, first_uid + n))
        for n, raw in enumerate(raws)
    ]


def rows(store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.read().execute(sql)]


def count(store, table: str) -> int:
    return int(store.read().execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def poison(store) -> None:
    """A deliberate constraint violation: the store refuses one message of the batch."""
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON message WHEN NEW.subject LIKE 'poison%'"
            " BEGIN SELECT RAISE(ABORT, 'poisoned mail refused'); END"
        )


def test_a_poisoned_mail_leaves_every_other_mail_stored_exactly_once(store, ingest, probe) -> None:
    poison(store)
    raws = [mail(n, "poison" if n == 5 else "Question") for n in range(10)]
    state = ingest.open_folder(SUPPORT, "INBOX")
    results = ingest.ingest(batch(ingest, raws), advance=(state.id, 7, 10))
    outcomes = [r.outcome for r in results]
    assert outcomes == [Outcome.NEW] * 5 + [Outcome.QUARANTINED] + [Outcome.NEW] * 4
    assert "could not be stored" in results[5].reason
    assert "poisoned mail refused" in results[5].reason
    assert count(store, "message") == count(store, "ticket") == 9
    assert count(store, "raw_mail") == count(store, "mail_receipt") == 10
    assert count(store, "quarantine") == 1
    assert rows(store, "SELECT kind, count(*) FROM event GROUP BY kind") == [("created", 9)]
    assert rows(store, "SELECT last_uid FROM mailbox_state") == [(10,)]
    # The hook saw the nine tickets and their events, none of the rolled-back attempt.
    numbers = sorted(r.ticket_number for r in results if r.ticket_number is not None)
    assert sorted(n for n, _, _ in probe.tickets) == numbers
    stored = rows(store, "SELECT e.kind, e.id, t.number FROM event e JOIN ticket t"
                         " ON t.id = e.ticket_id ORDER BY e.id")  # fmt: skip
    assert probe.events == stored
    # Again (a re-sync): every mail is a duplicate, nothing grows.
    again = ingest.ingest(batch(ingest, raws))
    assert {r.outcome for r in again} == {Outcome.DUPLICATE}
    assert count(store, "message") == 9 and count(store, "quarantine") == 1


def test_copies_and_replies_inside_one_batch(store, ingest) -> None:
    first_id = make_msgid(domain="fast.test")
    first = mail(1, msgid=first_id)
    raws = [first, mail(2), first, mail(1, "Re: Question", reply_to=first_id)]
    results = ingest.ingest(batch(ingest, raws))
    assert [r.outcome for r in results] == [
        Outcome.NEW, Outcome.NEW, Outcome.DUPLICATE, Outcome.THREADED,
    ]  # fmt: skip
    assert results[3].ticket_number == results[0].ticket_number
    assert results[3].rule == "in-reply-to"
    assert rows(store, "SELECT number, message_count FROM ticket ORDER BY number") == [
        (results[0].ticket_number, 2), (results[1].ticket_number, 1),
    ]  # fmt: skip
    assert count(store, "raw_mail") == 3  # the copy's bytes are the same row
    fts = (
        store.read()
        .execute("SELECT count(*) FROM message_fts WHERE message_fts MATCH 'hello'")
        .fetchone()[0]
    )
    assert fts == 3


def test_a_reply_reopens_with_the_service_layers_events(store, ingest, probe) -> None:
    first_id = make_msgid(domain="fast.test")
    (created,) = ingest.ingest(batch(ingest, [mail(1, msgid=first_id)]))
    number = created.ticket_number
    Service(store, Actor.system()).set_status(number, "solved")
    reply = mail(1, "Re: Question", reply_to=first_id)
    results = ingest.ingest(batch(ingest, [reply, mail(3)], first_uid=2))
    assert [r.outcome for r in results] == [Outcome.THREADED, Outcome.NEW]
    kinds = [(kind, n) for kind, _, n in probe.events]
    assert kinds == [
        ("customer_message", number), ("reopened", number), ("status", number),
        ("created", results[1].ticket_number),
    ]  # fmt: skip
    assert (number, "open", 2) in probe.tickets
    assert rows(
        store, f"SELECT status, reopen_count, solved_at FROM ticket WHERE number = {number}"
    ) == [("open", 1, None)]


def test_new_senders_become_customers_as_the_service_layer_makes_them(store, ingest) -> None:
    service = Service(store, Actor.system())
    org = service.add_organization("Cust Inc", "cust.test")
    nameless = mail(1).replace(b"Person 1 <p1@cust.test>", b"P1@Cust.test")
    ingest.ingest(batch(ingest, [nameless, mail(2)]))
    assert rows(store, "SELECT email, name, organization_id FROM customer ORDER BY email") == [
        ("p1@cust.test", "", org), ("p2@cust.test", "Person 2", org),
    ]  # fmt: skip
    ingest.ingest(batch(ingest, [mail(1)], first_uid=3))  # the name arrives later: filled in
    assert rows(store, "SELECT name FROM customer WHERE email = 'p1@cust.test'") == [("Person 1",)]
