"""Reads: keyset paging under every filter, counts, and the detail queries."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers.clock import TickingClock
from helpers.store import Desk, events, make_desk

from deskterm.errors import NotFoundError, UsageError
from deskterm.query.syntax import TicketQuery, parse_query
from deskterm.store.queries import catalog as catalog_queries
from deskterm.store.queries import tickets as queries
from deskterm.store.queries.records import TicketRow
from deskterm.store.schema.timefmt import from_db
from deskterm.store.search.filters import QueryContext
from deskterm.store.search.order import Cursor

BASE = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # noon UTC: the same local day in any zone
NOW = BASE + timedelta(days=40)
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TAGS = ("billing", "vip", "late")
CUSTOMERS = (
    ("ana@acme.test", "Ana Lima"),
    ("bo@acme.test", "Bo Berg"),
    ("chen@example.cn", "Chen Wei"),
    ("dee@example.org", ""),
    ("eve@example.org", "Eve Moss"),
)


@dataclass
class Model:
    """What the fixture wrote, kept by the test: the ground truth for every filter."""

    number: int
    id: int
    status: str
    priority: str
    assignee: str | None
    tags: set[str]
    email: str
    created_at: datetime
    updated_raw: str = ""

    @property
    def updated_at(self) -> datetime:
        value = from_db(self.updated_raw)
        assert value is not None
        return value


@dataclass
class World:
    desk: Desk
    tickets: list[Model]
    ctx: QueryContext

    def expect(self, keep: Callable[[Model], bool]) -> list[int]:
        """Numbers of matching tickets in list order: updated_at desc, id desc."""
        rows = [t for t in self.tickets if keep(t)]
        rows.sort(key=lambda t: (t.updated_raw, t.id), reverse=True)
        return [t.number for t in rows]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    desk = make_desk(tmp_path_factory.mktemp("queries"))
    desk.add_agent("bo")
    desk.svc.add_group("tier2")
    desk.svc.add_organization("Acme", "acme.test")
    rng = random.Random(20260105)
    tickets: list[Model] = []
    for i in range(90):
        email, name = CUSTOMERS[i % len(CUSTOMERS)]
        created_at = BASE + timedelta(days=i // 3)  # three tickets per instant: ties
        tags = set(rng.sample(TAGS, rng.randint(0, 2)))
        priority = rng.choice(PRIORITIES)
        status = rng.choice(STATUSES)
        assignee = rng.choice(("me", "bo", None))
        created = desk.svc.create_ticket(
            f"Ticket {i}",
            f"body {i}",
            email,
            name,
            priority=priority,
            status=status,
            assignee=assignee,
            tags=sorted(tags),
            when=created_at,
        )
        tickets.append(
            Model(
                created.number,
                created.ticket_id,
                status,
                priority,
                assignee,
                tags,
                email,
                created_at,
            )
        )
    # Later activity at one frozen instant: more ties, across days.
    desk.clock.now, desk.clock.step = BASE + timedelta(days=33), timedelta(0)
    for model in tickets[::4]:
        desk.svc.add_note(model.number, "late note")
    conn = desk.raw()
    updated = dict(conn.execute("SELECT number, updated_at FROM ticket").fetchall())
    conn.close()
    for model in tickets:
        model.updated_raw = updated[model.number]
    assert len({m.updated_raw for m in tickets}) < len(tickets) / 2, "the data has ties"
    yield World(desk, tickets, QueryContext(me_agent_id=desk.me_id, now=NOW))
    desk.store.close()


def walk(world: World, query: TicketQuery, limit: int) -> list[int]:
    """Every ticket of `query`, one keyset page at a time, checking each page's shape."""
    seen: list[int] = []
    cursor: Cursor | None = None
    for _ in range(1000):
        page = queries.list_tickets(world.desk.store, query, world.ctx, after=cursor, limit=limit)
        assert len(page.rows) <= limit
        seen.extend(r.number for r in page.rows)
        if page.next is None:
            return seen
        assert len(page.rows) == limit, "only the last page is short"
        assert page.next == page.rows[-1].cursor
        # Cursors survive the text form the CLI prints.
        cursor = Cursor.decode(page.next.encode())
    raise AssertionError("paging never ended")


