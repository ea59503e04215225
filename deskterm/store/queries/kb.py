"""Knowledge-base reads: articles by slug (old slugs redirect), by section, by search.

Search uses the tickets' index approach (`query.fts`): Latin words stemmed, CJK runs
as bigram phrases, Korean particles dropped; ranked by BM25 with titles weighing most
(on PostgreSQL: the same columns in a tsvector, ranked by ts_rank, `query.fts_pg`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskterm.errors import NotFoundError
from deskterm.kb.article import PUBLISHED, ArticleDraft
from deskterm.query import fts, fts_pg
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, iso

_COLUMNS = "a.uid, a.slug, a.title, a.section, a.tags, a.status, a.locale, a.updated_at"
# title, title_cjk, text, cjk: a word in the title counts as much as ten in the text
_RANKED = (
    "SELECT rowid, bm25(article_fts, 10.0, 10.0, 1.0, 1.0) AS r FROM article_fts"
    " WHERE article_fts MATCH ? ORDER BY r"
)
# PostgreSQL: the tsvector's weights (see `fts_pg.ARTICLE_DOC`), best first as bm25's.
_RANKED_PG = (
    f"SELECT rowid, -ts_rank({fts_pg.ARTICLE_RANK}, doc, q) AS r"
    f" FROM article_fts, to_tsquery('{fts_pg.CONFIG}', ?) AS q WHERE doc @@ q ORDER BY r, rowid"
)
ALL = 2**62  # a LIMIT that keeps every row (SQLite's -1 is an error on PostgreSQL)
_WORD = re.compile(r"\S+")
POOL = 3  # matches ranked per result wanted, before the filters (see search_articles)


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article as lists show it; `body` is filled only when one article is read."""

    uid: str
    slug: str
    title: str
    section: str
    tags: tuple[str, ...]
    status: str
    locale: str
    updated_at: datetime
    body: str = ""

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    def draft(self) -> ArticleDraft:
        return ArticleDraft(
            self.title, self.body, self.slug, self.section, self.tags, self.status, self.locale
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "slug": self.slug,
            "title": self.title,
            "section": self.section,
            "tags": list(self.tags),
            "status": self.status,
            "locale": self.locale,
            "updated_at": iso(self.updated_at),
            "uid": self.uid,
        }
        if self.body:
            data["body"] = self.body
        return data


def _record(row: Sequence[Any], body: str = "") -> ArticleRecord:
    tags = json.loads(row[4] or "[]")
    return ArticleRecord(
        str(row[0]), str(row[1]), str(row[2]), str(row[3]), tuple(tags), str(row[5]),
        str(row[6]), from_db(row[7]), body,
    )  # fmt: skip


def _where(published_only: bool, section: str | None, locale: str | None) -> tuple[str, list[Any]]:
    conds, params = [], []
    if published_only:
        conds.append("a.status = ?")
        params.append(PUBLISHED)
    if section is not None:
        conds.append("a.section = ?")
        params.append(section)
    if locale:
        conds.append("a.locale = ?")
        params.append(locale)
    return (" WHERE " + " AND ".join(conds) if conds else ""), params


def list_articles(
    store: Store,
    *,
    published_only: bool = False,
    section: str | None = None,
    locale: str | None = None,
    limit: int = ALL,
) -> list[ArticleRecord]:
    """Articles by section, then title."""
    where, params = _where(published_only, section, locale)
    rows = store.read().execute(
        f"SELECT {_COLUMNS} FROM article a{where} ORDER BY a.section, a.title LIMIT ?",
        (*params, limit),
    )
    return [_record(r) for r in rows]


def sections(store: Store, *, published_only: bool = False) -> list[tuple[str, int]]:
    """Each section with how many articles it holds, by name ("" for none)."""
    where, params = _where(published_only, None, None)
    rows = store.read().execute(
        f"SELECT a.section, count(*) FROM article a{where} GROUP BY a.section ORDER BY a.section",
        params,
    )
    return [(str(r[0]), int(r[1])) for r in rows]


