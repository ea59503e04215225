"""The knowledge base in the app, driven by real keys: `K`, search, and ctrl+b in the composer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.app import (
    make_app,
    make_config,
    screen_segments,
    screen_text,
    seeded_copy,
    settle,
    wait_until,
)

from deskterm.config import KbConfig
from deskterm.kb.article import ArticleDraft
from deskterm.kb.survey import parse_answer
from deskterm.screens.kb import ArticleView, KbPickerModal, KbScreen
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.widgets.composer import Composer

HOSTILE_BODY = (
    "Please [bold red]PAY NOW[/] [/]\n\n<script>alert(1)</script>\n\n"
    "\x1b]52;c;ZXZpbA==\x07clip \x1b[2J gone [link](javascript:alert(1))"
)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = seeded_copy(tmp_path)
    store = open_store(path)
    try:
        svc = Service(store, Actor.system())
        svc.save_article(
            ArticleDraft(
                "Refund policy", "Refunds are paid **within 5 days**.", section="Billing",
                tags=("refund",), status="published",
            )
        )  # fmt: skip
        svc.save_article(
            ArticleDraft(
                "환불 안내", "주문 번호와 함께 환불을 요청하세요.", section="Billing",
                status="published", locale="ko",
            )
        )  # fmt: skip
        svc.save_article(ArticleDraft("Refund internals", "draft only", section="Billing"))
        svc.save_article(
            ArticleDraft(
                "[bold]PAY NOW[/] \x1b[2J", HOSTILE_BODY, section="Account", status="published"
            )
        )
    finally:
        store.close()
    return path


def linked(store_path: Path) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(store_path)
    try:
        return conn.execute(
            "SELECT e.kind, a.slug, t.number FROM kb_event e JOIN article a ON a.id = e.article_id"
            " JOIN ticket t ON t.id = e.ticket_id ORDER BY e.id"
        ).fetchall()
    finally:
        conn.close()


async def test_k_opens_sections_search_and_the_article(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("K")
        await settle(app, pilot)
        assert isinstance(app.screen, KbScreen)
        text = screen_text(app)
        assert "Account" in text and "Billing" in text and "Refund internals  draft" in text

        await pilot.press(*"환불을")
        await settle(app, pilot)
        text = screen_text(app)
        assert "주문 번호와 함께 환불을 요청하세요." in text
        assert "Refund policy" not in text

        await pilot.press("ctrl+u", *"refund")  # ranked: the title's words weigh most
        await settle(app, pilot)
        assert "draft only" in screen_text(app)
        await pilot.press("down")
        await settle(app, pilot)
        view = app.screen.query_one(ArticleView)
        assert "within 5 days" in screen_text(app)
        await pilot.press("enter")
        assert view.has_focus or view.has_focus_within

        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_article_text_is_never_markup_nor_escapes(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("K")
        await settle(app, pilot)
        await pilot.press(*"PAY")
        await settle(app, pilot)
        text = screen_text(app)
        assert "[bold]PAY NOW[/]" in text  # the title, as written
        assert "[bold red]PAY NOW[/] [/]" in text  # the body: markup stays text
        assert "<script>alert(1)</script>" in text  # raw HTML stays text
        assert not any("\x1b" in segment or "\x07" in segment for segment in screen_segments(app))


async def test_composer_inserts_a_link_or_the_text_and_counts_links(store_path: Path) -> None:
    config = make_config(kb=KbConfig(public_url="https://help.example.com/"))
    app = make_app(store_path, config)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        number = screen.number
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press(*"Hello, see ")
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        assert isinstance(app.screen, KbPickerModal)
        await pilot.press(*"refund")
        await settle(app, pilot)
        assert "Refund internals" not in screen_text(app)  # drafts are not for customers
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen_stack[-1] is screen
        composer = screen.query_one(Composer)
        assert (
            composer.text == "Hello, see Refund policy: https://help.example.com/kb/refund-policy"
        )
        assert linked(store_path) == [("linked", "refund-policy", number)]

        await pilot.press("enter", "ctrl+b")
        await settle(app, pilot)
        await pilot.press(*"환불")
        await settle(app, pilot)
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        assert composer.text.endswith("refund-policy\n주문 번호와 함께 환불을 요청하세요.")
        assert [row[1] for row in linked(store_path)] == ["refund-policy", "환불-안내"]

        await pilot.press("ctrl+b")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen_stack[-1] is screen and len(linked(store_path)) == 2


async def test_a_survey_answer_shows_in_the_header_and_the_customer_pane(
    store_path: Path,
) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert "CSAT" not in screen_text(app) and "Surveys:" not in screen_text(app)
        store = open_store(store_path)
        try:
            customer = Service(store, Actor(None, "customer (survey)"))
            customer.answer_survey(screen.number, parse_answer("okay"))
            hostile = "[bold red]PAY[/] \x1b[2J\nsecond line"
            customer.answer_survey(screen.number, parse_answer("not_good", "2", hostile))
        finally:
            store.close()
        app.store_changed(())  # as when another process (the server) wrote
        await wait_until(pilot, lambda: "CSAT" in screen_text(app))
        await settle(app, pilot)
        text = screen_text(app)
        assert "CSAT Not good · effort 2/7: [bold red]PAY[/]" in text  # markup stays text
        assert "PAY[/]  second line" in text  # one line: the escape is gone, newline folded
        assert "Surveys: 1 not good" in text
        assert not any("\x1b" in segment for segment in screen_segments(app))