def local_day(value: datetime) -> date:
    return value.astimezone(NOW.astimezone().tzinfo).date()


D = date(2026, 1, 20)
CASES: dict[str, Callable[[Model], bool]] = {
    "": lambda t: True,
    "status:open": lambda t: t.status == "open",
    "status:solved": lambda t: t.status == "solved",
    "status:new,open": lambda t: t.status in ("new", "open"),
    "status:new,open,pending,on_hold": lambda t: t.status not in ("solved", "closed"),
    "assignee:me": lambda t: t.assignee == "me",
    "assignee:none": lambda t: t.assignee is None,
    "assignee:bo": lambda t: t.assignee == "bo",
    "assignee:BO@desk.test": lambda t: t.assignee == "bo",
    "assignee:me,none": lambda t: t.assignee in ("me", None),
    "tag:billing": lambda t: "billing" in t.tags,
    "tag:billing tag:vip": lambda t: {"billing", "vip"} <= t.tags,
    "tag:billing,vip": lambda t: bool({"billing", "vip"} & t.tags),
    "tag:nosuchtag": lambda t: False,
    "from:ana@acme.test": lambda t: t.email == "ana@acme.test",
    "from:ANA@acme.test,chen@example.cn": lambda t: t.email in ("ana@acme.test", "chen@example.cn"),
    "customer:acme": lambda t: t.email.endswith("@acme.test"),
    "customer:Chen": lambda t: t.email == "chen@example.cn",
    "customer:example.org": lambda t: t.email.endswith("@example.org"),
    f"created>{D}": lambda t: local_day(t.created_at) > D,
    f"created>={D}": lambda t: local_day(t.created_at) >= D,
    f"created<{D}": lambda t: local_day(t.created_at) < D,
    f"created<={D}": lambda t: local_day(t.created_at) <= D,
    f"created:{D}": lambda t: local_day(t.created_at) == D,
    "created<20d": lambda t: t.created_at > NOW - timedelta(days=20),
    "created>3w": lambda t: t.created_at < NOW - timedelta(weeks=3),
    "updated<10d": lambda t: t.updated_at > NOW - timedelta(days=10),
    "updated>=240h": lambda t: t.updated_at <= NOW - timedelta(hours=240),
    f"updated>{BASE.date()} updated<2026-12-31": lambda t: local_day(t.updated_at) > BASE.date(),
    "priority:high,urgent": lambda t: t.priority in ("high", "urgent"),
    "priority:low": lambda t: t.priority == "low",
    "status:open,pending priority:urgent,high tag:billing,late assignee:me,bo": lambda t: (
        t.status in ("open", "pending")
        and t.priority in ("urgent", "high")
        and bool({"billing", "late"} & t.tags)
        and t.assignee in ("me", "bo")
    ),
    f"status:new,solved,closed created<{D} from:eve@example.org": lambda t: (
        t.status in ("new", "solved", "closed")
        and local_day(t.created_at) < D
        and t.email == "eve@example.org"
    ),
}


@pytest.mark.parametrize("limit", [1, 7, 50])
@pytest.mark.parametrize("text", list(CASES))
def test_keyset_paging_walks_every_match_once_in_order(world: World, text: str, limit: int) -> None:
    query = parse_query(text)
    expected = world.expect(CASES[text])
    got = walk(world, query, limit)
    assert len(got) == len(set(got)), "no ticket twice"
    assert got == expected
    assert queries.count_tickets(world.desk.store, query, world.ctx) == len(expected)


