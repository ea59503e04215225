"""`c` puts the canned replies that fit first, marked suggested; else a draft to start from."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers.app import ME, NOW, make_app, screen_text, settle, wait_until
from helpers.store import solved_history

from deskterm.assist.model import model_path
from deskterm.screens.ticket import TicketScreen
from deskterm.store import assist_model
from deskterm.store.assist_model import model_for
from deskterm.store.queries.tickets import get_ticket_row
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service


def store_with(path: Path, *, canned_history: bool) -> Path:
    store = open_store(path, create=True)
    boot = Service(store, Actor.system(), clock=lambda: NOW)
    me = boot.ensure_agent("Me Agent", ME, role="admin")
    agent = Service(store, Actor(me, "Me Agent"), clock=lambda: NOW)
    solved_history(agent)
    agent.save_canned("Apology", "Sorry about that.", {})
    agent.save_canned("Refund issued", "Hi {{ customer.first_name }}, refund issued.", {})
    for i in range(2):
        old = agent.create_ticket(
            "Refund for headphones", "Broken headphones, refund please.", f"o{i}@x.example",
            "Olivia Jensen", when=NOW - timedelta(days=5 + i),
        )  # fmt: skip
        if canned_history:
            agent.apply_canned(old.number, "Refund issued")
        else:
            agent.add_reply(old.number, "Hi Olivia, your refund for order 48213 is on its way.")
        agent.set_status(old.number, "solved")
    agent.create_ticket(
        "Headphones refund", "My headphones broke, refund?", "ana@acme.example", "Ana Silva",
        when=NOW - timedelta(hours=1),
    )  # fmt: skip
    store.close()
    return path


async def open_picker(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("3")  # All open: the new ticket only
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, TicketScreen)
    await pilot.press("c")
    await settle(app, pilot)


async def test_the_canned_reply_used_on_similar_tickets_comes_first(tmp_path: Path) -> None:
    app = make_app(store_with(tmp_path / "s.db", canned_history=True))
    async with app.run_test(size=(140, 40)) as pilot:
        await open_picker(app, pilot)
        text = screen_text(app)
        assert "Refund issued  ★ suggested 100%" in text
        assert text.index("Refund issued") < text.index("Apology")  # not alphabetical: fit
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.composer.text == "Hi Ana, refund issued."
        assert screen.composer.canned == "Refund issued"


async def test_without_a_fitting_canned_reply_a_scrubbed_draft_is_offered(tmp_path: Path) -> None:
    app = make_app(store_with(tmp_path / "d.db", canned_history=False))
    async with app.run_test(size=(140, 40)) as pilot:
        await open_picker(app, pilot)
        assert "★ suggested draft" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.composer.text == "Hi …, your refund for order … is on its way."
        assert screen.composer.canned is None  # a draft runs no canned actions


def routing_store(path: Path) -> int:
    """Three solved refunds tagged `refund` in Billing; a new refund ticket without either."""
    store = open_store(path, create=True)
    boot = Service(store, Actor.system(), clock=lambda: NOW)
    me = boot.ensure_agent("Me Agent", ME, role="admin")
    boot.add_group("Billing", [ME])
    agent = Service(store, Actor(me, "Me Agent"), clock=lambda: NOW)
    solved_history(agent)
    for i in range(3):
        old = agent.create_ticket(
            "Refund for headphones", "Broken headphones, refund please.", f"o{i}@x.example",
            tags=["refund"], group="Billing", when=NOW - timedelta(days=5 + i),
        )  # fmt: skip
        agent.set_status(old.number, "solved")
    new = agent.create_ticket(
        "Headphones refund", "My headphones broke, refund?", "ana@acme.example",
        when=NOW - timedelta(hours=1),
    )  # fmt: skip
    store.close()
    return new.number


async def open_new_ticket(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("3")  # All open: the new ticket only
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_routing_chips_show_what_similar_tickets_carry_and_y_accepts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.db"
    number = routing_store(path)
    app = make_app(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_new_ticket(app, pilot)
        text = screen_text(app)
        assert "1 +tag refund 100%" in text and "2 group Billing 100%" in text
        assert "y accepts all" in text
        await pilot.press("y")
        await settle(app, pilot)
        assert "+tag refund" not in screen_text(app)  # accepted: nothing left to suggest
    reopened = open_store(path)
    row = get_ticket_row(reopened, number)
    reopened.close()
    assert (row.tags, row.group) == (("refund",), "Billing")


async def test_the_model_is_trained_in_the_background_and_again_while_the_app_stays_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.db"
    routing_store(path)
    monkeypatch.setattr(assist_model, "REFRESH_AFTER", 2)  # retrain after 2 more solved
    app = make_app(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_new_ticket(app, pilot)
        # The ticket opened found no model: it was trained in a child process.
        await wait_until(pilot, lambda: model_for(path) is not None)
        first = model_for(path)
        assert first is not None and first.routing.fields["tag"].tickets == {"refund": 3}
        store = open_store(path)
        other = Service(store, Actor.system(), clock=lambda: NOW)
        for i in range(2):  # solved meanwhile, elsewhere
            number = other.create_ticket("Refund", "Refund my headphones", f"m{i}@x.test").number
            other.update_tickets([number], status="solved", add_tags=["refund"])
        store.close()
        await pilot.press("escape")
        await open_new_ticket(app, pilot)
        await wait_until(
            pilot, lambda: (m := model_for(path)) is not None and m.solved == first.solved + 2
        )
        again = model_for(path)
        assert again is not None and again.routing.fields["tag"].tickets == {"refund": 5}


async def test_a_digit_accepts_only_the_chip_it_numbers(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    number = routing_store(path)
    app = make_app(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_new_ticket(app, pilot)
        await pilot.press("2")  # group Billing only
        await settle(app, pilot)
        text = screen_text(app)
        assert "1 +tag refund 100%" in text and "group Billing" not in text
        await pilot.press("2")  # nothing numbered 2 any more
        await settle(app, pilot)
        assert "no suggestion 2 on this ticket" in [str(n.message) for n in app._notifications]
    reopened = open_store(path)
    row = get_ticket_row(reopened, number)
    reopened.close()
    assert (row.tags, row.group) == ((), "Billing")


async def test_too_little_history_says_why_under_the_head_and_in_the_pane(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.db"
    store = open_store(path, create=True)
    me = Service(store, Actor.system(), clock=lambda: NOW).ensure_agent("Me", ME, role="admin")
    agent = Service(store, Actor(me, "Me"), clock=lambda: NOW)
    agent.create_ticket("Refund", "Refund please", "a@x.example", when=NOW - timedelta(hours=1))
    store.close()
    app = make_app(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_new_ticket(app, pilot)
        line = "too little history to suggest: 0 solved tickets (suggestions start at 10)"
        assert line in screen_text(app)
        await pilot.press("i")
        await settle(app, pilot)
        assert screen_text(app).count("too little history") == 2  # chips row and pane
    assert not model_path(path).exists()  # nothing to learn from yet
