"""`/kb`: sections and search; `/kb/<slug>`: the article (old slugs redirect), its related
articles and "did this answer your question?"; `/kb/suggest`: what /contact shows.

Views are noted and written in batches (`view_counts`); votes and suggestions opened
are written as they come (a handful next to views). An article's page is rendered once
for each version of the knowledge base (`article_cache`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deskterm.errors import NotFoundError
from deskterm.kb.counts import KbEventKind
from deskterm.server.deps import server_state
from deskterm.server.pages.render import fragment, html_response, page, render_page
from deskterm.server.pages.view_counts import PUBLIC
from deskterm.store.queries import kb as articles

router = APIRouter(include_in_schema=False)

PER_SECTION = 10  # articles a section lists on /kb before "All N articles"
RESULTS = 20
SUGGESTIONS = 5
READ_COOKIE = "deskterm_kb_read"  # the suggested article last opened from /contact


def count(request: Request, kind: KbEventKind, slug: str | None) -> None:
    server_state(request).make_service(PUBLIC).count_kb(kind, slug)


@router.get("/kb", response_class=HTMLResponse)
def index(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    section: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    store = server_state(request).store
    if q.strip():
        found = articles.search_articles(store, q, published_only=True, limit=RESULTS)
        return page(request, "index.html", q=q, results=found, section=None)
    if section is not None:
        listed = articles.list_articles(store, published_only=True, section=section)
        if not listed:
            return _missing(request)
        return page(request, "index.html", q="", section=section, listed=listed)
    sections = [
        (
            name,
            size,
            articles.list_articles(store, published_only=True, section=name, limit=PER_SECTION),
        )
        for name, size in articles.sections(store, published_only=True)
    ]
    return page(request, "index.html", q="", section=None, sections=sections)


@router.get("/kb/suggest", response_class=HTMLResponse)
def suggest(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    found = articles.search_articles(
        server_state(request).store, q, published_only=True, limit=SUGGESTIONS, prefix_last=True
    )
    return fragment("suggestions.html", articles=found, asked=bool(q.strip()))


@router.get("/kb/{slug}", response_class=HTMLResponse)
def article(
    request: Request,
    slug: str,
    voted: Annotated[str, Query(alias="voted", max_length=3)] = "",
    source: Annotated[str, Query(alias="from", max_length=20)] = "",
) -> Response:
    state = server_state(request)
    vote = voted if voted in ("yes", "no") else ""
    version = articles.kb_version(state.store)
    html = state.article_pages.get(version, (slug, vote))
    if html is None:
        try:
            found = articles.find_article(state.store, slug, published_only=True)
        except NotFoundError:
            return _missing(request)
        if found.moved:
            return RedirectResponse(f"/kb/{quote(found.article.slug)}", status_code=301)
        shown = found.article
        related = articles.related(state.store, shown)
        html = render_page(
            request, "article.html", article=shown, related=related, voted=vote, lang=shown.locale
        )
        state.article_pages.put(version, (slug, vote), html)
    if not voted:
        state.kb_views.add(slug)
    if source == "contact":
        count(request, KbEventKind.SUGGESTION_OPENED, slug)
    response = html_response(html)
    if source == "contact":
        response.set_cookie(READ_COOKIE, slug, max_age=3600, httponly=True, samesite="lax")
    return response


@router.post("/kb/{slug}/feedback")
def feedback(request: Request, slug: str, answer: Annotated[str, Form(max_length=3)]) -> Response:
    """Yes or no; the page then thanks (a redirect, so a reload does not vote again)."""
    store = server_state(request).store
    try:
        shown = articles.find_article(store, slug, published_only=True).article
    except NotFoundError:
        return _missing(request)
    vote = "yes" if answer == "yes" else "no"
    count(request, KbEventKind.HELPFUL if vote == "yes" else KbEventKind.NOT_HELPFUL, shown.slug)
    return RedirectResponse(f"/kb/{quote(shown.slug)}?voted={vote}", status_code=303)


def _missing(request: Request) -> HTMLResponse:
    return page(
        request,
        "notice.html",
        404,
        heading="Article not found",
        text="This article does not exist or is not published. Try searching the help center.",
    )
