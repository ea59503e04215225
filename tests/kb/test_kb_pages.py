"""The public help pages over real HTTP on loopback: browse, search, redirects, votes, the
contact form without JavaScript, counts for deflection, and untrusted text kept inert."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.cli import cli_stdout
from helpers.http_server import Team, serve_handle, start_team
from helpers.kb import seed
from helpers.processes import kill_group

from deskterm.config import KbConfig
from deskterm.kb.article import ArticleDraft
from deskterm.store.queries.kb import KbStats, kb_stats
from deskterm.store.service import Actor


@pytest.fixture
def team(store_location: Path | str) -> Iterator[Team]:
    """The help pages served over a SQLite file, then over PostgreSQL."""
    team, stop = start_team(store_location)
    seed(team.state.make_service(Actor.system()))
    yield team
    stop()


def test_index_lists_published_sections_and_searches_both_scripts(web: httpx.Client) -> None:
    index = web.get("/kb")
    assert index.status_code == 200
    assert index.headers["content-security-policy"].startswith("default-src 'self'")
    html = index.text
    assert '<h2 id="s2">Billing</h2>' in html and "결제" in html
    assert "Unpublished" not in html
    assert 'href="/kb/refunds"' in html
    english = web.get("/kb", params={"q": "refund"}).text
    assert "Refund policy" in english and "Refund to a gift card" in english
    assert "Unpublished" not in english
    korean = web.get("/kb", params={"q": "환불을"}).text
    assert "환불 안내" in korean and "Refund policy" not in korean
    nothing = web.get("/kb", params={"q": "zzzz"}).text
    assert 'href="/contact?subject=zzzz"' in nothing


def test_article_breadcrumbs_related_old_slug_and_missing(web: httpx.Client) -> None:
    page = web.get("/kb/refunds")
    assert page.status_code == 200
    html = page.text
    assert '<nav aria-label="Breadcrumb"' in html and 'href="/kb?section=Billing"' in html
    assert "<strong>within 5 days</strong>" in html
    assert "Related articles" in html and 'href="/kb/refund-to-a-gift-card"' in html
    moved = web.get("/kb/refund-policy")
    assert moved.status_code == 301 and moved.headers["location"] == "/kb/refunds"
    assert web.get("/kb/unpublished-refund-notes").status_code == 404
    assert web.get("/kb/nope").status_code == 404
    assert web.get("/kb", params={"section": "nope"}).status_code == 404


def test_untrusted_article_text_stays_inert(web: httpx.Client) -> None:
    html = web.get("/kb/hostile").text
    assert "<script>alert" not in html and "&lt;script&gt;alert('body')&lt;/script&gt;" in html
    assert "<iframe" not in html and 'href="javascript:' not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert "{{ 7*7 }}" in html  # a template in a title is text, never run
    assert "&lt;b&gt;Sec&lt;/b&gt;" in html
    listed = web.get("/kb", params={"q": "bold"}).text
    assert "&lt;img src=x" in listed and "<img src=x" not in listed


def written_views(team: Team, views: int) -> KbStats:
    """The counts once `views` views are written (a batch a second, off the request)."""
    deadline = time.monotonic() + 30
    while (stats := kb_stats(team.store)).views < views:
        assert time.monotonic() < deadline, f"{stats.views} of {views} views written"
        threading.Event().wait(0.05)
    return stats


def test_votes_views_and_the_contact_form_without_javascript(
    team: Team, web: httpx.Client, tmp_path: Path
) -> None:
    for _ in range(2):
        assert web.get("/kb/refunds").status_code == 200
    voted = web.post("/kb/refunds/feedback", data={"answer": "yes"})
    assert voted.status_code == 303 and voted.headers["location"] == "/kb/refunds?voted=yes"
    assert "Thank you for telling us." in web.get(voted.headers["location"]).text
    web.post("/kb/refunds/feedback", data={"answer": "no"})

    # No script: "Find answers" asks for the page again with suggestions, fields kept.
    found = web.get("/contact", params={"subject": "refund", "email": "a@b.example"}).text
    assert 'href="/kb/refunds?from=contact"' in found and 'value="a@b.example"' in found
    # The customer reads a suggestion and leaves (abandoned), another reads one and writes.
    web.get("/kb/refund-to-a-gift-card", params={"from": "contact"})
    with httpx.Client(base_url=team.url, timeout=30) as other:
        other.get("/kb/refunds", params={"from": "contact"})
        sent = other.post(
            "/contact",
            data={"email": "ana@example.com", "subject": "Refund <b>late</b>", "message": "Hi"},
        )
        assert sent.status_code == 200 and "We have your message" in sent.text
    bad = web.post("/contact", data={"email": "", "message": "x", "subject": "s"})
    assert bad.status_code == 422 and "Please give an email address" in bad.text
    assert 'value="s"' in bad.text

    subject, channel = team.store.read().execute("SELECT subject, channel FROM ticket").fetchone()
    assert (subject, channel) == ("Refund <b>late</b>", "web")
    stats = written_views(team, 4)  # views are written in a batch, within a second
    assert (stats.views, stats.helpful, stats.not_helpful) == (4, 1, 1)
    assert (stats.suggestion_opens, stats.contacted_after_reading, stats.contacted) == (2, 1, 1)
    assert stats.abandoned == 1
    top = stats.articles[0]
    assert (top.slug, top.views, top.helpful) == ("refunds", 3, 1)
    db = team.store.url or team.store.path
    printed = json.loads(cli_stdout(db, "kb", "stats", "--json", config_dir=tmp_path))
    assert printed["abandoned"] == 1 and printed["articles"][0]["views"] == 3
    later = cli_stdout(db, "kb", "stats", "--since", "2999-01-01", "--json", config_dir=tmp_path)
    assert json.loads(later)["views"] == 0


def test_name_logo_and_accent_come_from_the_config(team: Team, web: httpx.Client) -> None:
    team.state.pages = KbConfig(
        site_name="Acme <Help>", logo_url="https://cdn.example/logo.png", accent="#7c2d12"
    )
    html = web.get("/kb").text
    assert '<img src="https://cdn.example/logo.png" alt="Acme &lt;Help&gt;"' in html
    assert "<title>Acme &lt;Help&gt;</title>" in html
    css = web.get("/assets/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--accent: #7c2d12;" in css.text
    assert "fetch(url" in web.get("/assets/contact.js").text


def test_a_kept_article_page_follows_every_change(team: Team, web: httpx.Client) -> None:
    """Pages are rendered once and kept: any article saved or removed shows at once,
    on its own page and on the pages that list it as related."""
    server = team.state.make_service(Actor.system())
    for _ in range(2):
        first = web.get("/kb/refunds").text
        assert "Refund policy" in first and "Refund to a gift card" in first
    assert web.get("/kb/refunds").text == first  # kept: the same page
    server.save_article(
        ArticleDraft("Gift card refunds", "Ask for store credit.", slug="refund-to-a-gift-card",
                     section="Billing", tags=("refund",), status="published"),
        slug_before="refund-to-a-gift-card",
    )  # fmt: skip
    assert "Gift card refunds" in web.get("/kb/refunds").text  # a related one renamed
    server.save_article(
        ArticleDraft("Refunds, faster", "Paid in 3 days.", slug="refunds", section="Billing",
                     tags=("refund",), status="published"),
        slug_before="refunds",
    )  # fmt: skip
    changed = web.get("/kb/refunds").text
    assert "Refunds, faster" in changed and "Paid in 3 days." in changed
    assert "Thank you" in web.get("/kb/refunds", params={"voted": "yes"}).text
    server.remove_article("refund-to-a-gift-card")
    assert "Gift card refunds" not in web.get("/kb/refunds").text
    server.remove_article("refunds")
    assert web.get("/kb/refunds").status_code == 404


def test_a_server_stopping_writes_the_views_it_holds(
    team: Team, deskterm_bin: str, tmp_path: Path
) -> None:
    """Views wait for their batch; `deskterm serve` stopped (SIGTERM) writes them first."""
    db = team.store.url or team.store.path
    with serve_handle(deskterm_bin, db, tmp_path) as served:
        with httpx.Client(base_url=served.url) as client:
            for _ in range(3):
                assert client.get("/kb/refunds").status_code == 200
        kill_group(served.proc, signal.SIGTERM)  # returns once the process is gone
    assert kb_stats(team.store).views == 3
