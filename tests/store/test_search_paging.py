"""Paged search is exact: every page size walks the same rows, equal to the count.

Random stores (tickets whose matching message is old while their last update is
new, equal update times, tags, customers with names, groups, assignees, SLA due
times, read marks, Korean with particles) and random queries from the grammar are
checked against a brute-force scan: the tickets' text and fields read back and
matched in Python.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.clock import START
from helpers.store import Desk, make_desk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.query import fts
from deskterm.query.syntax import DateFilter, TicketQuery, format_query, parse_query, resolve_date
from deskterm.sla.policy import Policy, SlaSettings
from deskterm.store.queries import tickets as queries
from deskterm.store.schema.timefmt import to_db
from deskterm.store.search import filters
from deskterm.store.search import sqlite as sqlite_search
from deskterm.store.search import words as search_words
from deskterm.store.search.filters import QueryContext
from deskterm.store.service import Actor, Service

# Latin words the porter stemmer leaves as they are (checked below), so a word
# matches a text exactly when the text holds it, and a prefix when a word starts so.
LATIN = ("refund", "order", "parcel", "account", "login", "screen", "broken", "help", "late")
HANGUL = ("환불", "주문", "배송", "요청")
PARTICLES = ("", "", "을", "이", "은", "에서")
STATUSES = ("new", "open", "pending", "solved")
PRIORITIES = ("low", "normal", "urgent")
TAGS = ("billing", "vip", "shipping")
CUSTOMERS = ("a@example.com", "b@example.com", "c@example.com")
NAMES = {"a@example.com": "Ana Kim", "b@example.com": "김민지", "c@example.com": "Bo Lee"}
# customer: text, short (a LIKE scan) and long (the trigram index), in no one's too
CUSTOMER_TEXTS = ("a@ex", "example", "kim", "김민", "김민지", "b@", "LEE", "nobody")
GROUPS = ("tier1", "tier2")
SLA = SlaSettings(
    policies=(
        Policy("billing", tag="billing", first_reply={
            "low": timedelta(minutes=30), "normal": timedelta(minutes=5),
            "urgent": timedelta(minutes=2)}),
        Policy("urgent", first_reply={"urgent": timedelta(minutes=1)},
               priorities=frozenset({"urgent"})),
    )
)  # fmt: skip
AGES = ("1m", "5m", "10m", "1h")
DAYS = ("2026-03-01", "2026-03-02")  # the day before START's, and its own
SEEDS = (1, 2, 3)


def _stems() -> set[str]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5(x, tokenize='porter unicode61')")
    conn.execute("CREATE VIRTUAL TABLE w USING fts5vocab(v, 'row')")
    conn.execute("INSERT INTO v (x) VALUES (?)", (" ".join(LATIN),))
    return {row[0] for row in conn.execute("SELECT term FROM w")}


def test_the_latin_words_are_their_own_stems() -> None:
    assert _stems() == set(LATIN)


@dataclass
class Fact:
    """What the brute-force scan knows of one ticket."""

    id: int
    number: int
    status: str
    priority: str
    updated: str
    created: str
    due: str | None
    email: str
    name: str
    assignee: str | None
    group: str | None
    sla_policy: str | None
    read_at: str | None  # "me"'s read mark
    tags: set[str]
    texts: list[str]


def _text(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(1, 5)):
        if rng.random() < 0.3:
            words.append(rng.choice(HANGUL) + rng.choice(PARTICLES))
        else:
            words.append(rng.choice(LATIN))
    return " ".join(words)


def _build(path: Path, seed: int) -> tuple[Desk, datetime]:
    """A store where old tickets get new messages and updates, and times tie; and the
    time it was built up to (the queries' "now": some due times before it, some after)."""
    rng = random.Random(seed)
    desk = make_desk(path)
    bo = desk.add_agent("bo")
    now = [START]

    def clock():
        return now[0]

    svc = Service(desk.store, Actor(desk.me_id, "me"), clock=clock, sla=SLA)
    other = Service(desk.store, Actor(bo, "bo"), clock=clock, sla=SLA)  # leaves "me" unread
    for group in GROUPS:
        svc.add_group(group)
    count = 0
    for _ in range(45):
        now[0] += timedelta(seconds=rng.choice((0, 0, 1, 60)))
        if rng.random() < 0.6 or not count:
            email = rng.choice(CUSTOMERS)
            svc.create_ticket(
                _text(rng),
                _text(rng),
                email,
                NAMES[email],
                priority=rng.choice(PRIORITIES),
                tags=rng.sample(TAGS, rng.randint(0, 2)),
                assignee=rng.choice((None, "me@desk.test", "bo@desk.test")),
                group=rng.choice((None, *GROUPS)),
            )
            count += 1
            continue
        number = rng.randint(1, count)
        action = rng.random()
        if action < 0.3:
            rng.choice((svc, other)).add_note(number, _text(rng))
        elif action < 0.55:
            rng.choice((svc, other)).add_reply(number, _text(rng))
        elif action < 0.7:
            svc.mark_read(number)
        elif action < 0.8:
            svc.set_group(number, rng.choice((None, *GROUPS)))
        else:
            rng.choice((svc, other)).set_status(number, rng.choice(STATUSES))
    return desk, now[0]


def _facts(desk: Desk) -> list[Fact]:
    conn = desk.raw()
    facts = {
        row[0]: Fact(*row[:-1], tags=set(), texts=[row[-1]])  # type: ignore[misc]  # the columns are Fact's fields in order
        for row in conn.execute(
            "SELECT t.id, t.number, t.status, t.priority, t.updated_at, t.created_at, t.due_at,"
            " c.email, coalesce(c.name, ''), a.email, g.name, t.sla_policy, r.read_at, t.subject"
            " FROM ticket t JOIN customer c ON c.id = t.customer_id"
            " LEFT JOIN agent a ON a.id = t.assignee_id"
            " LEFT JOIN agent_group g ON g.id = t.group_id"
            " LEFT JOIN ticket_read r ON r.ticket_id = t.id AND r.agent_id = ?",
            (desk.me_id,),
        )
    }
    for ticket_id, tag in conn.execute(
        "SELECT tt.ticket_id, tag.name FROM ticket_tag tt JOIN tag ON tag.id = tt.tag_id"
    ):
        facts[ticket_id].tags.add(tag)
    for ticket_id, body in conn.execute("SELECT ticket_id, body_text FROM message"):
        facts[ticket_id].texts.append(body)
    conn.close()
    return list(facts.values())


def _holds(texts: list[str], word: str) -> bool:
    """Brute force: `word` (a Latin word, prefix or phrase, or a Hangul word) is in a text."""
    if re.fullmatch("[\uac00-\ud7af]+", word):
        stem = fts.korean_stem(word)
        return any(stem in run for text in texts for run in re.findall("[\uac00-\ud7af]+", text))
    prefix = word.endswith("*")
    wanted = word.rstrip("*").split()
    for text in texts:
        tokens = re.findall("[a-z0-9]+", text.lower())
        for i in range(len(tokens) - len(wanted) + 1):
            window = tokens[i : i + len(wanted)]
            if window[:-1] == wanted[:-1] and (
                window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
            ):
                return True
    return False


def _in_sla(f: Fact, values: tuple[str, ...], now: str) -> bool:
    if not values or "any" in values:
        return True
    due = f.due
    return (
        ("breached" in values and due is not None and due <= now)
        or ("ok" in values and due is not None and due > now)
        or ("none" in values and f.sla_policy is None)
    )


def _on_date(f: Fact, date: DateFilter, now: datetime) -> bool:
    """The date filters as the query syntax's help states them, on the stored times."""
    value = {"created": f.created, "updated": f.updated, "due": f.due}[date.field]
    if value is None:
        return False
    if date.field == "due":  # due<5m: due within 5 minutes from now
        edge = to_db(now + (now - resolve_date(date.value, now, now)))
        return {"<": value < edge, "<=": value <= edge, ">": value > edge, ">=": value >= edge}[
            date.op
        ]
    at = resolve_date(date.value, now, now.astimezone())
    if date.value[-1].isalpha():  # an age: updated<5m is newer than five minutes ago
        edge = to_db(at)
        return {"<": value > edge, "<=": value >= edge, ">": value < edge, ">=": value <= edge}[
            date.op
        ]
    day, next_day = to_db(at), to_db(at + timedelta(days=1))
    return {
        ">": value >= next_day,
        ">=": value >= day,
        "<": value < day,
        "<=": value < next_day,
        ":": day <= value < next_day,
    }[date.op]


def _expected(facts: list[Fact], query: TicketQuery, now: datetime) -> list[int]:
    def keep(f: Fact) -> bool:
        assignee = f.assignee or "none"
        read = f.read_at is not None and f.read_at >= f.updated
        return (
            (not query.status or f.status in query.status)
            and (not query.priority or f.priority in query.priority)
            and all(f.tags & set(group) for group in query.tag)
            and (not query.from_ or f.email in query.from_)
            and all(
                text.lower() in f.email.lower() or text.lower() in f.name.lower()
                for text in query.customer
            )
            and (not query.group or (f.group or "").lower() in query.group)
            and (not query.assignee or assignee in query.assignee)
            and _in_sla(f, query.sla, to_db(now))
            and all(_on_date(f, date, now) for date in query.dates)
            and all(read == (value == "read") for value in query.is_)
            and (query.sort != "due" or f.due is not None)
            and all(_holds(f.texts, word) for word in query.words)
        )

    key = {"": lambda f: f.updated, "created": lambda f: f.created, "due": lambda f: f.due}
    chosen = [f for f in facts if keep(f)]
    chosen.sort(key=lambda f: (key[query.sort](f), f.id), reverse=query.sort != "due")
    return [f.number for f in chosen]


_STORES: dict[int, tuple[Desk, list[Fact], datetime]] = {}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):
    for seed in SEEDS:
        desk, now = _build(tmp_path_factory.mktemp(f"paging{seed}"), seed)
        _STORES[seed] = (desk, _facts(desk), now)
    yield _STORES
    for desk, _, _ in _STORES.values():
        desk.store.close()
    _STORES.clear()