def test_cases_are_not_trivial(world: World) -> None:
    sizes = {text: len(world.expect(keep)) for text, keep in CASES.items()}
    wanted = ("", "tag:nosuchtag")
    trivial = [t for t, n in sizes.items() if n in (0, 90) and t not in wanted]
    assert not trivial, f"these filters select all or nothing: {trivial}"
    assert sizes[""] == 90


def test_rows_carry_the_written_fields(world: World) -> None:
    by_number = {m.number: m for m in world.tickets}
    for row in queries.list_tickets(world.desk.store, TicketQuery(), world.ctx, limit=90).rows:
        model = by_number[row.number]
        assert row.status == model.status
        assert row.priority == model.priority
        assert row.assignee == model.assignee
        assert set(row.tags) == model.tags
        assert row.customer_email == model.email
        assert row.created_at == model.created_at
        assert row.updated_at == model.updated_at
        assert row.cursor == Cursor(model.updated_raw, model.id)


def test_assignee_errors(world: World) -> None:
    with pytest.raises(UsageError, match="nobody"):
        queries.list_tickets(world.desk.store, parse_query("assignee:nobody"), world.ctx)
    with pytest.raises(UsageError, match="assignee:me"):
        queries.list_tickets(world.desk.store, parse_query("assignee:me"), QueryContext())


def test_disjoint_merged_statuses_match_nothing(world: World) -> None:
    query = parse_query("status:open").merged(parse_query("status:solved"))
    assert walk(world, query, 7) == []
    assert queries.count_tickets(world.desk.store, query, world.ctx) == 0


@pytest.mark.parametrize(
    "text", ["created>99999999w", "updated<999999999d", "created:9999-12-31", "due<99999999w"]
)
def test_out_of_range_dates_are_usage_errors_not_crashes(world: World, text: str) -> None:
    # Either the parser refuses the value, or the query runs (and matches nothing).
    try:
        query = parse_query(text)
    except UsageError:
        return
    try:
        queries.list_tickets(world.desk.store, query, world.ctx)
        queries.count_tickets(world.desk.store, query, world.ctx)
    except UsageError as exc:
        assert "\n" not in str(exc)


# -- details ---------------------------------------------------------------------------------


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path)
    yield d
    d.store.close()


def test_get_ticket_returns_the_thread_as_written(desk: Desk) -> None:
    desk.svc.add_organization("Acme", "acme.test")
    created = desk.svc.create_ticket(
        "Broken", "It broke.", "ana@acme.test", "Ana", message_fields={"message_id": "<a@x>"}
    )
    reply = desk.svc.add_reply(created.number, "Fixed.")
    note = desk.svc.add_note(created.number, "was a loose cable")
    detail = queries.get_ticket(desk.store, created.number)
    assert detail.ticket.number == created.number
    assert detail.customer.email == "ana@acme.test"
    assert detail.customer.organization == "Acme"
    assert detail.merged_into is None
    assert [(m.id, m.kind, m.body_text) for m in detail.messages] == [
        (created.message_id, "customer", "It broke."),
        (reply, "reply", "Fixed."),
        (note, "note", "was a loose cable"),
    ]
    assert detail.messages[0].message_id == "<a@x>"
    assert detail.messages[0].author == "Ana"
    assert detail.messages[1].author == "me"
    assert detail.to_json()["messages"][1]["from"] == {"name": "me", "email": "me@desk.test"}
    assert queries.message_ticket_number(desk.store, note) == created.number
    with pytest.raises(NotFoundError, match="#42"):
        queries.get_ticket(desk.store, 42)
    with pytest.raises(NotFoundError):
        queries.message_ticket_number(desk.store, 9999)


