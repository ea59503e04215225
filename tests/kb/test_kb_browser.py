"""The help pages in a real headless Chromium (Debian's, driven by Playwright): browsing,
search in English and Korean, suggestions while typing on /contact and the ticket it
opens, the satisfaction survey answered from its link, injection kept inert, axe-core's
accessibility check, and screenshots to look at.

Screenshots go to build/screenshots/kb/ (not committed), at phone and desktop widths.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from helpers.http_server import Team, start_team
from helpers.kb import seed, solved_with_survey
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from deskterm.store.queries.surveys import survey_history
from deskterm.store.service import Actor

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "kb"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
SERIOUS = ("serious", "critical")
UNASSIGNED = "\u0378"  # no font has it: drawn as the missing-glyph box ("tofu")
# Each character drawn alone on a canvas in the font the page gives `selector`: a PNG
# data URL per character. Missing glyphs all come out as the same box.
DRAW_GLYPHS = """([selector, chars]) => {
    const family = getComputedStyle(document.querySelector(selector)).fontFamily;
    return [...chars].map((ch) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 48;
        const pen = canvas.getContext("2d");
        pen.font = `32px ${family}`;
        pen.fillText(ch, 4, 38);
        return canvas.toDataURL();
    });
}"""


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is missing: run.sh installs it")
        pytest.skip("chromium is not installed (bash run.sh test installs it)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team, stop = start_team(tmp_path / "server.db")
    seed(team.state.make_service(Actor.system()))
    yield team
    stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []

    def dialog(shown: Dialog) -> None:
        dialogs.append(shown.message)
        shown.dismiss()

    opened.on("dialog", dialog)
    yield opened
    context.close()
    assert dialogs == [], f"a script ran: {dialogs}"  # injected script never runs


def drawn_as_glyphs(page: Page, selector: str, chars: str) -> bool:
    """Each of `chars` (distinct) has a glyph of its own in the page's font for
    `selector`: no two are drawn alike, and none like the missing-glyph box."""
    images = page.evaluate(DRAW_GLYPHS, [selector, chars + UNASSIGNED])
    return len(set(images)) == len(images)


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def look_at(page: Page, url: str, name: str, width: str) -> None:
    """Open `url`: no serious accessibility problem, no sideways scroll; a screenshot."""
    page.goto(url)
    assert serious(page) == [], f"{url} at {width} width"
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{url} scrolls sideways at {width} width"


def test_browse_search_and_read_in_both_scripts(page: Page, team: Team) -> None:
    page.goto(f"{team.url}/kb")
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()
    page.get_by_label("Search the help center").fill("refund")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Results for")
    page.get_by_role("link", name="Refund policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund policy")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link", name="Billing")).to_be_visible()
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status")).to_have_text("Thank you for telling us.")

    page.goto(f"{team.url}/kb")
    page.get_by_label("Search the help center").fill("환불을")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="환불 안내").click()
    expect(page.locator("article")).to_contain_text("주문 번호와 함께 환불을 요청하세요.")
    expect(page.locator("article")).to_have_attribute("lang", "ko")
    # Real Hangul glyphs (Debian's fonts-noto-cjk, from run.sh), not boxes.
    assert drawn_as_glyphs(page, "article h1", "환불안내")


def test_contact_suggests_while_typing_then_opens_a_ticket(page: Page, team: Team) -> None:
    page.goto(f"{team.url}/contact")
    expect(page.locator("#find")).to_be_hidden()  # the script took over "Find answers"
    page.get_by_label("Subject").press_sequentially("refu", delay=30)
    suggestions = page.locator("#suggestions")
    expect(suggestions.get_by_role("link", name="Refund policy")).to_be_visible()
    page.get_by_label("Subject").fill("<script>alert('subject')</script> refund")
    page.get_by_label("Your email address").fill("ana@example.com")
    page.get_by_label("Your name (optional)").fill('<img src=x onerror="alert(2)">')
    page.get_by_label("Message").fill("<b>not bold</b> please help")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")

    conn = sqlite3.connect(team.store.path)
    try:
        row = conn.execute(
            "SELECT t.subject, t.channel, c.email, c.name, m.body_text FROM ticket t"
            " JOIN customer c ON c.id = t.customer_id JOIN message m ON m.ticket_id = t.id"
        ).fetchone()
    finally:
        conn.close()
    assert row == (
        "<script>alert('subject')</script> refund",
        "web",
        "ana@example.com",
        '<img src=x onerror="alert(2)">',
        "<b>not bold</b> please help",
    )


def test_contact_works_without_javascript(browser: Browser, team: Team) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{team.url}/contact")
        page.get_by_label("Subject").fill("gift card")
        page.get_by_role("button", name="Find answers").click()
        expect(
            page.locator("#suggestions").get_by_role("link", name="Refund to a gift card")
        ).to_be_visible()
        expect(page.get_by_label("Subject")).to_have_value("gift card")
    finally:
        context.close()


def test_hostile_article_is_inert_in_the_browser(page: Page, team: Team) -> None:
    page.goto(f"{team.url}/kb/hostile")
    article = page.locator("article")
    expect(article).to_contain_text("<script>alert('body')</script>")
    expect(article.locator("script, iframe, img")).to_have_count(0)
    assert page.locator("a[href^='javascript']").count() == 0
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        '<img src=x onerror="alert(1)"> {{ 7*7 }}'
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_is_accessible_and_photographed(
    browser: Browser, team: Team, width: str
) -> None:
    _number, (_great, _okay, not_good) = solved_with_survey(team)
    token = not_good.split("/")[-2]
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        for name, path in (
            ("kb", "/kb"),
            ("search", "/kb?q=refund"),
            ("article", "/kb/refunds"),
            ("article-ko", "/kb/환불-안내"),
            ("contact", "/contact?subject=refund"),
            ("missing", "/kb/nope"),
            ("survey", not_good.removeprefix(team.url)),
            ("survey-invalid", f"/survey/{token[:-4]}/great"),
        ):
            look_at(page, f"{team.url}{path}", name, width)
    finally:
        context.close()


def test_survey_answered_from_its_link_without_javascript(browser: Browser, team: Team) -> None:
    number, (great, _okay, _not_good) = solved_with_survey(team)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(great)
        expect(page.get_by_role("status")).to_contain_text("your answer is saved")
        expect(page.get_by_label("Great")).to_be_checked()
        page.get_by_label("Okay").check()
        page.get_by_label("5", exact=True).check()
        page.get_by_label("Anything you want to tell us?").fill("<img src=x onerror=alert(1)>")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("status")).to_contain_text("your answer is saved")
        expect(page.get_by_label("Okay")).to_be_checked()
        expect(page.get_by_label("5", exact=True)).to_be_checked()
        expect(page.get_by_label("Anything you want to tell us?")).to_have_value(
            "<img src=x onerror=alert(1)>"
        )
        expect(page.locator("main img")).to_have_count(0)
    finally:
        context.close()
    answers = [(a.rating, a.effort) for a in survey_history(team.store, number)]
    assert answers == [("great", None), ("okay", 5)]
