"""The service layer on real store files: events, metric fields, merge/split, atomicity."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.store import (
    Desk,
    count,
    create_tickets_in_process,
    event_kinds,
    events,
    make_desk,
    snapshot,
    ticket_fields,
)

from deskterm.errors import NotFoundError, StoreError, UsageError
from deskterm.query.syntax import TicketQuery
from deskterm.store.queries import catalog as catalog_queries
from deskterm.store.queries import tickets as queries
from deskterm.store.schema.db import open_store
from deskterm.store.schema.timefmt import from_db
from deskterm.store.service import Actor, Service


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path)
    yield d
    d.store.close()


def new_ticket(desk: Desk, subject: str = "Printer on fire", **kw: object) -> int:
    body = kw.pop("body", "It is burning.")
    email = kw.pop("email", "ana@example.com")
    return desk.svc.create_ticket(subject, body, email, "Ana Lima", **kw).number  # type: ignore[arg-type]  # loose keyword overrides


def message_counts_consistent(desk: Desk) -> None:
    """Every ticket's message_count equals the messages it really holds."""
    conn = desk.raw()
    rows = conn.execute(
        "SELECT t.number, t.message_count, (SELECT count(*) FROM message m"
        " WHERE m.ticket_id = t.id) FROM ticket t"
    ).fetchall()
    conn.close()
    for number, stored, real in rows:
        assert stored == real, f"ticket #{number}: message_count {stored}, holds {real}"


# -- creation --------------------------------------------------------------------------


def test_create_writes_ticket_message_customer_and_created_event(desk: Desk) -> None:
    created = desk.svc.create_ticket(
        "  Refund  ", "Please refund order 42.", "Ana@Example.COM", "Ana Lima", tags=["Billing"]
    )
    assert created.number == 1
    row = ticket_fields(desk, 1)
    assert row["subject"] == "Refund"
    assert row["status"] == "new"
    assert row["priority"] == "normal"
    assert row["message_count"] == 1
    assert row["first_response_at"] is None
    assert row["solved_at"] is None
    assert events(desk, 1) == [("created", None, "#1"), ("tag_added", None, "billing")]
    detail = queries.get_ticket(desk.store, 1)
    assert detail.customer.email == "ana@example.com"
    assert detail.customer.name == "Ana Lima"
    assert [m.kind for m in detail.messages] == ["customer"]
    assert detail.messages[0].body_text == "Please refund order 42."
    assert detail.messages[0].from_addr == "ana@example.com"
    assert detail.ticket.tags == ("billing",)
    # The event names the actor and carries the clock's time.
    conn = desk.raw()
    actor, actor_id, created_at = conn.execute(
        "SELECT actor, actor_agent_id, created_at FROM event ORDER BY id LIMIT 1"
    ).fetchone()
    conn.close()
    assert (actor, actor_id) == ("me", desk.me_id)
    assert from_db(created_at) == from_db(str(row["created_at"]))


def test_same_customer_is_reused_and_empty_subject_gets_a_placeholder(desk: Desk) -> None:
    new_ticket(desk, email="ana@example.com")
    number = desk.svc.create_ticket("   ", "again", "ANA@example.com").number
    assert count(desk, "customer") == 1
    assert ticket_fields(desk, number)["subject"] == "(no subject)"
    assert catalog_queries.get_customer(desk.store, "ana@example.com").ticket_count == 2


def test_create_with_resolved_status_sets_solved_at(desk: Desk) -> None:
    number = new_ticket(desk, status="solved")
    assert ticket_fields(desk, number)["solved_at"] is not None


def test_create_failing_midway_writes_nothing(desk: Desk) -> None:
    new_ticket(desk)
    before = snapshot(desk)
    # The bad tag is checked after the ticket, message and event were added to the session.
    with pytest.raises(UsageError):
        new_ticket(desk, subject="second", tags=["fine", "bad,tag"])
    assert snapshot(desk) == before
    # Search index rows roll back with the rest: the subject is not findable.
    assert queries.list_tickets(desk.store, TicketQuery(words=("second",))).rows == ()


def test_bad_customer_address_and_choices_are_one_line_usage_errors(desk: Desk) -> None:
    for kwargs in ({"email": "not-an-address"}, {"priority": "mega"}, {"status": "done"}):
        with pytest.raises(UsageError) as err:
            new_ticket(desk, **kwargs)
        assert "\n" not in str(err.value)
    assert count(desk, "ticket") == 0


