"""The demo store looks like a live one: fields agree with events, search finds CJK words."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deskterm.demo import build_demo
from deskterm.demo.build import time_text, to_micros
from deskterm.query import fts
from deskterm.query.syntax import parse_query
from deskterm.store.queries.tickets import list_tickets
from deskterm.store.schema.db import open_store
from deskterm.store.schema.timefmt import from_db, to_db

N = 300
NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    seen: list[tuple[int, int]] = []
    summary = build_demo(path, N, seed=7, now=NOW, progress=lambda a, b: seen.append((a, b)))
    assert seen[-1] == (N, N)
    return path, summary


@pytest.fixture(scope="module")
def db(demo: tuple[Path, object]) -> sqlite3.Connection:
    return sqlite3.connect(demo[0])


def when_of(text: str) -> datetime:
    when = from_db(text)
    assert when is not None
    return when


def one(db: sqlite3.Connection, sql: str) -> Any:
    return db.execute(sql).fetchone()[0]


def test_counts(demo, db):
    _, summary = demo
    assert one(db, "SELECT count(*) FROM ticket") == N == summary.tickets
    assert one(db, "SELECT count(*) FROM message") == summary.messages
    assert one(db, "SELECT count(*) FROM event") == summary.events
    assert 1.5 * N < summary.messages < 5 * N
    assert one(db, "SELECT count(*) FROM agent") == 8
    assert db.execute("SELECT role FROM agent WHERE email = 'me@deskterm.demo'").fetchone() == (
        "admin",
    )
    assert one(db, "SELECT count(*) FROM agent_group") == 3
    assert one(db, "SELECT count(*) FROM canned_reply") >= 8
    assert one(db, "SELECT count(*) FROM view") >= 5
    assert one(db, "SELECT count(*) FROM customer") == summary.customers
    assert (
        one(db, "SELECT count(*) FROM ticket WHERE customer_id NOT IN (SELECT id FROM customer)")
        == 0
    )


def test_numbers_and_counter(db):
    numbers = [r[0] for r in db.execute("SELECT number FROM ticket ORDER BY id")]
    assert numbers == list(range(1, N + 1))
    assert one(db, "SELECT value FROM counter WHERE name = 'ticket'") == N


def test_every_ticket_has_its_created_event_first(db):
    rows = db.execute(
        "SELECT t.number,"
        " (SELECT kind FROM event e WHERE e.ticket_id = t.id ORDER BY e.id LIMIT 1),"
        " (SELECT new FROM event e WHERE e.ticket_id = t.id AND kind = 'created') FROM ticket t"
    ).fetchall()
    assert all(kind == "created" and new == f"#{n}" for n, kind, new in rows)


def test_fields_agree_with_messages_and_events(db):
    bad = db.execute(
        "SELECT t.number FROM ticket t WHERE t.message_count !="
        " (SELECT count(*) FROM message m WHERE m.ticket_id = t.id)"
        " OR t.first_response_at IS NOT"
        " (SELECT min(created_at) FROM message m WHERE m.ticket_id = t.id AND kind = 'reply')"
        " OR t.reopen_count !="
        " (SELECT count(*) FROM event e WHERE e.ticket_id = t.id AND kind = 'reopened')"
        " OR t.updated_at != (SELECT max(created_at) FROM event e WHERE e.ticket_id = t.id)"
        " OR t.created_at != (SELECT min(created_at) FROM message m WHERE m.ticket_id = t.id)"
    ).fetchall()
    assert bad == []
    # Each message has its event pointing at it (the first message has 'created').
    assert (
        one(
            db,
            "SELECT count(*) FROM message m WHERE m.id NOT IN (SELECT min(id) FROM message GROUP BY"
            " ticket_id) AND NOT EXISTS (SELECT 1 FROM event e WHERE e.ticket_id = m.ticket_id"
            " AND e.kind IN ('reply', 'note', 'customer_message') AND e.new = CAST(m.id AS TEXT))",
        )
        == 0
    )


def test_status_matches_the_last_status_event(db):
    rows = db.execute(
        "SELECT t.status, t.solved_at, (SELECT new FROM event e WHERE e.ticket_id = t.id"
        " AND kind = 'status' ORDER BY id DESC LIMIT 1) FROM ticket t"
    ).fetchall()
    for status, solved_at, last in rows:
        assert status == (last or "new")
        assert (solved_at is not None) == (status in ("solved", "closed"))


def test_all_statuses_and_priorities(db):
    statuses = Counter(r[0] for r in db.execute("SELECT status FROM ticket"))
    assert set(statuses) == {"new", "open", "pending", "on_hold", "solved", "closed"}
    assert statuses["solved"] + statuses["closed"] > N / 2
    assert {r[0] for r in db.execute("SELECT priority FROM ticket")} == {
        "low",
        "normal",
        "high",
        "urgent",
    }
    tags = {r[0] for r in db.execute("SELECT name FROM tag")}
    assert {"billing", "bug", "refund", "login", "shipping", "vip"} <= tags


def test_ids_grow_with_time(db):
    for table in ("ticket", "message", "event"):
        stamps = [r[0] for r in db.execute(f"SELECT created_at FROM {table} ORDER BY id")]
        assert stamps == sorted(stamps), table
    assert max(stamps) <= to_db(NOW)


def test_times_have_the_store_format_and_business_hours(db):
    assert time_text(to_micros(NOW)) == to_db(NOW)
    stamp = "2026-01-02 03:04:05.060708"
    assert time_text(to_micros(from_db(stamp))) == stamp
    replies = [
        when_of(r[0]) for r in db.execute("SELECT created_at FROM message WHERE kind = 'reply'")
    ]
    inside = [t for t in replies if t.weekday() < 5 and 8 <= t.hour < 18]
    assert len(inside) > 0.8 * len(replies)
    created = [when_of(r[0]) for r in db.execute("SELECT created_at FROM ticket")]
    assert sum(t.weekday() >= 5 for t in created) < 0.2 * len(created)


def test_search_index_matches_the_text(db):
    for mid, body in db.execute("SELECT id, body_text FROM message ORDER BY random() LIMIT 50"):
        latin, cjk = fts.index_columns(body)
        word = (cjk.split() or latin.split())[0].strip(",.!?")
        if not word.isalnum():
            continue
        expr = fts.match_expression((word,))
        hits = {
            r[0]
            for r in db.execute("SELECT rowid FROM message_fts WHERE message_fts MATCH ?", (expr,))
        }
        assert mid in hits, word


@pytest.mark.parametrize("word", ["환불", "退款", "返金", "refund"])
def test_cjk_and_english_words_are_found(demo, word):
    store = open_store(demo[0])
    try:
        page = list_tickets(store, parse_query(word))
    finally:
        store.close()
    assert page.rows


def test_same_seed_same_store(tmp_path, demo, db):
    again = build_demo(tmp_path / "again.db", N, seed=7, now=NOW)
    other = sqlite3.connect(again.path)
    for sql in (
        "SELECT * FROM ticket ORDER BY id",
        "SELECT id, ticket_id, kind, body_text, created_at FROM message ORDER BY id",
        "SELECT * FROM event ORDER BY id",
    ):
        assert other.execute(sql).fetchall() == db.execute(sql).fetchall()


def test_refuses_an_existing_file(tmp_path):
    path = tmp_path / "x.db"
    path.write_bytes(b"")
    with pytest.raises(Exception, match="exists"):
        build_demo(path, 10)


def test_read_marks_are_each_agents_last_change(db):
    """As the service marks them: an agent has seen a ticket as of their last change to it."""
    expected = db.execute(
        "SELECT actor_agent_id, ticket_id, max(created_at) FROM event"
        " WHERE actor_agent_id IS NOT NULL GROUP BY actor_agent_id, ticket_id"
        " ORDER BY 1, 2"
    ).fetchall()
    marks = db.execute("SELECT agent_id, ticket_id, read_at FROM ticket_read ORDER BY 1, 2")
    assert marks.fetchall() == expected
    me = one(db, "SELECT id FROM agent WHERE email = 'me@deskterm.demo'")
    unread = one(
        db,
        f"SELECT count(*) FROM ticket t JOIN ticket_read r ON r.ticket_id = t.id"
        f" AND r.agent_id = {me} WHERE r.read_at < t.updated_at",
    )
    read = one(db, f"SELECT count(*) FROM ticket_read WHERE agent_id = {me}")
    assert 0 < unread < read  # customers wrote after some of my replies, not after all
