"""Articles in the store: saving, slug history, CJK-aware search, counts, removal, sync ops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.store import Desk, count, make_desk

from deskterm.errors import NotFoundError, UsageError
from deskterm.kb.article import ArticleDraft, parse, render, slugify
from deskterm.store.queries import kb as q
from deskterm.store.service.sync_journal import mark_replica


@pytest.fixture  # a SQLite file, then a PostgreSQL database
def desk(tmp_path: Path, store_location: Path | str) -> Desk:
    return make_desk(tmp_path, at=store_location)


def article(title: str, body: str, **kw: object) -> ArticleDraft:
    return ArticleDraft(title, body, status="published", **kw)  # type: ignore[arg-type]


def test_slugs_are_made_from_titles_in_any_script() -> None:
    assert slugify("How do I get a Refund?") == "how-do-i-get-a-refund"
    assert slugify("환불 정책 안내") == "환불-정책-안내"
    assert slugify("  --  ") == ""


def test_bad_drafts_are_refused_with_one_line() -> None:
    with pytest.raises(UsageError, match="needs a title"):
        ArticleDraft("  ", "x").checked()
    with pytest.raises(UsageError, match="slug 'Bad Slug'"):
        ArticleDraft("t", "x", slug="Bad Slug").checked()
    with pytest.raises(UsageError, match="status 'live'"):
        ArticleDraft("t", "x", status="live").checked()
    with pytest.raises(UsageError, match="at most 80 characters"):
        ArticleDraft("t", "x", section="결" * 81).checked()
    with pytest.raises(UsageError, match="tags: at most 16"):
        ArticleDraft("t", "x", tags=tuple(f"t{i}" for i in range(17))).checked()
    with pytest.raises(UsageError, match="tags: at most 16"):
        ArticleDraft("t", "x", tags=("x" * 33,)).checked()
    assert ArticleDraft("t", "x", section="결" * 80, tags=("x" * 32,) * 16).checked()


def test_front_matter_round_trips_and_rejects_unknown_keys() -> None:
    draft = ArticleDraft(
        "환불 안내", "# 환불\n\n본문\n", "refunds-ko", "Billing", ("refund",), "published", "ko"
    )
    assert parse(render(draft)) == draft
    with pytest.raises(UsageError, match="unknown front matter key 'colour'"):
        parse("---\ntitle: x\ncolour: red\n---\nbody\n")
    with pytest.raises(UsageError, match="not valid YAML"):
        parse("---\ntitle: [x\n---\nbody\n")


def test_save_search_and_slug_change_redirects(desk: Desk) -> None:
    svc = desk.svc
    svc.save_article(article("Refund policy", "Refunds are paid within 5 days.", section="Billing"))
    svc.save_article(
        article(
            "환불 요청 방법", "주문 번호와 함께 환불을 요청하세요.", section="Billing", locale="ko"
        )
    )
    svc.save_article(ArticleDraft("Secret draft", "refunds soon", section="Billing"))
    store = desk.store
    assert [a.slug for a in q.search_articles(store, "refund")] == ["refund-policy", "secret-draft"]
    assert [a.slug for a in q.search_articles(store, "refund", published_only=True)] == [
        "refund-policy"
    ]
    # A Korean word with its particle finds the article; so does a prefix while typing.
    assert [a.title for a in q.search_articles(store, "환불을")] == ["환불 요청 방법"]
    assert [
        a.slug for a in q.search_articles(store, "refu", prefix_last=True, published_only=True)
    ] == ["refund-policy"]
    # FTS syntax typed by a person is searched as text, never run.
    assert q.search_articles(store, 'NEAR(" title:') == []

    svc.save_article(
        article("Refunds, explained", "Refunds are paid within 5 days.", slug="refunds"),
        slug_before="refund-policy",
    )
    found = q.find_article(store, "refund-policy")
    assert found.moved and found.article.slug == "refunds"
    assert q.find_article(store, "refunds").moved is False
    assert q.search_articles(store, "explained")[0].slug == "refunds"
    # A new article may take an old slug over: the newest owner of a URL wins.
    svc.save_article(article("Refund policy (new)", "v2", slug="refund-policy"))
    assert q.find_article(store, "refund-policy").article.title == "Refund policy (new)"


def test_a_taken_slug_is_refused_and_nothing_changes(desk: Desk) -> None:
    desk.svc.save_article(article("One", "a"))
    desk.svc.save_article(article("Two", "b"))
    with pytest.raises(UsageError, match="slug 'one' is taken"):
        desk.svc.save_article(article("Two", "b", slug="one"), slug_before="two")
    assert q.get_article(desk.store, "two").title == "Two"
    assert count(desk, "article_slug") == 0


def test_remove_keeps_counts_and_forgets_the_index(desk: Desk) -> None:
    desk.svc.save_article(article("Reset your password", "Use the link.", section="Account"))
    desk.svc.count_kb("view", "reset-your-password")
    desk.svc.save_article(
        article("Reset", "Use the link.", slug="reset"), slug_before="reset-your-password"
    )
    desk.svc.remove_article("reset")
    assert q.search_articles(desk.store, "password") == []
    with pytest.raises(NotFoundError):
        q.find_article(desk.store, "reset-your-password")
    assert count(desk, "kb_event") == 1
    assert count(desk, "article_slug") == 0
    with pytest.raises(UsageError, match="unknown kb event 'liked'"):
        desk.svc.count_kb("liked")


def test_related_articles_share_the_section_most_tags_first(desk: Desk) -> None:
    svc = desk.svc
    svc.save_article(article("Base", "x", section="Billing", tags=("refund", "card")))
    svc.save_article(article("Same tags", "x", section="Billing", tags=("refund", "card")))
    svc.save_article(article("One tag", "x", section="Billing", tags=("card",)))
    svc.save_article(article("Other section", "x", section="Account", tags=("refund", "card")))
    svc.save_article(ArticleDraft("Draft", "x", section="Billing", tags=("refund",)))
    base = q.get_article(desk.store, "base")
    assert [a.title for a in q.related(desk.store, base)] == ["Same tags", "One tag"]
    assert q.sections(desk.store, published_only=True) == [("Account", 1), ("Billing", 3)]


def test_import_is_all_or_nothing_and_updates_by_slug(desk: Desk) -> None:
    svc = desk.svc
    svc.save_article(article("Old title", "old", slug="a"))
    added, changed = svc.import_articles([article("New title", "new", slug="a"), article("B", "b")])
    assert (added, changed) == (1, 1)
    assert q.get_article(desk.store, "a").title == "New title"
    with pytest.raises(UsageError, match="two articles have the slug 'c'"):
        svc.import_articles([article("C", "1"), article("C", "2")])
    assert sorted(a.slug for a in q.list_articles(desk.store)) == ["a", "b"]


def test_on_a_replica_article_writes_are_queued_by_uid(desk: Desk) -> None:
    """A replica names articles by uid: the server finds them whatever their slug is there."""
    mark_replica(desk.store)
    desk.svc.save_article(article("Offline article", "x"))
    uid = q.get_article(desk.store, "offline-article").uid
    desk.svc.save_article(article("Renamed", "x", slug="renamed"), slug_before="offline-article")
    desk.svc.count_kb("linked", "renamed")
    desk.svc.remove_article("renamed")
    with desk.raw() as conn:
        ops = conn.execute("SELECT name, args FROM sync_op ORDER BY id").fetchall()
    names = [name for name, _ in ops]
    assert names == ["save_article", "save_article", "count_kb", "remove_article"]
    args = [json.loads(a) for _, a in ops]
    assert {a["uid"] for a in args} == {uid}
    assert args[0]["new"] is True and args[1]["new"] is False


def test_kb_config_is_checked(tmp_path: Path) -> None:
    from deskterm.config import load_config
    from deskterm.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text('[kb]\npublic_url = "https://help.example.com"\naccent = "#123456"\n')
    assert load_config(path).kb.public_url == "https://help.example.com"
    path.write_text('[kb]\naccent = "red; } body { x"\n')
    with pytest.raises(ConfigError, match="accent"):
        load_config(path)
    path.write_text('[kb]\npublic_url = "help.example.com"\n')
    with pytest.raises(ConfigError, match="public_url"):
        load_config(path)


def test_search_filters_reach_past_better_ranked_drafts(desk: Desk) -> None:
    """Matches are ranked in the index first; drafts ranked above every published article
    must not leave the answer empty."""
    for i in range(6):
        desk.svc.save_article(ArticleDraft(f"Refund draft {i}", "refund refund", section="B"))
    desk.svc.save_article(article("Payments", "How a refund is paid.", section="B"))
    found = q.search_articles(desk.store, "refund", published_only=True, limit=1)
    assert [a.title for a in found] == ["Payments"]
    assert len(q.search_articles(desk.store, "refund", limit=3)) == 3