# -- messages --------------------------------------------------------------------------


def test_first_reply_sets_first_response_and_opens_a_new_ticket(desk: Desk) -> None:
    number = new_ticket(desk)
    desk.svc.add_note(number, "internal: check the logs")
    row = ticket_fields(desk, number)
    assert row["first_response_at"] is None, "a note is not a response"
    assert row["status"] == "new", "a note does not open a ticket"
    assert event_kinds(desk, number) == ["created", "note"]

    reply_id = desk.svc.add_reply(number, "We are on it.")
    row = ticket_fields(desk, number)
    first = row["first_response_at"]
    assert isinstance(first, str)
    assert first is not None
    assert row["status"] == "open"
    assert events(desk, number)[2:] == [("reply", None, str(reply_id)), ("status", "new", "open")]
    reply = queries.get_ticket(desk.store, number).messages[-1]
    assert reply.kind == "reply"
    assert reply.from_addr == "me@desk.test"
    assert from_db(first) == reply.created_at

    desk.svc.add_reply(number, "Still on it.")
    row = ticket_fields(desk, number)
    assert row["first_response_at"] == first, "only the first reply sets it"
    assert event_kinds(desk, number)[-1] == "reply", "no status change the second time"
    assert row["message_count"] == 4


def test_reply_with_status_and_empty_reply(desk: Desk) -> None:
    number = new_ticket(desk)
    desk.svc.add_reply(number, "Done.", status="solved")
    row = ticket_fields(desk, number)
    assert row["status"] == "solved"
    assert row["solved_at"] is not None
    assert events(desk, number)[-1] == ("status", "new", "solved")
    before = snapshot(desk)
    with pytest.raises(UsageError):
        desk.svc.add_reply(number, "   \n ")
    with pytest.raises(NotFoundError):
        desk.svc.add_reply(999, "hello")
    assert snapshot(desk) == before


def test_customer_message_reopens_solved_and_closed_tickets(desk: Desk) -> None:
    number = new_ticket(desk)
    desk.svc.set_status(number, "solved")
    assert ticket_fields(desk, number)["solved_at"] is not None

    message_id = desk.service().add_customer_message(number, "It broke again")
    row = ticket_fields(desk, number)
    assert row["status"] == "open"
    assert row["reopen_count"] == 1
    assert row["solved_at"] is None
    assert events(desk, number)[-3:] == [
        ("customer_message", None, str(message_id)),
        ("reopened", "solved", "open"),
        ("status", "solved", "open"),
    ]

    desk.svc.set_status(number, "closed")
    desk.service().add_customer_message(number, "And again")
    assert ticket_fields(desk, number)["reopen_count"] == 2
    message_counts_consistent(desk)


def test_customer_message_wakes_pending_without_counting_a_reopen(desk: Desk) -> None:
    number = new_ticket(desk)
    desk.svc.set_status(number, "pending")
    desk.service().add_customer_message(number, "Here is the info")
    row = ticket_fields(desk, number)
    assert row["status"] == "open"
    assert row["reopen_count"] == 0
    assert event_kinds(desk, number)[-2:] == ["customer_message", "status"]


def test_customer_message_leaves_new_ticket_new_and_reopen_false_keeps_status(
    desk: Desk,
) -> None:
    number = new_ticket(desk)
    desk.service().add_customer_message(number, "Any news?")
    assert ticket_fields(desk, number)["status"] == "new"
    assert event_kinds(desk, number) == ["created", "customer_message"]

    desk.svc.set_status(number, "solved")
    desk.service().add_customer_message(number, "Thanks!", reopen=False)
    row = ticket_fields(desk, number)
    assert row["status"] == "solved"
    assert row["reopen_count"] == 0
    assert event_kinds(desk, number)[-1] == "customer_message"


# -- field changes ---------------------------------------------------------------------


