"""Paged search is exact: every page size walks the same rows, equal to the count.

Random stores (tickets whose matching message is old while their last update is
new, equal update times, tags, customers, assignees, Korean with particles) and
random queries from the grammar are checked against a brute-force scan: the
tickets' text and fields read back and matched in Python.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.clock import START
from helpers.store import Desk, make_desk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.query import fts
from deskterm.query.syntax import TicketQuery, format_query, parse_query
from deskterm.store.queries import filters
from deskterm.store.queries import tickets as queries
from deskterm.store.queries.filters import QueryContext
from deskterm.store.search import sqlite as sqlite_search
from deskterm.store.search import words as search_words
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
    assignee: str | None
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


def _build(path: Path, seed: int) -> Desk:
    """A store where old tickets get new messages and updates, and times tie."""
    rng = random.Random(seed)
    desk = make_desk(path)
    desk.add_agent("bo")
    now = [START]

    def clock():
        return now[0]

    svc = Service(desk.store, Actor(desk.me_id, "me"), clock=clock)
    count = 0
    for _ in range(45):
        now[0] += timedelta(seconds=rng.choice((0, 0, 1, 60)))
        if rng.random() < 0.6 or not count:
            svc.create_ticket(
                _text(rng),
                _text(rng),
                rng.choice(CUSTOMERS),
                priority=rng.choice(PRIORITIES),
                tags=rng.sample(TAGS, rng.randint(0, 2)),
                assignee=rng.choice((None, "me@desk.test", "bo@desk.test")),
            )
            count += 1
            continue
        number = rng.randint(1, count)
        action = rng.random()
        if action < 0.4:
            svc.add_note(number, _text(rng))
        elif action < 0.7:
            svc.add_reply(number, _text(rng))
        else:
            svc.set_status(number, rng.choice(STATUSES))
    return desk


def _facts(desk: Desk) -> list[Fact]:
    conn = desk.raw()
    facts = {
        r[0]: Fact(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], set(), [r[9]])
        for r in conn.execute(
            "SELECT t.id, t.number, t.status, t.priority, t.updated_at, t.created_at, t.due_at,"
            " c.email, a.email, t.subject FROM ticket t JOIN customer c ON c.id = t.customer_id"
            " LEFT JOIN agent a ON a.id = t.assignee_id"
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


def _expected(facts: list[Fact], query: TicketQuery) -> list[int]:
    def keep(f: Fact) -> bool:
        assignee = f.assignee or "none"
        return (
            (not query.status or f.status in query.status)
            and (not query.priority or f.priority in query.priority)
            and all(f.tags & set(group) for group in query.tag)
            and (not query.from_ or f.email in query.from_)
            and (not query.assignee or assignee in query.assignee)
            and (query.sort != "due" or f.due is not None)
            and all(_holds(f.texts, word) for word in query.words)
        )

    key = {"": lambda f: f.updated, "created": lambda f: f.created, "due": lambda f: f.due}
    chosen = [f for f in facts if keep(f)]
    chosen.sort(key=lambda f: (key[query.sort](f), f.id), reverse=query.sort != "due")
    return [f.number for f in chosen]


_STORES: dict[int, tuple[Desk, list[Fact]]] = {}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):
    for seed in SEEDS:
        desk = _build(tmp_path_factory.mktemp(f"paging{seed}"), seed)
        _STORES[seed] = (desk, _facts(desk))
    yield _STORES
    for desk, _ in _STORES.values():
        desk.store.close()
    _STORES.clear()


_word = st.one_of(
    st.sampled_from(LATIN),
    st.builds(lambda w, n: w[:n] + "*", st.sampled_from(LATIN), st.integers(2, 5)),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(LATIN), st.sampled_from(LATIN)),
    st.builds(lambda w, p: w + p, st.sampled_from(HANGUL), st.sampled_from(PARTICLES)),
)
_queries = st.builds(
    TicketQuery,
    words=st.lists(_word, max_size=2).map(tuple),
    status=st.lists(st.sampled_from(STATUSES), max_size=2, unique=True).map(tuple),
    priority=st.lists(st.sampled_from(PRIORITIES), max_size=2, unique=True).map(tuple),
    tag=st.lists(
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True).map(tuple),
        max_size=2,
    ).map(tuple),
    from_=st.lists(st.sampled_from(CUSTOMERS), max_size=2, unique=True).map(tuple),
    assignee=st.lists(st.sampled_from(("me@desk.test", "bo@desk.test", "none")), max_size=1).map(
        tuple
    ),
    sort=st.sampled_from(("", "", "created", "due")),
)


def _walk(desk: Desk, query: TicketQuery, limit: int, *, reverse: bool = False) -> list[int]:
    ctx = QueryContext(me_agent_id=desk.me_id)
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
@given(seed=st.sampled_from(SEEDS), query=_queries, limit=st.integers(1, 9))
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
    desk, facts = stores[seed]
    query = parse_query(format_query(query))  # the query as a user would type it
    expected = _expected(facts, query)
    assert _walk(desk, query, limit) == expected
    assert _walk(desk, query, limit, reverse=True) == expected[::-1]
    ctx = QueryContext(me_agent_id=desk.me_id)
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
        assert len(_walk(desk, query, 7)) == 31 == queries.count_tickets(desk.store, query)
    finally:
        desk.store.close()