@dataclass(frozen=True)
class Found:
    """The article at a slug; `moved` when the slug asked for is an old one (redirect)."""

    article: ArticleRecord
    moved: bool


def kb_version(store: Store) -> tuple[int, int]:
    """Changes whenever any article is saved or removed: the newest sync stamps of the
    articles and of their tombstones (each write takes a new one; two index lookups)."""
    row = (
        store.read()
        .execute(
            "SELECT (SELECT max(sync_version) FROM article),"
            " (SELECT max(sync_version) FROM article_gone)"
        )
        .fetchone()
    )
    return int(row[0] or 0), int(row[1] or 0)


def find_article(store: Store, slug: str, *, published_only: bool = False) -> Found:
    """The article at `slug`, or at the slug it had before; NotFoundError if neither."""
    conn = store.read()
    row = conn.execute(
        f"SELECT {_COLUMNS}, a.body FROM article a WHERE a.slug = ?", (slug,)
    ).fetchone()
    moved = False
    if row is None:
        row = conn.execute(
            f"SELECT {_COLUMNS}, a.body FROM article_slug s JOIN article a ON a.id = s.article_id"
            " WHERE s.slug = ?",
            (slug,),
        ).fetchone()
        moved = True
    if row is None or (published_only and row[5] != PUBLISHED):
        raise NotFoundError(f"no article {slug!r} (see `deskterm kb list`)")
    return Found(_record(row, str(row[8])), moved)


def get_article(store: Store, slug: str) -> ArticleRecord:
    return find_article(store, slug).article


def search_articles(
    store: Store,
    text: str,
    *,
    published_only: bool = False,
    locale: str | None = None,
    limit: int = 20,
    prefix_last: bool = False,
) -> list[ArticleRecord]:
    """Articles holding every word of `text`, best first; `prefix_last` while someone types."""
    words = _WORD.findall(text)
    if prefix_last and words and not text[-1:].isspace():
        words[-1] += "*"
    conn = store.read()
    sqlite = isinstance(conn, sqlite3.Connection)
    expr = (
        fts.match_expression(
            tuple(words), latin_column="{title text}", cjk_column="{title_cjk cjk}"
        )
        if sqlite
        else fts_pg.tsquery_all(words, fts_pg.ARTICLE_WEIGHTS)
    )
    if expr is None:
        return []
    where, params = _where(published_only, None, locale)
    # Ranked in the index first, a pool a few times the page: joining every match to
    # its article before ranking cost 29 ms for a word in 9,000 of 10,000 articles,
    # this 11 ms. When the filters leave the page short, every match is ranked.
    sql = (
        f"SELECT {_COLUMNS} FROM ({_RANKED if sqlite else _RANKED_PG} LIMIT ?) f"
        f" JOIN article a ON a.id = f.rowid{where} ORDER BY f.r, f.rowid LIMIT ?"
    )
    rows = conn.execute(sql, (expr, POOL * limit, *params, limit)).fetchall()
    if len(rows) < limit:
        rows = conn.execute(sql, (expr, ALL, *params, limit)).fetchall()
    return [_record(r) for r in rows]


def related(store: Store, article: ArticleRecord, *, limit: int = 5) -> list[ArticleRecord]:
    """Published articles of the same section and locale, most shared tags first, then newest
    (ranked from `ix_article_related` alone: a section's bodies are never read)."""
    conn = store.read()
    shared = _SHARED_TAGS if isinstance(conn, sqlite3.Connection) else _SHARED_TAGS_PG
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM article a"
        " WHERE a.section = ? AND a.status = ? AND a.slug != ? AND a.locale = ?"
        f" ORDER BY {shared} DESC, a.updated_at DESC, a.id LIMIT ?",
        (
            article.section, PUBLISHED, article.slug, article.locale,
            json.dumps(list(article.tags)), limit,
        ),
    )  # fmt: skip
    return [_record(r) for r in rows]