def test_the_stores_hold_every_kind_of_value_the_queries_draw(stores) -> None:
    """Each filter meets tickets that pass and tickets that fail it."""
    facts = [f for _, seed_facts, _ in stores.values() for f in seed_facts]
    now = to_db(max(built for _, _, built in stores.values()))
    assert {f.group for f in facts} == {None, *GROUPS}
    assert {f.sla_policy for f in facts} == {None, "billing", "urgent"}
    assert any(f.due and f.due <= now for f in facts) and any(f.due is None for f in facts)
    read = [f.read_at is not None and f.read_at >= f.updated for f in facts]
    assert any(read) and not all(read)
    assert {f.name for f in facts} == set(NAMES.values())


_word = st.one_of(
    st.sampled_from(LATIN),
    st.builds(lambda w, n: w[:n] + "*", st.sampled_from(LATIN), st.integers(2, 5)),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(LATIN), st.sampled_from(LATIN)),
    st.builds(lambda w, p: w + p, st.sampled_from(HANGUL), st.sampled_from(PARTICLES)),
)
# Besides its words, a query sets a few fields (all at once would match nothing).
_FIELDS = {
    "status": st.lists(st.sampled_from(STATUSES), min_size=1, max_size=2, unique=True).map(tuple),
    "priority": st.lists(st.sampled_from(PRIORITIES), min_size=1, max_size=2, unique=True).map(
        tuple
    ),
    "tag": st.lists(
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True).map(tuple),
        min_size=1,
        max_size=2,
    ).map(tuple),
    "from_": st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=2, unique=True).map(tuple),
    "assignee": st.lists(
        st.sampled_from(("me@desk.test", "bo@desk.test", "none")), min_size=1, max_size=1
    ).map(tuple),
    "customer": st.lists(st.sampled_from(CUSTOMER_TEXTS), min_size=1, max_size=2, unique=True).map(
        tuple
    ),
    "group": st.lists(
        st.sampled_from((*GROUPS, "nosuchgroup")), min_size=1, max_size=2, unique=True
    ).map(tuple),
    "sla": st.lists(
        st.sampled_from(("breached", "ok", "none", "any")), min_size=1, max_size=2, unique=True
    ).map(tuple),
    "is_": st.lists(st.sampled_from(("unread", "read")), min_size=1, max_size=1).map(tuple),
    "dates": st.lists(
        st.one_of(
            st.builds(
                DateFilter,
                st.sampled_from(("created", "updated")),
                st.sampled_from((">", ">=", "<", "<=")),
                st.sampled_from(AGES),
            ),
            st.builds(
                DateFilter,
                st.sampled_from(("created", "updated")),
                st.sampled_from((">", ">=", "<", "<=", ":")),
                st.sampled_from(DAYS),
            ),
            st.builds(
                DateFilter,
                st.just("due"),
                st.sampled_from((">", ">=", "<", "<=")),
                st.sampled_from(AGES),
            ),
        ),
        min_size=1,
        max_size=2,
    ).map(tuple),
}