def test_status_changes_keep_solved_at_and_reopen_count(desk: Desk) -> None:
    number = new_ticket(desk)
    assert desk.svc.set_status(number, "solved")
    solved_at = ticket_fields(desk, number)["solved_at"]
    assert solved_at is not None
    assert desk.svc.set_status(number, "closed")
    row = ticket_fields(desk, number)
    assert row["solved_at"] == solved_at, "closing a solved ticket keeps when it was solved"
    assert row["reopen_count"] == 0
    assert desk.svc.set_status(number, "open")
    row = ticket_fields(desk, number)
    assert row["solved_at"] is None
    assert row["reopen_count"] == 1
    assert desk.svc.set_status(number, "on-hold")  # the CLI spelling
    assert ticket_fields(desk, number)["status"] == "on_hold"
    assert [e for e in events(desk, number) if e[0] in ("status", "reopened")] == [
        ("status", "new", "solved"),
        ("status", "solved", "closed"),
        ("reopened", "closed", "open"),
        ("status", "closed", "open"),
        ("status", "open", "on_hold"),
    ]


def test_every_field_change_writes_one_event(desk: Desk) -> None:
    desk.add_agent("bo")
    desk.svc.add_group("tier2", ["bo"])
    number = new_ticket(desk)
    base = len(events(desk, number))

    assert desk.svc.set_priority(number, "urgent")
    assert desk.svc.set_assignee(number, "bo")
    assert desk.svc.set_assignee(number, "me@desk.test")
    assert desk.svc.set_group(number, "TIER2")
    assert desk.svc.add_tags(number, ["vip", "Late Delivery"])
    assert desk.svc.remove_tags(number, ["vip"])
    assert desk.svc.set_assignee(number, None)
    assert desk.svc.set_group(number, None)
    assert desk.svc.update_tickets([number], subject="Printer still on fire") == [number]

    assert events(desk, number)[base:] == [
        ("priority", "normal", "urgent"),
        ("assignee", None, "bo@desk.test"),
        ("assignee", "bo@desk.test", "me@desk.test"),
        ("group", None, "tier2"),
        ("tag_added", None, "vip"),
        ("tag_added", None, "late-delivery"),
        ("tag_removed", "vip", None),
        ("assignee", "me@desk.test", None),
        ("group", "tier2", None),
        ("subject", "Printer on fire", "Printer still on fire"),
    ]
    row = queries.get_ticket_row(desk.store, number)
    assert row.priority == "urgent"
    assert row.tags == ("late-delivery",)
    assert row.assignee is None
    assert row.group is None
    assert row.subject == "Printer still on fire"


def test_no_event_and_no_touch_when_nothing_changes(desk: Desk) -> None:
    desk.svc.add_group("tier2")
    number = new_ticket(desk, tags=["billing"], priority="high")
    desk.svc.set_status(number, "open")
    before_events = events(desk, number)
    before_row = ticket_fields(desk, number)

    assert not desk.svc.set_status(number, "open")
    assert not desk.svc.set_priority(number, "HIGH")
    assert not desk.svc.set_assignee(number, None)
    assert not desk.svc.set_group(number, None)
    assert not desk.svc.add_tags(number, ["billing"])
    assert not desk.svc.remove_tags(number, ["never-used"])
    assert desk.svc.remove_tags(number, ["billing", "vip"])  # billing goes, vip was never on
    after_remove = events(desk, number)
    assert after_remove[len(before_events) :] == [("tag_removed", "billing", None)]
    assert not desk.svc.remove_tags(number, ["billing"])
    assert desk.svc.update_tickets([number], subject="Printer on fire") == []
    assert desk.svc.update_tickets([number], subject="   ") == []
    assert desk.svc.update_tickets([number]) == []
    assert events(desk, number) == after_remove
    row = ticket_fields(desk, number)
    assert row["updated_at"] != before_row["updated_at"]  # the tag removal touched it
    touched = row["updated_at"]
    assert not desk.svc.set_status(number, "open")
    assert ticket_fields(desk, number)["updated_at"] == touched


def test_update_tickets_returns_only_changed_numbers(desk: Desk) -> None:
    a, b, c = (new_ticket(desk, subject=f"t{i}") for i in range(3))
    desk.svc.set_status(b, "solved")
    assert desk.svc.update_tickets([a, b, c, a], status="solved") == [a, c]
    assert [ticket_fields(desk, n)["status"] for n in (a, b, c)] == ["solved"] * 3
    assert event_kinds(desk, a).count("status") == 1, "a repeated number changes once"