# How many of an article's tags (a JSON list) are in the JSON list parameter.
_SHARED_TAGS = (
    "(SELECT count(*) FROM json_each(a.tags) t WHERE t.value IN (SELECT value FROM json_each(?)))"
)
_SHARED_TAGS_PG = (
    "(SELECT count(*) FROM json_array_elements_text(a.tags::json) AS t(value)"
    " WHERE t.value IN (SELECT json_array_elements_text(?::json)))"
)


@dataclass(frozen=True, slots=True)
class ArticleUse:
    slug: str
    title: str
    views: int
    helpful: int
    not_helpful: int
    linked: int


@dataclass(frozen=True)
class KbStats:
    """How the knowledge base was used in a period: the deflection figures."""

    views: int
    helpful: int
    not_helpful: int
    linked: int
    suggestion_opens: int  # suggested articles opened from /contact
    contacted: int  # contact forms sent
    contacted_after_reading: int  # ... by someone who had opened a suggested article
    articles: list[ArticleUse]  # most viewed first

    @property
    def abandoned(self) -> int:
        """Contact forms left unsent after a suggested article was read (deflected)."""
        return max(0, self.suggestion_opens - self.contacted_after_reading)

    def to_json(self) -> dict[str, Any]:
        return {
            "views": self.views,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "linked": self.linked,
            "suggestion_opens": self.suggestion_opens,
            "contacted": self.contacted,
            "contacted_after_reading": self.contacted_after_reading,
            "abandoned": self.abandoned,
            "articles": [
                {"slug": a.slug, "title": a.title, "views": a.views, "helpful": a.helpful,
                 "not_helpful": a.not_helpful, "linked": a.linked}
                for a in self.articles
            ],
        }  # fmt: skip


def kb_stats(
    store: Store, since: datetime | None = None, until: datetime | None = None, *, top: int = 20
) -> KbStats:
    """Counted uses between `since` and `until` (either open), and the `top` articles."""
    from deskterm.store.schema.timefmt import to_db

    # Open ends as times both stores read: SQLite compares them as text, PostgreSQL as
    # timestamps (where "" is no time at all).
    low = to_db(since) if since else "0001-01-01"
    high = to_db(until) if until else "9999-12-31"
    conn = store.read()
    totals: dict[str, int] = {
        str(kind): int(n)
        for kind, n in conn.execute(
            "SELECT kind, count(*) FROM kb_event WHERE created_at >= ? AND created_at < ?"
            " GROUP BY kind",
            (low, high),
        )
    }
    after_reading = conn.execute(
        "SELECT count(*) FROM kb_event WHERE kind = 'contacted' AND article_id IS NOT NULL"
        " AND created_at >= ? AND created_at < ?",
        (low, high),
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT a.slug, a.title, count(CASE WHEN e.kind = 'view' THEN 1 END),"
        " count(CASE WHEN e.kind = 'helpful' THEN 1 END),"
        " count(CASE WHEN e.kind = 'not_helpful' THEN 1 END),"
        " count(CASE WHEN e.kind = 'linked' THEN 1 END)"
        " FROM kb_event e JOIN article a ON a.id = e.article_id"
        " WHERE e.created_at >= ? AND e.created_at < ?"
        " GROUP BY a.id ORDER BY 3 DESC, 6 DESC, a.slug LIMIT ?",
        (low, high, top),
    )
    return KbStats(
        views=totals.get("view", 0),
        helpful=totals.get("helpful", 0),
        not_helpful=totals.get("not_helpful", 0),
        linked=totals.get("linked", 0),
        suggestion_opens=totals.get("suggestion_opened", 0),
        contacted=totals.get("contacted", 0),
        contacted_after_reading=int(after_reading),
        articles=[ArticleUse(str(r[0]), str(r[1]), *(int(x) for x in r[2:])) for r in rows],
    )