@st.composite
def _queries(draw: st.DrawFn) -> TicketQuery:
    chosen = draw(st.lists(st.sampled_from(sorted(_FIELDS)), max_size=3, unique=True))
    fields: dict[str, Any] = {name: draw(_FIELDS[name]) for name in chosen}
    words = tuple(draw(st.lists(_word, max_size=2)))
    return TicketQuery(words, **fields, sort=draw(st.sampled_from(("", "", "created", "due"))))


def _walk(
    desk: Desk, query: TicketQuery, now: datetime, limit: int, *, reverse: bool = False
) -> list[int]:
    ctx = QueryContext(me_agent_id=desk.me_id, now=now)
    numbers: list[int] = []
    page = queries.list_tickets(desk.store, query, ctx, limit=limit, reverse=reverse)
    numbers += [r.number for r in page.rows]
    while page.next is not None:
        assert len(page.rows) == limit
        page = queries.list_tickets(
            desk.store, query, ctx, after=page.next, limit=limit, reverse=reverse
        )
        numbers += [r.number for r in page.rows]
    return numbers


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.sampled_from(SEEDS), query=_queries(), limit=st.integers(1, 9))
@pytest.mark.parametrize("plan", ["small sets", "walk and check"])
def test_every_page_size_walks_the_brute_force_result(
    stores, monkeypatch, plan, seed, query, limit
) -> None:
    """Both plans: in these small stores every word and tag is "rare", so the second
    run lowers the thresholds until each is checked on the walk's rows instead."""
    if plan == "walk and check":
        monkeypatch.setattr(search_words, "RARE_HITS", 0)
        monkeypatch.setattr(search_words, "_QUERY_COST_IN_HITS", 0)  # a range per id
        monkeypatch.setattr(filters, "DRIVE", 0)
        monkeypatch.setattr(sqlite_search, "FIRST_BATCH", 2)
    desk, facts, now = stores[seed]
    query = parse_query(format_query(query))  # the query as a user would type it
    expected = _expected(facts, query, now)
    assert _walk(desk, query, now, limit) == expected
    assert _walk(desk, query, now, limit, reverse=True) == expected[::-1]
    ctx = QueryContext(me_agent_id=desk.me_id, now=now)
    assert queries.count_tickets(desk.store, query, ctx) == len(expected)


def test_a_recently_updated_ticket_with_an_old_match_is_not_lost(tmp_path: Path) -> None:
    """The defect behind this file: hits were taken from the newest matching messages."""
    desk = make_desk(tmp_path)
    try:
        old = desk.svc.create_ticket("Question", "a refund please", "a@example.com").number
        for i in range(30):
            desk.svc.create_ticket(f"Other {i}", "refund again", "b@example.com")
        desk.svc.add_note(old, "looked at it")  # updated last, its refund hit is the oldest
        query = parse_query("refund")
        first = queries.list_tickets(desk.store, query, limit=3)
        assert first.rows[0].number == old
        assert len(_walk(desk, query, START, 7)) == 31 == queries.count_tickets(desk.store, query)
    finally:
        desk.store.close()
