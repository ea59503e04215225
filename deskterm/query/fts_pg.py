"""Full-text search on PostgreSQL: the FTS5 columns in plain tables, a tsvector over them.

The index holds what `fts.index_columns` gives SQLite (Latin text, CJK bigrams), in
`ticket_fts` and `message_fts` tables keyed by `rowid` (ticket or message id), so
every writer runs the same statements on both stores. A generated `doc` column
turns them into a tsvector under a GIN index:

- Latin text is split where unicode61 splits (anything not a letter or digit),
  then lower-cased, unaccented and stemmed by the Snowball English stemmer with no
  stop words (SQLite's porter stems alike and drops no words either); weight A.
- CJK bigrams are indexed as they are, weight B; a CJK word is asked as the phrase
  of its bigrams (`<->`), which finds 退款 inside 我要退款, as on SQLite.

Why not pg_trgm: trigrams find nothing under three characters (most CJK words are
two) and match inside Latin words (`fund` in `refund`), which SQLite does not; the
bigram column gives PostgreSQL the same answers as SQLite for the same queries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from deskterm.query import fts

CONFIG = "deskterm"
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: unicode61's tokens


def _doc(latin: str, cjk: str, latin_weight: str = "A", cjk_weight: str = "B") -> str:
    """The tsvector of a Latin column and a CJK-bigram column, told apart by weight."""
    return (
        f"setweight(to_tsvector('{CONFIG}', regexp_replace({latin}, '[^[:alnum:]]+', ' ', 'g')),"
        f" '{latin_weight}') || setweight(to_tsvector('{CONFIG}', {cjk}), '{cjk_weight}')"
    )


_DOC = _doc("text", "cjk")
_WORD_TYPES = (
    "asciiword, word, numword, asciihword, hword, numhword, hword_part, hword_asciipart,"
    " hword_numpart"
)
CREATE_TABLES = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"CREATE TEXT SEARCH DICTIONARY {CONFIG}_stem (TEMPLATE = snowball, Language = english)",
    f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple)",
    f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR {_WORD_TYPES}"
    f" WITH unaccent, {CONFIG}_stem",
    *(
        f"CREATE TABLE {table} (rowid bigint PRIMARY KEY, text text NOT NULL,"
        f" cjk text NOT NULL, doc tsvector GENERATED ALWAYS AS ({_DOC}) STORED)"
        for table in ("ticket_fts", "message_fts")
    ),
    "CREATE INDEX ix_ticket_fts_doc ON ticket_fts USING gin (doc)",
    "CREATE INDEX ix_message_fts_doc ON message_fts USING gin (doc)",
)
# The knowledge base's index (migration 0015): the FTS5 table's columns. Migration 0019
# made its tsvector what the search asks: title Latin A, title CJK B, text Latin C,
# text CJK D (a word is asked in A and C, a CJK bigram in B and D; titles rank first).
ARTICLE_DOC_0015 = (
    f"setweight(to_tsvector('{CONFIG}', title || ' ' || title_cjk), 'A')"
    f" || to_tsvector('{CONFIG}', text || ' ' || cjk)"
)
CREATE_ARTICLE_TABLE = (
    "CREATE TABLE article_fts (rowid bigint PRIMARY KEY, title text NOT NULL,"
    " title_cjk text NOT NULL, text text NOT NULL, cjk text NOT NULL,"
    f" doc tsvector GENERATED ALWAYS AS ({ARTICLE_DOC_0015}) STORED)"
)
ARTICLE_DOC = f"{_doc('title', 'title_cjk')} || {_doc('text', 'cjk', 'C', 'D')}"
ARTICLE_WEIGHTS = ("AC", "BD")  # (Latin, CJK) weights a word is asked in
# ts_rank's weights of D, C, B, A: a title word counts ten times a text word (bm25's 10.0).
ARTICLE_RANK = "'{0.1, 0.1, 1.0, 1.0}'"
DROP_CONFIG = (
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
    f"DROP TEXT SEARCH DICTIONARY IF EXISTS {CONFIG}_stem",
)
# (ticket, message) inserts in psycopg's paramstyle, for the migration's backfill.
INSERTS = (
    "INSERT INTO ticket_fts (rowid, text, cjk) VALUES (%s, %s, %s)",
    "INSERT INTO message_fts (rowid, text, cjk) VALUES (%s, %s, %s)",
)


def _quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery(word: str, weights: tuple[str, str] = ("A", "B")) -> str | None:
    """One free word as `to_tsquery` text (config `deskterm`); None if nothing searchable.

    The same reading as `fts.match_expression`: CJK runs as bigram phrases (a lone
    character as a prefix), Korean particles dropped, Latin tokens as a phrase, and
    a trailing `*` a prefix of the last Latin token. `weights`: the (Latin, CJK)
    weights searched, as FTS5's column filters are.
    """
    latin_w, cjk_w = weights
    prefix = word.endswith("*") and len(word) > 1
    if prefix:
        word = word[:-1]
    runs, latin = fts.split_word(word)
    parts: list[str] = []
    for found in runs:
        run = fts.korean_stem(found)
        grams = fts.bigrams(run)
        if len(grams) == 1 and len(run) == 1:
            parts.append(f"{_quote(run)}:*{cjk_w}")
        else:
            parts.append("(" + " <-> ".join(f"{_quote(g)}:{cjk_w}" for g in grams) + ")")
    tokens = _TOKEN.findall(latin)
    if tokens:
        last = f"{_quote(tokens[-1])}:{'*' if prefix else ''}{latin_w}"
        head = [f"{_quote(t)}:{latin_w}" for t in tokens[:-1]]
        parts.append("(" + " <-> ".join([*head, last]) + ")")
    return " & ".join(parts) if parts else None


def tsquery_all(words: Sequence[str], weights: tuple[str, str] = ("A", "B")) -> str | None:
    """Every word of `words` required (`tsquery` each); None if nothing searchable."""
    parts = [q for q in (tsquery(w, weights) for w in words) if q is not None]
    return " & ".join(f"({q})" for q in parts) if parts else None
