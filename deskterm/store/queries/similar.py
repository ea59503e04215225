"""Solved tickets like a given one, ranked, each with the reasons it was picked.

Two steps, so one ticket costs milliseconds at a million tickets:
1. Candidates from the search index (FTS5; the same columns' tsvector on
   PostgreSQL): the ticket's least common terms (document frequency read from the
   trained model beside the store, else counted up to `DF_CAP` per term), each
   giving its newest `PER_TERM` hits in subjects and bodies (bodies only for terms
   under `COMMON_SHARE` of the messages; the best `MESSAGES` of those looked up for
   their ticket), plus the customer's own solved tickets.
2. Ranking in Python over what each candidate says (subject and first customer
   message): the share of the ticket's term weight (idf) it repeats, and small
   bonuses for the same customer, organization and tags. The shared words, the
   customer and the tags are the reasons shown.
"""

from __future__ import annotations

import heapq
import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Any

from deskterm.assist.model import AssistModel
from deskterm.assist.terms import Term, term_keys, ticket_terms
from deskterm.errors import NotFoundError
from deskterm.query import fts_pg
from deskterm.query.fts import match_expression
from deskterm.store.assist_model import model_of
from deskterm.store.schema.db import Store
from deskterm.store.search.words import index_stems

MAX_TERMS = 16  # terms counted per ticket (subject first, then the body's opening)
QUERY_TERMS = 8  # the least common of them fetch candidates
DF_CAP = 1000  # counting a term's tickets stops here: past it, a term is just common
# Newest hits taken per term, and candidates ranked on their text: the FTS reads and the
# candidates' rows are most of a suggestion's CPU. 150 and 60 cost 5.0 ms CPU a ticket at
# a million tickets (cold cache); 100 and 40 cost 3.9 ms with the same held-out quality
# on the 20,000-ticket demo (similar precision@1/@3, canned top-3, tag within 1 point).
PER_TERM = 100
CANDIDATES = 40
# A term in more of the messages than this share (and more than ten times PER_TERM) is
# not looked up in the bodies: its newest hundred are just recent tickets. At a million
# tickets that cut a fifth to a third of a suggestion's CPU; the demo's held-out
# quality moved less than a point.
COMMON_SHARE = 0.01
MESSAGES = 2 * CANDIDATES  # best matching messages looked up for their ticket
SUBJECT_WEIGHT = 2.0
SAME_CUSTOMER, SAME_ORG, PER_TAG = 0.15, 0.05, 0.04
RESOLVED = ("solved", "closed")
_MAX_ID = 2**62
_TOKENS: dict[str, str | None] = {}  # word -> the search index's token for it (porter)

_FIRST_CUSTOMER_BODY = (
    "SELECT substr(m.body_text, 1, 3000) FROM message m WHERE m.ticket_id = t.id"
    " AND m.kind = 'customer' ORDER BY m.id LIMIT 1"
)
_TICKET = f"""
    SELECT t.id, t.number, t.subject, t.customer_id, c.organization_id, o.name,
      ({_FIRST_CUSTOMER_BODY}),
      (SELECT group_concat(tg.name, ',') FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id
        WHERE tt.ticket_id = t.id),
      t.status, t.solved_at
    FROM ticket t JOIN customer c ON c.id = t.customer_id
    LEFT JOIN organization o ON o.id = c.organization_id
"""


@dataclass(frozen=True, slots=True)
class SimilarTicket:
    number: int
    subject: str
    status: str
    score: float  # 0..1 and a little over: the share of term weight, plus bonuses
    shared_terms: tuple[str, ...]
    same_customer: bool
    same_organization: str | None
    shared_tags: tuple[str, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        out = []
        if self.shared_terms:
            out.append("shares " + ", ".join(self.shared_terms))
        if self.same_customer:
            out.append("same customer")
        elif self.same_organization:
            out.append(f"same organization ({self.same_organization})")
        if self.shared_tags:
            out.append("tags " + ", ".join(self.shared_tags))
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "subject": self.subject,
            "status": self.status,
            "score": round(self.score, 3),
            "reasons": list(self.reasons),
            "shared_terms": list(self.shared_terms),
            "same_customer": self.same_customer,
            "same_organization": self.same_organization,
            "shared_tags": list(self.shared_tags),
        }


@dataclass(frozen=True, slots=True)
class TicketText:
    """What a ticket is compared by: its subject, first customer message, who, tags."""

    id: int
    number: int
    subject: str
    customer_id: int
    org_id: int | None
    org: str | None
    body: str
    tags: frozenset[str]
    status: str

    @classmethod
    def of(cls, r: tuple[Any, ...]) -> TicketText:
        tags = frozenset((r[7] or "").split(",")) - {""}
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "", tags, r[8])

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}"


