"""Suggested answers and routing, from what worked on similar tickets.

A canned reply's confidence is the share of the similar tickets' weight (their
similarity scores) whose agents used it: "used on 3 of the 5 most similar solved
tickets" is both the ranking and the explanation. When none was used, the reply
that solved the most similar ticket is offered as a starting draft, with that
other customer's name, address and long numbers (orders, cards) taken out.

Routing (tags, group, priority) is voted the same way, a k-nearest-neighbours
vote over the similar tickets, and each suggestion names the tickets it follows.
With a trained model beside the store (`deskterm assist train`) each vote for a
canned reply, tag or group is averaged with the model's share for it (the words
of all solved history, not only ten neighbours': `assist.routing`), which names
the words that weighed most; priority then follows how the team set it on all
solved mail of the same tone (urgent, upset, calm), naming the urgent or upset
words. The bench holds each against majority and keyword baselines.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from deskterm.assist.model import AssistModel, tone_class
from deskterm.assist.terms import ticket_terms
from deskterm.assist.tone import SEPARATOR
from deskterm.store.assist_model import model_of, too_little_history
from deskterm.store.queries.similar import (
    SimilarTicket,
    TicketText,
    list_similar,
    similar_on,
    ticket_text,
)
from deskterm.store.schema.db import Store

NEIGHBOURS = 10  # similar tickets that vote
MIN_CONFIDENCE = 0.15  # a canned reply below this is not suggested
ROUTE_CONFIDENCE = 0.5  # a tag, group or priority needs most of the similar tickets' weight
LEFT_OUT = "…"
_LONG_NUMBER = re.compile(r"\d[\d -]{3,}\d")


@dataclass(frozen=True, slots=True)
class CannedSuggestion:
    name: str
    confidence: float  # 0..1: the share of similar tickets' weight that used it
    tickets: tuple[int, ...]  # the similar tickets that used it, best first
    words: tuple[str, ...] = ()  # the ticket's words the model weighed most for it

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "confidence": round(self.confidence, 3),
            "used_on": list(self.tickets),
            "words": list(self.words),
        }


@dataclass(frozen=True, slots=True)
class DraftSuggestion:
    """The reply that solved ticket `number`, its customer's details left out."""

    number: int
    body: str

    def to_json(self) -> dict[str, Any]:
        return {"from_ticket": self.number, "body": self.body}


@dataclass(frozen=True, slots=True)
class RouteSuggestion:
    """Set `field` (tag, group, priority) to `value`: what the similar tickets carry."""

    field: str
    value: str
    confidence: float
    tickets: tuple[int, ...]
    # priority: the urgent or upset words the tone weighed; tag, group: the ticket's
    # words the model weighed most
    words: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{'+' if self.field == 'tag' else ''}{self.field} {self.value}"

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "because": list(self.tickets),
            "words": list(self.words),
        }


@dataclass(frozen=True, slots=True)
class Suggestions:
    similar: tuple[SimilarTicket, ...]
    canned: tuple[CannedSuggestion, ...]
    draft: DraftSuggestion | None
    routing: tuple[RouteSuggestion, ...] = ()
    too_little_history: str | None = None  # why nothing is suggested, when that is why

    def to_json(self) -> dict[str, Any]:
        return {
            "too_little_history": self.too_little_history,
            "similar": [s.to_json() for s in self.similar],
            "canned": [c.to_json() for c in self.canned],
            "draft": self.draft.to_json() if self.draft else None,
            "routing": [r.to_json() for r in self.routing],
        }


def suggest(store: Store, number: int, *, before: int | None = None) -> Suggestions:
    """Similar tickets, the canned replies they suggest (else a draft), and routing."""
    conn = store.read()
    short = too_little_history(conn)
    if short is not None:
        return Suggestions((), (), None, (), short)
    similar = tuple(list_similar(store, number, NEIGHBOURS, before=before))
    learned = Learned.of(model_of(conn), ticket_text(conn, number))
    canned = tuple(rank_canned(store, similar, learned))
    draft = None if canned or not similar else _draft(store, similar[0].number)
    tone = ticket_tone(conn, number)
    routing = _routing(conn, learned, tone, similar, _fields(conn, number), ROUTE_CONFIDENCE)
    return Suggestions(similar, canned, draft, tuple(routing))


Votes = dict[tuple[str, str], tuple[float, tuple[int, ...]]]
"""(field, value) -> (share of the weight for it, the similar tickets that carry it)."""


