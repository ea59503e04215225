"""Knowledge-base writes: saving an article (its old slug kept for redirects), removing one,
and counting its uses (views, helpful clicks, links in replies) for the reports.

Each write keeps `article_fts` in step in the same transaction (`SearchIndex`), and
stamps the article with the sync counter so replicas pull it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from deskterm.errors import NotFoundError, UsageError
from deskterm.kb.article import ArticleDraft
from deskterm.kb.counts import KbEventKind
from deskterm.store.schema.models import Article, ArticleGone, ArticleSlug, KbEvent
from deskterm.store.search.index import SearchIndex
from deskterm.store.service import lookups
from deskterm.store.service.records import stored
from deskterm.store.service.sync_journal import BUMP_SYNC
from deskterm.store.service.unit_of_work import UnitOfWork


def by_slug(s: Session, slug: str) -> Article:
    found = s.exec(select(Article).where(Article.slug == slug)).first()
    if found is None:
        raise NotFoundError(f"no article {slug!r} (see `deskterm kb list`)")
    return found


def by_uid(s: Session, uid: str) -> Article | None:
    return s.exec(select(Article).where(Article.uid == uid)).first()


def save(uow: UnitOfWork, draft: ArticleDraft, slug_before: str | None, uid: str | None) -> str:
    """Add an article (`slug_before` None) or change the one at `slug_before`; its slug now.

    A changed slug leaves the old one redirecting; a new slug that was another
    article's old one takes it over (the newest owner of a URL wins).
    """
    draft = draft.checked()
    s, when = uow.session, uow.clock()
    if slug_before is None:
        if uid is not None and by_uid(s, uid) is not None:
            raise UsageError(f"an article with uid {uid} exists already")
        article = Article(
            uid=uid or uuid.uuid4().hex,
            slug=draft.slug,
            title=draft.title,
            body=draft.body,
            created_at=draft.updated or when,
            updated_at=when,
        )
    else:
        article = by_slug(s, slug_before)
    holder = s.exec(select(Article).where(Article.slug == draft.slug)).first()
    if holder is not None and holder is not article:
        raise UsageError(f"slug {draft.slug!r} is taken by the article {holder.title!r}")
    if article.id is not None and article.slug != draft.slug:
        s.add(ArticleSlug(slug=article.slug, article_id=article.id))
    old = s.get(ArticleSlug, draft.slug)
    if old is not None:
        s.delete(old)
    article.slug = draft.slug
    article.title = draft.title
    article.body = draft.body
    article.section = draft.section
    article.tags = json.dumps(list(draft.tags), ensure_ascii=False)
    article.status = draft.status
    article.locale = draft.locale
    article.updated_at = draft.updated or when
    article.sync_version = _stamp(uow)
    s.add(article)
    s.flush()
    SearchIndex(uow.db).set_article(
        stored(article.id), draft.title, draft.body, draft.section, draft.tags
    )
    return article.slug


def import_all(
    uow: UnitOfWork, drafts: Sequence[ArticleDraft], uids: Sequence[str | None]
) -> tuple[int, int]:
    """Save each draft over the article at its slug, or as a new one: (added, changed).

    `uids` (one per draft, or empty) names new articles as a replica made them.
    """
    slugs = [d.checked().slug for d in drafts]
    twice = next((slug for slug in slugs if slugs.count(slug) > 1), None)
    if twice is not None:
        raise UsageError(f"two articles have the slug {twice!r}")
    added = 0
    for i, draft in enumerate(drafts):
        exists = uow.session.exec(select(Article.id).where(Article.slug == slugs[i])).first()
        uid = uids[i] if uids else None
        save(uow, draft, slugs[i] if exists is not None else None, uid)
        added += exists is None
    return added, len(drafts) - added


def _stamp(uow: UnitOfWork) -> int:
    """The next sync stamp: what a replica's pull compares its cursor with."""
    return int(uow.db.execute(BUMP_SYNC).fetchone()[0])


def remove(uow: UnitOfWork, slug: str) -> None:
    """Delete an article and its old slugs; its counted uses stay, no longer naming it."""
    s = uow.session
    article = by_slug(s, slug)
    article_id = stored(article.id)
    for old in s.exec(select(ArticleSlug).where(ArticleSlug.article_id == article_id)):
        s.delete(old)
    for event in s.exec(select(KbEvent).where(KbEvent.article_id == article_id)):
        event.article_id = None
        s.add(event)
    s.flush()
    gone = s.get(ArticleGone, article.uid) or ArticleGone(uid=article.uid, sync_version=0)
    gone.sync_version = _stamp(uow)
    s.add(gone)
    s.delete(article)
    SearchIndex(uow.db).drop_article(article_id)


def count(uow: UnitOfWork, kind: KbEventKind, slug: str | None, ticket: int | None) -> None:
    """One use of the knowledge base (`slug` None: not about one article, such as a search)."""
    s = uow.session
    article_id = stored(by_slug(s, slug).id) if slug else None
    ticket_id = stored(lookups.ticket(s, ticket).id) if ticket is not None else None
    s.add(
        KbEvent(
            kind=kind,
            article_id=article_id,
            ticket_id=ticket_id,
            agent_id=uow.actor.agent_id,
            created_at=uow.clock(),
        )
    )


def count_views(uow: UnitOfWork, views: Sequence[tuple[str, datetime]]) -> None:
    """Public article views, noted by the pages and written in one batch."""
    s = uow.session
    slugs = sorted({slug for slug, _ in views})
    ids = dict(s.exec(select(Article.slug, Article.id).where(col(Article.slug).in_(slugs))).all())
    s.add_all(
        KbEvent(kind=KbEventKind.VIEW, article_id=ids.get(slug), created_at=when)
        for slug, when in views
    )