def list_similar(
    store: Store, number: int, limit: int = 5, *, before: int | None = None
) -> list[SimilarTicket]:
    """The solved tickets most like ticket `number`, best first (fewer when little is alike).

    `before` keeps to tickets opened before ticket `before`: what was known then (the
    bench's held-out split and the rules simulator ask this way).
    """
    return similar_on(store.read(), number, limit, before=before)


def similar_on(
    conn: sqlite3.Connection, number: int, limit: int = 5, *, before: int | None = None
) -> list[SimilarTicket]:
    """`list_similar` on a connection: a writer's own, inside its transaction, for rules."""
    upto = _ticket_id(conn, before) if before is not None else _MAX_ID
    return similar_to(conn, ticket_text(conn, number), limit, upto=upto)


def ticket_text(conn: sqlite3.Connection, number: int) -> TicketText:
    """Ticket `number` as it is compared: subject, first customer message, who, tags."""
    row = conn.execute(_TICKET + " WHERE t.number = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    return TicketText.of(row)


def similar_to(
    conn: sqlite3.Connection, me: TicketText, limit: int = 5, *, upto: int = _MAX_ID
) -> list[SimilarTicket]:
    """The solved tickets (ids below `upto`) most like `me`, best first."""
    terms = ticket_terms(me.text)[:MAX_TERMS]
    in_subject = {t.key for t in ticket_terms(me.subject)}
    total = _message_count(conn)
    df = _frequencies(conn, terms, total)
    # The subject names the problem; the body adds details that many problems share.
    idf = {
        key: math.log1p(total / n) * (SUBJECT_WEIGHT if key in in_subject else 1.0)
        for key, n in df.items()
        if n
    }
    weight = sum(idf.values()) or 1.0
    useful = [t for t in terms if df[t.key] > 1]
    asked = [t for t in useful if t.key in in_subject][: QUERY_TERMS // 2]
    asked += sorted((t for t in useful if t not in asked), key=lambda t: df[t.key])[
        : QUERY_TERMS - len(asked)
    ]
    votes: dict[int, float] = {}  # ticket id -> weight of the asked terms its subject holds
    said: dict[int, float] = {}  # message id -> weight of the asked terms it holds
    below = _first_message(conn, upto)
    for term in asked:
        query = _match(conn, term)
        if query is None:
            continue
        for ticket_id in _newest(conn, "ticket_fts", query, upto):
            votes[ticket_id] = votes.get(ticket_id, 0.0) + idf[term.key]
        if df[term.key] > max(COMMON_SHARE * total, 10 * PER_TERM):
            continue  # its newest bodies are any recent tickets; subjects still count
        for message_id in _newest(conn, "message_fts", query, below):
            said[message_id] = said.get(message_id, 0.0) + idf[term.key]
    # Only the best messages are looked up for their ticket: a row read each, from disk
    # when cold (all of them made three quarters of the time at a million tickets).
    for message_id, ticket_id in _tickets_of(
        conn, heapq.nlargest(MESSAGES, said, key=said.__getitem__)
    ):
        votes[ticket_id] = votes.get(ticket_id, 0.0) + said[message_id]
    for (ticket_id,) in conn.execute(
        "SELECT id FROM ticket WHERE customer_id = ? AND status IN ('solved', 'closed')"
        " AND id < ? ORDER BY updated_at DESC LIMIT 20",
        (me.customer_id, upto),
    ):
        votes.setdefault(ticket_id, 0.0)
    votes.pop(me.id, None)
    picked = heapq.nlargest(CANDIDATES, votes, key=votes.__getitem__)
    mine = {t.key: t.word for t in terms if t.key in idf}
    ranked = [
        _rank(me, mine, candidate, idf, weight)
        for candidate in _candidates(conn, picked)
        if candidate.status in RESOLVED
    ]
    ranked = [r for r in ranked if r.score > 0]
    ranked.sort(key=lambda r: (-r.score, -r.number))
    return ranked[:limit]


def _message_count(conn: sqlite3.Connection) -> int:
    """About how many messages there are: document frequencies count messages."""
    row = conn.execute("SELECT max(id) FROM message").fetchone()
    return int(row[0] or 0)


def _match(conn: sqlite3.Connection, term: Term) -> str | None:
    """`term` as the store's index asks it (None: nothing searchable in it)."""
    if isinstance(conn, sqlite3.Connection):
        return match_expression((term.word,))
    return fts_pg.tsquery(term.word)


def _holds(conn: sqlite3.Connection, table: str) -> str:
    """SQL saying a row of index `table` holds the word `?`: FTS5's MATCH, or on
    PostgreSQL the same columns' tsvector (`query.fts_pg`)."""
    if isinstance(conn, sqlite3.Connection):
        return f"{table} MATCH ?"
    return f"doc @@ to_tsquery('{fts_pg.CONFIG}', ?)"


def _frequencies(conn: sqlite3.Connection, terms: list[Term], total: int) -> dict[str, int]:
    """term key -> about how many of the `total` messages hold it: the model's count
    (scaled to the store's growth since training) for a term it knows, else counted."""
    model = model_of(conn)
    known = _known(model, terms)
    scale = total / model.messages if model is not None and model.messages else 1.0
    return {
        t.key: round(known[t.key] * scale) if t.key in known else _frequency(conn, t) for t in terms
    }


def _known(model: AssistModel | None, terms: list[Term]) -> dict[str, int]:
    """term key -> messages holding it at training, for the terms the model counted."""
    if model is None or not model.term_messages:
        return {}
    words = tuple(t.word for t in terms if not t.cjk and t.word not in _TOKENS)
    if words:  # one tokenizer pass for the words not seen yet
        if len(_TOKENS) > 50_000:
            _TOKENS.clear()
        _TOKENS.update(zip(words, index_stems(words), strict=True))
    out = {}
    for t in terms:
        token = t.key if t.cjk else _TOKENS[t.word]
        if token is not None and token in model.term_messages:
            out[t.key] = model.term_messages[token]
    return out


def _frequency(conn: sqlite3.Connection, term: Term) -> int:
    """How many messages hold `term`, counted up to DF_CAP."""
    query = _match(conn, term)
    if query is None:
        return 0
    row = conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM message_fts"
        f" WHERE {_holds(conn, 'message_fts')} LIMIT ?) AS hits",
        (query, DF_CAP),
    ).fetchone()
    return int(row[0])


def _ticket_id(conn: sqlite3.Connection, number: int) -> int:
    row = conn.execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    return int(row[0])


def _first_message(conn: sqlite3.Connection, ticket_id: int) -> int:
    """The id of ticket `ticket_id`'s first message: messages below it were written
    before that ticket (all messages when it is `_MAX_ID`)."""
    if ticket_id == _MAX_ID:
        return _MAX_ID
    row = conn.execute("SELECT min(id) FROM message WHERE ticket_id = ?", (ticket_id,)).fetchone()
    return int(row[0]) if row[0] is not None else _MAX_ID


def _newest(conn: sqlite3.Connection, table: str, query: str, below: int) -> list[int]:
    """The newest PER_TERM rowids (below `below`) of an index (`ticket_fts`: subjects by
    ticket id; `message_fts`: bodies by message id) matching `query`."""
    rows = conn.execute(
        f"SELECT rowid FROM {table} WHERE {_holds(conn, table)} AND rowid < ?"
        " ORDER BY rowid DESC LIMIT ?",
        (query, below, PER_TERM),
    )
    return [r[0] for r in rows]


def _tickets_of(conn: sqlite3.Connection, message_ids: list[int]) -> list[tuple[int, int]]:
    """(message id, its ticket id) for each of `message_ids`."""
    rows = conn.execute(
        "SELECT id, ticket_id FROM message WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(message_ids),),
    )
    return [(r[0], r[1]) for r in rows]


def _candidates(conn: sqlite3.Connection, ids: list[int]) -> list[TicketText]:
    if not ids:
        return []
    rows = conn.execute(
        _TICKET + " WHERE t.id IN (SELECT value FROM json_each(?)) AND t.merged_into_id IS NULL",
        (json.dumps(ids),),
    ).fetchall()
    return [TicketText.of(r) for r in rows]


def _rank(
    me: TicketText, mine: dict[str, str], other: TicketText, idf: dict[str, float], weight: float
) -> SimilarTicket:
    """`other` scored against `me`, whose counted terms are `mine` (key -> word as written)."""
    theirs = term_keys(other.text)
    shared = [key for key in mine if key in theirs]
    shared.sort(key=lambda k: -idf[k])
    same_customer = other.customer_id == me.customer_id
    same_org = other.org if me.org_id is not None and other.org_id == me.org_id else None
    tags = tuple(sorted(me.tags & other.tags))
    score = sum(idf[k] for k in shared) / weight
    if score > 0:
        score += SAME_CUSTOMER * same_customer + SAME_ORG * bool(same_org)
        score += PER_TAG * min(2, len(tags))
    return SimilarTicket(
        number=other.number,
        subject=other.subject,
        status=other.status,
        score=score,
        shared_terms=tuple(mine[k] for k in shared[:5]),
        same_customer=same_customer,
        same_organization=same_org,
        shared_tags=tags,
    )