def test_update_tickets_is_all_or_nothing(desk: Desk) -> None:
    a, b = new_ticket(desk), new_ticket(desk, subject="other")
    before = snapshot(desk)
    with pytest.raises(NotFoundError) as err:
        desk.svc.update_tickets([a, 999, b], status="solved", add_tags=["x"], priority="low")
    assert "#999" in str(err.value)
    assert snapshot(desk) == before
    with pytest.raises(NotFoundError):
        desk.svc.update_tickets([a, b], assignee="nobody")
    with pytest.raises(NotFoundError):
        desk.svc.update_tickets([a, b], group="nogroup")
    with pytest.raises(UsageError):
        desk.svc.update_tickets([a, b], status="finished")
    with pytest.raises(UsageError):
        desk.svc.update_tickets([a, b], add_tags=["a,b"])
    assert snapshot(desk) == before


# -- merge and split -------------------------------------------------------------------


def test_merge_moves_messages_unions_tags_and_closes_the_source(desk: Desk) -> None:
    src = new_ticket(desk, subject="Cannot log in", body="password reset loop", tags=["a", "b"])
    desk.svc.add_reply(src, "Try again")
    dst = new_ticket(desk, subject="Login broken", body="same here", tags=["b", "c"])
    src_messages = [m.id for m in queries.get_ticket(desk.store, src).messages]
    src_first_response = ticket_fields(desk, src)["first_response_at"]

    desk.svc.merge(src, dst)

    source = ticket_fields(desk, src)
    target = ticket_fields(desk, dst)
    assert source["status"] == "closed"
    assert source["merged_into_id"] == target["id"]
    assert queries.get_ticket(desk.store, src).merged_into == dst
    moved = [m.id for m in queries.get_ticket(desk.store, dst).messages]
    assert set(src_messages) <= set(moved)
    remaining = queries.get_ticket(desk.store, src).messages
    assert [m.kind for m in remaining] == ["system"]
    assert f"#{dst}" in remaining[0].body_text
    assert sorted(queries.get_ticket_row(desk.store, dst).tags) == ["a", "b", "c"]
    assert target["first_response_at"] == src_first_response
    assert events(desk, src)[-2:] == [("status", "open", "closed"), ("merged_into", None, "#2")]
    assert events(desk, dst)[-2:] == [("tag_added", None, "a"), ("merged_from", None, "#1")]
    message_counts_consistent(desk)
    # The moved text is found under the target now.
    hits = queries.list_tickets(desk.store, TicketQuery(words=("password",))).rows
    assert [r.number for r in hits] == [dst]


def test_merge_refusals_write_nothing(desk: Desk) -> None:
    a, b, c = (new_ticket(desk, subject=f"t{i}") for i in range(3))
    before = snapshot(desk)
    with pytest.raises(UsageError, match="itself"):
        desk.svc.merge(a, a)
    with pytest.raises(NotFoundError):
        desk.svc.merge(a, 99)
    assert snapshot(desk) == before
    desk.svc.merge(a, b)
    before = snapshot(desk)
    with pytest.raises(UsageError, match="already merged"):
        desk.svc.merge(a, c)
    with pytest.raises(UsageError, match="merged away"):
        desk.svc.merge(c, a)
    assert snapshot(desk) == before


def test_numbers_never_repeat_after_merge(desk: Desk) -> None:
    a, b = new_ticket(desk), new_ticket(desk)
    desk.svc.merge(b, a)
    c = new_ticket(desk)
    assert (a, b, c) == (1, 2, 3)
    assert count(desk, "ticket") == 3


