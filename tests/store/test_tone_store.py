"""Ticket tone in the store: read on write, followed by queries, rebuilt for older stores."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path

import pytest
from helpers.store import Desk, make_desk, ticket_fields

from deskterm.config import RuleConfig
from deskterm.query.syntax import parse_query
from deskterm.rules.model import rules_from_config
from deskterm.store.queries.rule_replay import replay
from deskterm.store.queries.tickets import get_ticket_row, list_tickets
from deskterm.store.schema import migrate
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, RuleSet, Service
from deskterm.store.service.ingest import MailIngest, parse_incoming
from deskterm.store.service.tone import count_unread_tone, rebuild_tone

SUPPORT = "support@desk.test"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path)
    yield d
    d.store.close()


def tone(desk: Desk, number: int) -> tuple[object, object]:
    fields = ticket_fields(desk, number)
    return fields["urgent_words"], fields["upset_words"]


def listed(store: Store, text: str) -> set[int]:
    return {r.number for r in list_tickets(store, parse_query(text), limit=100).rows}


def test_the_latest_customer_message_sets_the_tone_and_replies_do_not(desk: Desk) -> None:
    t = desk.svc.create_ticket("URGENT: checkout down", "See subject.", "ana@acme.test")
    assert tone(desk, t.number) == ("urgent", "")
    desk.svc.add_reply(t.number, "This is ridiculous of us, sorry; fixing it asap.")
    assert tone(desk, t.number) == ("urgent", "")  # an agent's words never count
    desk.svc.add_customer_message(t.number, "Still broken. Honestly, this is unacceptable.")
    assert tone(desk, t.number) == ("", "unacceptable")
    calm = desk.svc.create_ticket("Dark mode?", "No rush, whenever you get a chance.", "bo@b.test")
    assert tone(desk, calm.number) == ("", "")
    assert listed(desk.store, "mood:upset") == {t.number}
    assert listed(desk.store, "mood:calm") == {calm.number}
    assert listed(desk.store, "urgent:no") == {t.number, calm.number}


def test_mail_taken_in_gets_its_tone_in_the_same_batch(desk: Desk) -> None:
    ingest = MailIngest(desk.store, own_addresses=[SUPPORT])
    first = make_msgid(domain="cust.test")
    raws = [
        (
            f"From: Ana <ana@cust.test>\nTo: {SUPPORT}\nSubject: Site is down\n"
            f"Message-ID: {first}\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n\n"
            "We are losing sales every hour.\n"
        ),
        (
            f"From: Ana <ana@cust.test>\nTo: {SUPPORT}\nSubject: Re: Site is down\n"
            f"Message-ID: {make_msgid(domain='cust.test')}\nIn-Reply-To: {first}\n"
            "Date: Mon, 2 Mar 2026 09:05:00 +0000\n\n急ぎではありません。対応が最悪です。\n"
        ),
    ]
    results = ingest.ingest([parse_incoming(r.encode(), f"m{i}") for i, r in enumerate(raws)])
    number = results[0].ticket_number
    assert number is not None and results[1].ticket_number == number
    assert tone(desk, number) == ("", "最悪")  # the later message decides
    solo = ingest.ingest([parse_incoming(raws[0].replace(first, "<x@y>").encode(), "m3")])
    assert solo[0].ticket_number is not None
    assert tone(desk, solo[0].ticket_number) == ("is down, losing sales", "")


def test_merge_and_split_read_the_tone_of_the_messages_they_move(desk: Desk) -> None:
    calm = desk.svc.create_ticket("Question", "How do I export?", "ana@acme.test")
    angry = desk.svc.create_ticket("Export", "The export is useless.", "ana@acme.test")
    desk.svc.merge(angry.number, calm.number)
    assert tone(desk, calm.number) == ("", "useless")
    later = desk.svc.add_customer_message(calm.number, "Also, we need it by end of day.")
    desk.svc.split(calm.number, later)
    assert tone(desk, calm.number) == ("", "useless")
    split_off = max(r.number for r in list_tickets(desk.store, parse_query(""), limit=9).rows)
    assert tone(desk, split_off) == ("by end of day", "")


def test_an_older_store_opens_at_once_and_rebuild_reads_it_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    store = Store(path)
    migrate.upgrade(store, current=None, target="0007")
    store.close()
    store = open_store(path, create=True)
    svc = Service(store, Actor.system())
    bodies = ["Please fix asap", "Thanks!", "This is ridiculous", "Hello", "긴급합니다"] * 3
    numbers = [svc.create_ticket(f"T{i}", b, f"c{i}@x.test").number for i, b in enumerate(bodies)]
    before = {n: tone_of(path, n) for n in numbers}
    with sqlite3.connect(path) as conn:  # as an older deskterm left them
        conn.execute("UPDATE ticket SET urgent_words = NULL, upset_words = NULL")
    assert count_unread_tone(store) == len(numbers)
    assert listed(store, "urgent:yes") == set()  # not read yet: no answer rather than a wrong one
    monkeypatch.setattr("deskterm.store.service.tone.REBUILD_CHUNK", 4)
    seen: list[tuple[int, int]] = []
    result = rebuild_tone(store, lambda done, total: seen.append((done, total)))
    assert (result.tickets, result.urgent, result.upset) == (15, 6, 3)
    assert seen == [(4, 15), (8, 15), (12, 15), (15, 15)]
    assert {n: tone_of(path, n) for n in numbers} == before
    assert len(listed(store, "urgent:yes")) == 6
    assert rebuild_tone(store).tickets == 0  # nothing left: a re-run is free
    store.close()


def test_rebuild_reads_the_tone_again_on_both_stores(either_store: Store) -> None:
    """The rebuild runs in transactions of its own connection, a SQLite file's or PostgreSQL's."""
    svc = Service(either_store, Actor.system())
    for i, body in enumerate(["Please fix asap", "This is ridiculous", "Hello"]):
        svc.create_ticket(f"T{i}", body, f"c{i}@x.test")
    read = "SELECT number, urgent_words, upset_words FROM ticket ORDER BY number"
    before = either_store.read().execute(read).fetchall()
    either_store.read().execute("UPDATE ticket SET urgent_words = NULL, upset_words = NULL")
    assert count_unread_tone(either_store) == 3
    result = rebuild_tone(either_store)
    assert (result.tickets, result.urgent, result.upset) == (3, 1, 1)
    assert either_store.read().execute(read).fetchall() == before
    assert listed(either_store, "urgent:yes") and listed(either_store, "mood:upset")


def tone_of(path: Path, number: int) -> tuple[str, str]:
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT urgent_words, upset_words FROM ticket WHERE number = ?", (number,)
        ).fetchone()
    return row[0], row[1]


def test_rules_act_on_mood_live_and_the_simulator_replays_it(desk: Desk) -> None:
    rules = RuleSet(
        rules_from_config(
            [
                RuleConfig(
                    name="escalate", trigger="customer_replied", query="mood:upset",
                    set_priority="high",
                ),
                RuleConfig(
                    name="rush", trigger="ticket_created", query="urgent:yes", add_tags=["rush"]
                ),
            ]
        )
    )  # fmt: skip
    quiet = desk.svc.create_ticket("Invoice", "Where is my invoice?", "ana@acme.test")
    desk.svc.add_customer_message(quiet.number, "Still nothing. This is ridiculous.")
    history = [(r.number, r.rule, r.changes) for r in replay(desk.store, rules, EPOCH)]
    assert history == [(quiet.number, "escalate", ("priority normal -> high",))]
    live = desk.svc.with_rules(rules)
    loud = live.create_ticket("Down", "Our shop is down, we need help asap", "bo@b.test")
    live.add_customer_message(loud.number, "Thanks for nothing.")
    row = get_ticket_row(desk.store, loud.number)
    assert (row.tags, row.priority) == (("rush",), "high")