def test_list_events_matches_what_was_written(desk: Desk) -> None:
    number = desk.svc.create_ticket("x", "y", "ana@example.com", tags=["a"]).number
    desk.svc.update_tickets([number], status="pending", priority="high")
    desk.svc.remove_tags(number, ["a"])
    listed = queries.list_events(desk.store, number)
    assert [(e.kind, e.old, e.new) for e in listed] == events(desk, number)
    assert [e.kind for e in listed] == ["created", "tag_added", "status", "priority", "tag_removed"]
    assert all(e.actor == "me" for e in listed)
    assert [e.id for e in listed] == sorted(e.id for e in listed)
    times = [e.created_at for e in listed]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)
    with pytest.raises(NotFoundError):
        queries.list_events(desk.store, 77)


def test_customers_list_get_and_page(desk: Desk) -> None:
    desk.svc.add_organization("Acme", "acme.test")
    emails = [f"user{i:02d}@{'acme.test' if i % 3 == 0 else 'example.org'}" for i in range(23)]
    for i, email in enumerate(emails):
        desk.svc.create_ticket(f"t{i}", "b", email, f"User {i:02d}")
    first = queries.get_ticket_row(desk.store, 1)
    desk.svc.set_status(first.number, "solved")
    desk.svc.create_ticket("again", "b", "USER00@acme.test")

    paged: list[str] = []
    after: int | None = None
    while True:
        page = catalog_queries.list_customers(desk.store, after=after, limit=5)
        if not page:
            break
        paged.extend(c.email for c in page)
        after = page[-1].id
    assert paged == emails

    acme = catalog_queries.list_customers(desk.store, text="acme", limit=100)
    assert [c.email for c in acme] == [e for e in emails if e.endswith("acme.test")]
    assert all(c.organization == "Acme" for c in acme)
    assert [c.email for c in catalog_queries.list_customers(desk.store, text="User 07")] == [
        emails[7]
    ]

    ana = catalog_queries.get_customer(desk.store, "User00@ACME.test")
    assert (ana.ticket_count, ana.open_count) == (2, 1)
    assert catalog_queries.get_customer(desk.store, ana.id) == ana
    assert ana.name == "User 00"
    with pytest.raises(NotFoundError):
        catalog_queries.get_customer(desk.store, "nobody@example.org")
    with pytest.raises(NotFoundError):
        catalog_queries.get_customer(desk.store, 999)
    rows = queries.list_customer_tickets(desk.store, ana.id)
    assert [r.subject for r in rows] == ["again", "t0"]


def test_agents_canned_and_views(desk: Desk) -> None:
    desk.add_agent("bo")
    assert [a.name for a in catalog_queries.list_agents(desk.store)] == ["bo", "me"]
    assert catalog_queries.find_agent(desk.store, "BO@desk.test").name == "bo"
    with pytest.raises(NotFoundError):
        catalog_queries.find_agent(desk.store, "zed")
    desk.svc.save_canned("thanks", "Thanks!", {"status": "Solved"})
    canned = catalog_queries.get_canned(desk.store, "thanks")
    assert canned.actions == {"status": "solved"}
    assert [c.name for c in catalog_queries.list_canned(desk.store)] == ["thanks"]
    desk.svc.save_view("mine", "assignee:me status:open")
    desk.svc.save_view("urgent", "priority:urgent")
    assert [(v.name, v.position) for v in catalog_queries.list_views(desk.store)] == [
        ("mine", 1),
        ("urgent", 2),
    ]


def test_single_clock_instant_ties_page_by_id(tmp_path: Path) -> None:
    # Every ticket created at the same microsecond: order falls back to id, still exact.
    desk = make_desk(tmp_path)
    desk.clock = TickingClock(step=timedelta(0))
    svc = desk.service()
    svc.clock = desk.clock
    for i in range(23):
        svc.create_ticket(f"t{i}", "b", "ana@example.com")
    seen: list[TicketRow] = []
    cursor = None
    while True:
        page = queries.list_tickets(desk.store, TicketQuery(), after=cursor, limit=4)
        seen.extend(page.rows)
        if page.next is None:
            break
        cursor = page.next
    assert [r.number for r in seen] == list(range(23, 0, -1))
    desk.store.close()