def test_split_moves_the_message_and_later_ones(desk: Desk) -> None:
    desk.svc.add_group("tier2")
    number = new_ticket(desk, subject="Two problems", tags=["vip"])
    desk.svc.update_tickets([number], group="tier2", assignee="me")
    desk.svc.add_reply(number, "About problem one: fixed.")
    second = desk.service().add_customer_message(number, "Also, problem two: the fax.")
    desk.svc.add_reply(number, "Fax: looking.")
    desk.svc.add_note(number, "fax vendor contacted")
    before_ids = [m.id for m in queries.get_ticket(desk.store, number).messages]

    created = desk.svc.split(number, second)

    assert created.number == number + 1
    assert created.message_id == second
    new = queries.get_ticket(desk.store, created.number)
    assert [m.id for m in new.messages] == before_ids[2:]
    assert new.ticket.status == "open"
    assert new.ticket.tags == ("vip",)
    assert new.ticket.group == "tier2"
    assert new.ticket.assignee == "me"
    assert new.ticket.customer_email == "ana@example.com"
    assert new.ticket.first_response_at == new.messages[1].created_at  # its first reply
    old = queries.get_ticket(desk.store, number)
    assert [m.id for m in old.messages[:2]] == before_ids[:2]
    assert [m.kind for m in old.messages[2:]] == ["system"]
    assert "3 message(s)" in old.messages[-1].body_text
    assert event_kinds(desk, created.number) == ["created", "split_from"]
    assert events(desk, number)[-1] == ("split_to", None, f"#{created.number}")
    message_counts_consistent(desk)
    # The moved body is found under the new ticket.
    hits = queries.list_tickets(desk.store, TicketQuery(words=("fax",))).rows
    assert {r.number for r in hits} == {created.number}


def test_split_refusals_write_nothing(desk: Desk) -> None:
    a = new_ticket(desk)
    desk.svc.add_reply(a, "ok")
    b = new_ticket(desk, subject="other")
    first_a = queries.get_ticket(desk.store, a).messages[0].id
    first_b = queries.get_ticket(desk.store, b).messages[0].id
    before = snapshot(desk)
    with pytest.raises(UsageError, match="first message"):
        desk.svc.split(a, first_a)
    with pytest.raises(NotFoundError):
        desk.svc.split(a, first_b)
    with pytest.raises(NotFoundError):
        desk.svc.split(a, 12345)
    with pytest.raises(NotFoundError):
        desk.svc.split(77, first_a)
    assert snapshot(desk) == before


# -- canned replies through the service --------------------------------------------------


def test_apply_canned_replies_and_runs_every_action_in_one_go(desk: Desk) -> None:
    desk.add_agent("bo")
    desk.svc.save_canned(
        "refund-done",
        "Hi {{ customer.first_name | default('there') }}, ticket {{ ticket.number }} refunded.",
        {"status": "solved", "priority": "low", "add_tags": ["refund", "Billing"], "assign": "bo"},
    )
    number = new_ticket(desk)
    base = len(events(desk, number))
    message_id = desk.svc.apply_canned(number, "refund-done")

    detail = queries.get_ticket(desk.store, number)
    assert detail.messages[-1].id == message_id
    assert detail.messages[-1].kind == "reply"
    assert detail.messages[-1].body_text == f"Hi Ana, ticket {number} refunded."
    row = ticket_fields(desk, number)
    assert row["status"] == "solved"
    assert row["priority"] == "low"
    assert row["first_response_at"] is not None
    assert row["solved_at"] is not None
    assert detail.ticket.assignee == "bo"
    assert sorted(detail.ticket.tags) == ["billing", "refund"]
    assert events(desk, number)[base:] == [
        ("reply", None, str(message_id)),
        ("status", "new", "solved"),
        ("canned", None, "refund-done"),
        ("tag_added", None, "refund"),
        ("tag_added", None, "billing"),
        ("priority", "normal", "low"),
        ("assignee", None, "bo@desk.test"),
    ]


def test_apply_canned_as_note_with_edited_body_and_assign_me(desk: Desk) -> None:
    desk.svc.save_canned("triage", "unused {{ ticket.subject }}", {"assign": "me"})
    number = new_ticket(desk)
    desk.svc.apply_canned(number, "triage", body="edited by hand", as_note=True)
    detail = queries.get_ticket(desk.store, number)
    assert detail.messages[-1].kind == "note"
    assert detail.messages[-1].body_text == "edited by hand"
    assert detail.ticket.assignee == "me"
    assert detail.ticket.status == "new"
    assert detail.ticket.first_response_at is None
    assert event_kinds(desk, number)[-3:] == ["note", "canned", "assignee"]
    # Applying it again changes nothing but adds the note and the canned event.
    desk.svc.apply_canned(number, "triage", body="again", as_note=True)
    assert event_kinds(desk, number)[-2:] == ["note", "canned"]


