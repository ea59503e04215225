"""Free words on SQLite FTS5: which tickets hold a word, asked the cheap way for its size.

Two contentless tables hold the index (see `query.fts`): `ticket_fts` (subjects,
rowid = ticket id) and `message_fts` (bodies, rowid = message id). A ticket holds
a word when its subject or any of its messages does.

- A rare word (fewer than RARE_HITS hits, counted no further) becomes a set of
  tickets the query starts from: few hits, each mapped to its ticket through the
  covering index ix_message_id_ticket (the message rows themselves are wide).
- A common word is checked on the tickets the list walks in order, a batch at a
  time: their messages' ids (ix_message_ticket) fall into runs of close ids, and one
  FTS5 query per run asks for the word's hits in that rowid range. Most tickets in
  a batch hold a common word, so a page needs one or two batches. Asking FTS5 per
  message instead cost 15-60 us each; collecting every hit of `thanks` took 6 s.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from deskterm.query import fts
from deskterm.query.syntax import TicketQuery

RARE_HITS = 5000
MAX_PREFIX_TERMS = 200
# One FTS5 query costs about what reading this many hits of its range does, so two
# runs of ids join when the hits expected in the gap between them cost less.
_QUERY_COST_IN_HITS = 1500
_DENSITY_WINDOW = 20_000  # newest rowids sampled for a common word's density
_RUNS_PER_STATEMENT = 200  # SQLite allows 500 SELECTs in one compound

# The tickets holding a word, as a set for `t.id IN (...)`.
TICKETS_HOLDING = (
    "t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?"
    " UNION ALL SELECT m.ticket_id FROM message m INDEXED BY ix_message_id_ticket"
    " WHERE m.id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?))"
)


@dataclass(frozen=True)
class Word:
    """One free word of a query as an FTS5 expression, and its hits up to RARE_HITS."""

    expr: str
    hits: int
    # Asks one token (or an OR of single tokens): answered by whole-ticket rows
    # (`ticket_words`, which has no positions), where a ticket holds it when any of its
    # texts does. A phrase must stay within one message or the subject.
    one_token: bool = False
    # Common words only: hits per rowid among the newest subjects and messages.
    subject_density: float = 0.0
    body_density: float = 0.0

    @property
    def subject_gap(self) -> int:
        """Ids further apart than this start a new rowid range."""
        return int(_QUERY_COST_IN_HITS / max(self.subject_density, 1e-6))

    @property
    def body_gap(self) -> int:
        return int(_QUERY_COST_IN_HITS / max(self.body_density, 1e-6))

    def share(self, messages_per_ticket: float) -> float:
        """About how many of the newest tickets hold the word (sizes the walk's batches)."""
        return min(1.0, self.subject_density + self.body_density * messages_per_ticket)

    @property
    def rare(self) -> bool:
        return self.hits < RARE_HITS


def words_of(conn: sqlite3.Connection, query: TicketQuery) -> list[Word]:
    """The query's searchable words, rarest first (a word of only punctuation is none)."""
    words = []
    terms = functools.partial(_terms_under, conn)
    for text in dict.fromkeys(query.words):
        expr = fts.match_expression((text,), terms)
        if expr is None:
            continue
        hits = _hits(conn, expr)
        single = _one_token(text)
        if hits < RARE_HITS:
            words.append(Word(expr, hits, single))
        else:
            words.append(
                Word(
                    expr,
                    hits,
                    single,
                    _density(conn, "ticket_fts", expr),
                    _density(conn, "message_fts", expr),
                )
            )
    return sorted(words, key=lambda w: w.hits)


_LETTERS = re.compile(r"[^\W_]+")  # one unicode61 token


def _one_token(text: str) -> bool:
    """Whether `fts.match_expression` asks `text` as one token: a single CJK bigram or
    letter, or one run of Latin letters (a prefix of one is an OR of single terms)."""
    word = text[:-1] if text.endswith("*") and len(text) > 1 else text
    runs, latin = fts.split_word(word)
    if runs:
        return not re.search(r"\w", latin) and len(runs) == 1 and len(fts.korean_stem(runs[0])) <= 2
    return _LETTERS.fullmatch(latin) is not None


# Listed prefixes per read connection, until another connection commits (its
# data_version moves). Listing walks each term's whole doclist, 36 ms of CPU for
# thank* at 1M tickets, and the app asks again for each page and for the count.
_LISTED: weakref.WeakKeyDictionary[sqlite3.Connection, tuple[int, dict[str, list[str] | None]]]
_LISTED = weakref.WeakKeyDictionary()


def _terms_under(conn: sqlite3.Connection, prefix: str) -> list[str] | None:
    """`_list_terms`, remembered while the store is unchanged."""
    version = int(conn.execute("PRAGMA data_version").fetchone()[0])
    try:
        known = _LISTED.get(conn)
    except TypeError:  # a plain sqlite3.Connection takes no weak reference: not kept
        return _list_terms(conn, prefix)
    if known is None or known[0] != version:
        known = _LISTED[conn] = (version, {})
    if prefix not in known[1]:
        known[1][prefix] = _list_terms(conn, prefix)
    return known[1][prefix]


def _list_terms(conn: sqlite3.Connection, prefix: str) -> list[str] | None:
    """Words that ask for the indexed terms under a Latin prefix as FTS5 reads it
    (stemmed), or None when they cannot stand for it (more than MAX_PREFIX_TERMS,
    or a term no spelling of ours stems to)."""
    stem = index_stem(prefix)
    if stem is None:
        return None
    found: set[str] = set()
    for table in ("ticket_terms", "message_terms"):
        rows = conn.execute(
            f"SELECT term FROM {table} WHERE term >= ? AND term <= ? LIMIT ?",
            (stem, stem + "\U0010ffff", MAX_PREFIX_TERMS + 1),
        ).fetchall()
        found.update(r[0] for r in rows)
    if len(found) > MAX_PREFIX_TERMS:
        return None
    if not found:
        return [stem]  # no term: the stem alone finds nothing, as the prefix would
    # A term is asked for by writing it, and FTS5 stems what is written: pleas (from
    # please) written as itself is asked as plea, so it is written as please.
    spelt = [_spelling(term) for term in sorted(found)]
    return None if None in spelt else [w for w in spelt if w is not None]


# What porter takes off a word, put back: a term is the stem of one of these.
_ENDINGS = ("", "e", "s", "es", "ed", "ing")


@functools.lru_cache(maxsize=4096)
def _spelling(term: str) -> str | None:
    """A word the index's tokenizer reads as `term` (the term itself when it is its
    own stem), or None when none of `_ENDINGS` put back gives it."""
    tries = [term + end for end in _ENDINGS]
    if term.endswith("i"):  # porter writes a final y as i (happy -> happi)
        tries.append(term[:-1] + "y")
    stems = index_stems(tuple(tries))
    return next((word for word, stem in zip(tries, stems, strict=True) if stem == term), None)


@functools.lru_cache(maxsize=4096)
def index_stem(token: str) -> str | None:
    """`token` as the index's tokenizer leaves it (porter: please -> pleas)."""
    return index_stems((token,))[0]


def index_stems(tokens: tuple[str, ...]) -> list[str | None]:
    """Each token as the tokenizer leaves it; None for one it splits or drops."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE s USING fts5(x, tokenize='{fts.TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(s, 'instance')")
        conn.executemany("INSERT INTO s (rowid, x) VALUES (?, ?)", enumerate(tokens))
        terms: dict[int, list[str]] = {}
        for term, doc in conn.execute("SELECT term, doc FROM v"):
            terms.setdefault(doc, []).append(term)
    finally:
        conn.close()
    return [found[0] if len(found := terms.get(i, [])) == 1 else None for i in range(len(tokens))]


def _density(conn: sqlite3.Connection, table: str, expr: str) -> float:
    """Hits of `expr` per rowid among the newest _DENSITY_WINDOW rowids of `table`."""
    found = conn.execute(
        f"SELECT count(*) FROM {table} WHERE {table} MATCH ?"
        f" AND rowid > (SELECT max(rowid) FROM {table}) - ?",
        (expr, _DENSITY_WINDOW),
    ).fetchone()[0]
    return int(found) / _DENSITY_WINDOW


def messages_per_ticket(conn: sqlite3.Connection) -> float:
    row = conn.execute(
        "SELECT (SELECT max(id) FROM message), (SELECT max(id) FROM ticket)"
    ).fetchone()
    return (row[0] or 0) / max(1, row[1] or 0)


def _hits(conn: sqlite3.Connection, expr: str) -> int:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM message_fts WHERE message_fts MATCH ?"
        " LIMIT ?)) + (SELECT count(*) FROM (SELECT 1 FROM ticket_fts WHERE ticket_fts MATCH ?"
        " LIMIT ?))",
        (expr, RARE_HITS, expr, RARE_HITS),
    ).fetchone()
    return min(int(row[0]), RARE_HITS)


def holding(conn: sqlite3.Connection, word: Word, ids: Sequence[int]) -> set[int]:
    """Which of the tickets `ids` hold `word`, by rowid ranges over both tables."""
    found = set(_hits_among(conn, "ticket_fts", word.expr, ids, word.subject_gap))
    rest = [i for i in ids if i not in found]
    if not rest:
        return found
    owner = dict(
        conn.execute(
            "SELECT id, ticket_id FROM message WHERE ticket_id IN (SELECT value FROM json_each(?))",
            (json.dumps(rest),),
        ).fetchall()
    )
    found.update(
        owner[m] for m in _hits_among(conn, "message_fts", word.expr, list(owner), word.body_gap)
    )
    return found


def _hits_among(
    conn: sqlite3.Connection, table: str, expr: str, rowids: Sequence[int], gap: int
) -> list[int]:
    """The rowids among `rowids` that hold `expr`: an FTS5 range query per run of close
    ids, all in one statement, intersected in SQL with the ids (parsed once)."""
    runs = list(_runs(sorted(rowids), gap))
    out: list[int] = []
    for start in range(0, len(runs), _RUNS_PER_STATEMENT):
        chunk = runs[start : start + _RUNS_PER_STATEMENT]
        ranges = " UNION ALL ".join(
            f"SELECT rowid AS h FROM {table} WHERE {table} MATCH ?1"
            f" AND rowid BETWEEN ?{3 + 2 * i} AND ?{4 + 2 * i}"
            for i in range(len(chunk))
        )
        sql = f"SELECT h FROM ({ranges}) WHERE +h IN (SELECT value FROM json_each(?2))"
        wanted = json.dumps([i for _, _, ids in chunk for i in ids])
        bounds = [bound for low, high, _ in chunk for bound in (low, high)]
        out.extend(r[0] for r in conn.execute(sql, (expr, wanted, *bounds)))
    return out


def _runs(ids: list[int], gap: int) -> Iterator[tuple[int, int, list[int]]]:
    """Sorted ids as (low, high, ids) runs, split where two ids are more than `gap` apart."""
    if not ids:
        return
    run = [ids[0]]
    for value in ids[1:]:
        if value - run[-1] > gap:
            yield run[0], run[-1], run
            run = []
        run.append(value)
    yield run[0], run[-1], run