@dataclass(frozen=True, slots=True)
class Learned:
    """What the model beside the store says about one ticket: its words' shares per
    field (tag, group, canned) and the words that weighed most for each value."""

    model: AssistModel | None
    shares: dict[tuple[str, str], float]
    words: dict[tuple[str, str], tuple[str, ...]]

    @classmethod
    def of(cls, model: AssistModel | None, me: TicketText) -> Learned:
        shares: dict[tuple[str, str], float] = {}
        words: dict[tuple[str, str], tuple[str, ...]] = {}
        if model is not None:
            terms = ticket_terms(me.text)
            keys = {t.key for t in terms}
            shown = {t.key: t.word for t in terms}
            for field in ("tag", "group", "canned"):
                for guess in model.routing.guess(field, keys, shown):
                    shares[field, guess.value] = guess.confidence
                    words[field, guess.value] = guess.words
        return cls(model, shares, words)

    def weigh(self, votes: Votes, field: str) -> Votes:
        """`field`'s votes averaged with the model's shares (the votes alone when the
        model learned nothing for the field)."""
        mine = {v: share for (f, v), share in self.shares.items() if f == field}
        if not mine:
            return votes
        out = {k: v for k, v in votes.items() if k[0] != field}
        for value in {v for f, v in votes if f == field} | set(mine):
            share, tickets = votes.get((field, value), (0.0, ()))
            out[field, value] = ((share + mine.get(value, 0.0)) / 2, tickets)
        return out


def suggested_routing(
    conn: sqlite3.Connection,
    number: int,
    floor: float,
    *,
    have: set[tuple[str, str]] | None = None,
    tone: Tone | None = None,
    before: int | None = None,
) -> list[RouteSuggestion]:
    """Routing for ticket `number` with confidence >= `floor`, leaving out what it `have`s
    and reading its `tone` (default: its fields and tone now). For rules, on the
    writer's connection, and their simulator."""
    similar = tuple(similar_on(conn, number, NEIGHBOURS, before=before))
    if have is None:
        have = _fields(conn, number)
    learned = Learned.of(model_of(conn), ticket_text(conn, number))
    return _routing(conn, learned, tone or ticket_tone(conn, number), similar, have, floor)


def _fields(conn: sqlite3.Connection, number: int) -> set[tuple[str, str]]:
    mine = conn.execute(_FIELDS + " WHERE t.number = ?", (number,)).fetchone()
    have = {("group", mine[1]), ("priority", mine[2])}
    return have | {("tag", tag) for tag in (mine[3] or "").split(",")}


_FIELDS = """
    SELECT t.number, g.name, t.priority,
      (SELECT group_concat(tg.name, ',') FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id
        WHERE tt.ticket_id = t.id)
    FROM ticket t LEFT JOIN agent_group g ON g.id = t.group_id
"""


def route_votes(conn: sqlite3.Connection, similar: tuple[SimilarTicket, ...]) -> Votes:
    """(field, value) -> (share of the similar tickets' weight, the tickets) for each
    tag, group and priority they carry."""
    if not similar:
        return {}
    theirs = {
        r[0]: r
        for r in conn.execute(
            _FIELDS + " WHERE t.number IN (SELECT value FROM json_each(?))",
            (json.dumps([s.number for s in similar]),),
        )
    }
    total = sum(s.score for s in similar) or 1.0
    votes: dict[tuple[str, str], float] = {}
    by: dict[tuple[str, str], list[int]] = {}
    for s in similar:
        row = theirs.get(s.number)
        if row is None:
            continue
        picks = [("group", row[1]), ("priority", row[2])]
        picks += [("tag", tag) for tag in (row[3] or "").split(",")]
        for key in picks:
            if key[1]:
                votes[key] = votes.get(key, 0.0) + s.score
                by.setdefault(key, []).append(s.number)
    return {key: (votes[key] / total, tuple(by[key])) for key in votes}


Tone = tuple[str | None, str | None]
"""A ticket's (urgent words, upset words), as stored on it."""


def ticket_tone(conn: sqlite3.Connection, number: int) -> Tone:
    row = conn.execute(
        "SELECT urgent_words, upset_words FROM ticket WHERE number = ?", (number,)
    ).fetchone()
    return (row[0], row[1]) if row is not None else (None, None)


def _tone_words(tone: Tone) -> tuple[str, tuple[str, ...]]:
    """The tone class and the words that set it."""
    kind = tone_class(*tone)
    words = {"urgent": tone[0], "upset": tone[1]}.get(kind) or ""
    return kind, tuple(w for w in words.split(SEPARATOR) if w)


def weigh_tone(
    votes: Votes, model: AssistModel | None, tone: str, tags: frozenset[str] = frozenset()
) -> Votes:
    """Priority from the model's shares for mail of this tone on a ticket with these
    `tags`, naming the similar tickets that had it (the neighbours' vote only without a
    model, or when it knows no mail of the tone). Not averaged with the vote: similar
    words are not similar urgency, and on the demo's held-out tickets the ten
    neighbours' priority was right less often than the majority (52 % vs 56 %);
    averaging it in cost 2 points."""
    shares = model.priority_shares(tone, tags) if model is not None else {}
    if not shares:
        return votes
    out = {k: v for k, v in votes.items() if k[0] != "priority"}
    for value, share in shares.items():
        out["priority", value] = (share, votes.get(("priority", value), (0.0, ()))[1])
    return out