def test_apply_canned_failing_action_rolls_back_the_reply(desk: Desk) -> None:
    # Actions stored by hand (or by an older version) that no longer validate: the
    # priority is checked only after the reply and its events were added to the session.
    desk.svc.save_canned("hand-off", "Passing you on.", {"add_tags": "x"})
    conn = desk.raw()
    conn.execute(
        "UPDATE canned_reply SET actions = ? WHERE name = 'hand-off'",
        ('{"add_tags": ["x"], "priority": "mega"}',),
    )
    conn.close()
    number = new_ticket(desk)
    before = snapshot(desk)
    with pytest.raises(UsageError, match="mega"):
        desk.svc.apply_canned(number, "hand-off")
    assert snapshot(desk) == before
    with pytest.raises(NotFoundError, match="no canned reply"):
        desk.svc.apply_canned(number, "missing")
    assert snapshot(desk) == before


# -- concurrency and locking -----------------------------------------------------------


def test_ticket_numbers_are_unique_and_increasing_under_concurrent_writers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    open_store(path, create=True).close()
    workers, per_worker = 4, 25
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [
            pool.submit(create_tickets_in_process, str(path), w, per_worker) for w in range(workers)
        ]
        results = [f.result(timeout=120) for f in futures]
    total = workers * per_worker
    for numbers in results:
        assert numbers == sorted(numbers), "each writer sees its numbers increase"
        assert len(numbers) == per_worker
    all_numbers = [n for numbers in results for n in numbers]
    assert sorted(all_numbers) == list(range(1, total + 1))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == total
        assert conn.execute("SELECT count(DISTINCT number) FROM ticket").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM event WHERE kind='created'").fetchone()[0] == (
            total
        )
        assert conn.execute("SELECT count(*) FROM message").fetchone()[0] == total
        assert conn.execute("SELECT value FROM counter WHERE name='ticket'").fetchone()[0] == total
        # Each worker's tickets got numbers in the order it created them.
        for w in range(workers):
            subjects = conn.execute(
                "SELECT subject FROM ticket WHERE subject LIKE ? ORDER BY number",
                (f"worker {w} %",),
            ).fetchall()
            assert [s[0] for s in subjects] == [f"worker {w} ticket {i}" for i in range(per_worker)]
    finally:
        conn.close()


def test_locked_store_gives_one_line_error_after_the_busy_timeout(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deskterm.store.schema.db as db

    # BUSY_TIMEOUT_MS is baked into db._PRAGMAS at import; lower both so the test waits 1 s.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 1000)
    if hasattr(db, "_PRAGMAS"):
        pragmas = tuple(
            "PRAGMA busy_timeout=1000" if "busy_timeout" in p else p for p in db._PRAGMAS
        )
        monkeypatch.setattr(db, "_PRAGMAS", pragmas)
    number = new_ticket(desk)
    fresh = open_store(desk.path)  # a new engine, so new connections see the setting
    svc = Service(fresh, Actor(desk.me_id, "me"))
    holder = sqlite3.connect(desk.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as err:
            svc.add_note(number, "blocked")
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(err.value)
    assert "\n" not in message
    assert str(desk.path) in message
    assert "locked" in message
    assert waited >= 0.9, "it waits for the lock before giving up"
    # Once the lock is gone the same service writes normally.
    svc.add_note(number, "unblocked")
    assert event_kinds(desk, number)[-1] == "note"
    fresh.close()


def test_clock_time_is_used_for_events_and_updated_at(desk: Desk) -> None:
    number = new_ticket(desk)
    desk.clock.jump(timedelta(days=3))
    desk.svc.add_reply(number, "late answer")
    row = queries.get_ticket_row(desk.store, number)
    assert row.updated_at - row.created_at >= timedelta(days=3)
    assert queries.list_events(desk.store, number)[-1].created_at == row.updated_at


def test_an_agent_address_is_one_agent_whatever_its_case_and_spaces(desk: Desk) -> None:
    """A second agent at the same address is a usage error, never a refused store write."""
    desk.svc.add_agent("Kim", " Kim@Desk.test\r")
    desk.svc.add_agent("Åsa", "ÅSA@desk.test")
    for again in ("kim@desk.test", "KIM@DESK.TEST ", "åsa@desk.test"):
        with pytest.raises(UsageError, match="exists"):
            desk.svc.add_agent("Again", again)
    assert desk.svc.ensure_agent("Kim", "kim@desk.test ") == desk.svc.ensure_agent(
        "K", "KIM@desk.test"
    )
    assert count(desk, "agent") == 3  # me, Kim, Åsa