def routing_votes(
    conn: sqlite3.Connection,
    learned: Learned,
    tone: str,
    similar: tuple[SimilarTicket, ...],
    tags: frozenset[str] = frozenset(),
) -> Votes:
    """The similar tickets' votes for tags, group and priority, weighed with the model:
    its word shares for tags and group, its history of the `tone` and `tags` for
    priority."""
    votes = weigh_tone(route_votes(conn, similar), learned.model, tone, tags)
    return learned.weigh(learned.weigh(votes, "tag"), "group")


def _routing(
    conn: sqlite3.Connection,
    learned: Learned,
    tone: Tone,
    similar: tuple[SimilarTicket, ...],
    have: set[tuple[str, str]],
    floor: float,
) -> list[RouteSuggestion]:
    """Tags, group and priority with at least `floor` of the similar tickets' weight
    (averaged with the model's), that the ticket does not `have` yet."""
    kind, words = _tone_words(tone)
    tags = frozenset(v for f, v in have if f == "tag" and v)
    votes = routing_votes(conn, learned, kind, similar, tags)
    out: list[RouteSuggestion] = []
    for field in ("tag", "group", "priority"):
        ranked = sorted((k for k in votes if k[0] == field), key=lambda k: (-votes[k][0], k[1]))
        if field != "tag":
            ranked = ranked[:1]  # one group, one priority: the likeliest
        for key in ranked:
            share, tickets = votes[key]
            if share >= floor and key not in have:
                said = learned.words.get(key, ())
                if field == "priority":
                    raised = learned.model.priority_tags(key[1], tags) if learned.model else ()
                    said = words + raised
                out.append(RouteSuggestion(field, key[1], share, tickets, said))
    return out


def rank_canned(
    store: Store, similar: tuple[SimilarTicket, ...], learned: Learned
) -> list[CannedSuggestion]:
    """Canned replies by the share of the similar tickets' weight that used them,
    averaged with the model's share; only replies that still exist."""
    conn = store.read()
    used: dict[int, set[str]] = {}
    for ticket, name in conn.execute(
        "SELECT t.number, e.new FROM event e JOIN ticket t ON t.id = e.ticket_id"
        " WHERE e.kind = 'canned' AND t.number IN (SELECT value FROM json_each(?))",
        (json.dumps([s.number for s in similar]),),
    ):
        used.setdefault(ticket, set()).add(name)
    total = sum(s.score for s in similar) or 1.0
    shares: dict[str, float] = {}
    by: dict[str, list[int]] = {}
    for s in similar:
        for name in sorted(used.get(s.number, ())):
            shares[name] = shares.get(name, 0.0) + s.score / total
            by.setdefault(name, []).append(s.number)
    votes = learned.weigh(
        {("canned", n): (share, tuple(by[n])) for n, share in shares.items()}, "canned"
    )
    exists = {r[0] for r in conn.execute("SELECT name FROM canned_reply")}
    ranked = sorted((k for k in votes if k[1] in exists), key=lambda k: (-votes[k][0], k[1]))
    return [
        CannedSuggestion(key[1], votes[key][0], votes[key][1], learned.words.get(key, ()))
        for key in ranked
        if votes[key][0] >= MIN_CONFIDENCE
    ]


def _draft(store: Store, number: int) -> DraftSuggestion | None:
    sql = (
        "SELECT m.body_text, c.name, c.email FROM ticket t"
        " JOIN customer c ON c.id = t.customer_id"
        " JOIN message m ON m.ticket_id = t.id AND m.kind = 'reply'"
        " WHERE t.number = ? ORDER BY m.id DESC LIMIT 1"
    )
    row = store.read().execute(sql, (number,)).fetchone()
    if row is None:
        return None
    return DraftSuggestion(number, leave_out(row[0], row[1], row[2]))


def leave_out(body: str, name: str, email: str) -> str:
    """`body` without the customer's name (whole and in parts), address and long numbers."""
    parts = sorted({name, *name.split(), email, email.partition("@")[0]} - {""}, key=len)
    for part in reversed(parts):  # the whole name before its pieces
        if len(part) < 2:
            continue
        # Korean and Japanese write honorifics onto a name (오승현님, 佐藤様): no word edge.
        edge = (r"(?<!\w)", r"(?!\w)") if part.isascii() else ("", "")
        body = re.sub(f"{edge[0]}{re.escape(part)}{edge[1]}", LEFT_OUT, body)
    return _LONG_NUMBER.sub(LEFT_OUT, body)
