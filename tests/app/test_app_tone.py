"""The thread says why a customer's message reads urgent or upset, in their own words."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from helpers.app import ME, NOW, make_app, screen_text, settle

from deskterm.screens.ticket import TicketScreen
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service

HOSTILE = "[bold]Oh great[/] \x1b[2J\x1b]52;c;cGF3bmVk\x07 SEND IT NOW PLEASE, asap"


def toned_store(path: Path) -> Path:
    store = open_store(path, create=True)
    boot = Service(store, Actor.system(), clock=lambda: NOW)
    me = boot.ensure_agent("Me Agent", ME, role="admin")
    agent = Service(store, Actor(me, "Me Agent"), clock=lambda: NOW)
    t = agent.create_ticket(
        "Checkout down",
        "Our checkout is down and we are losing sales.",
        "ana@acme.example",
        "Ana Silva",
        when=NOW - timedelta(hours=2),
    )
    agent.add_reply(
        t.number, "This is terrible, sorry: we are on it.", when=NOW - timedelta(hours=1)
    )
    agent.add_customer_message(t.number, HOSTILE, when=NOW - timedelta(minutes=5))
    store.close()
    return path


async def test_the_thread_flags_customer_messages_with_their_cue_words(tmp_path: Path) -> None:
    app = make_app(toned_store(tmp_path / "tone.db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")  # All open
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        text = screen_text(app)
    assert "⚑ urgent: is down, losing sales" in text
    # The hostile message: flagged from its words, shown as inert text.
    assert "⚑ urgent: asap · upset: oh great, send it now please" in text
    assert "[bold]Oh great[/]" in text
    assert "\x1b" not in text
    # The agent's own strong words raise no flag.
    assert text.count("⚑") == 2


async def test_the_queue_marks_urgent_and_upset_tickets_before_their_number(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue.db"
    store = open_store(path, create=True)
    me = Service(store, Actor.system(), clock=lambda: NOW).ensure_agent("Me", ME, role="admin")
    agent = Service(store, Actor(me, "Me"), clock=lambda: NOW)
    made = {
        body: agent.create_ticket(
            subject, body, f"{subject.lower()}@x.example", when=NOW - timedelta(hours=1)
        ).number
        for subject, body in (
            ("Down", "Our site is down, please help asap."),
            ("Angry", "This is unacceptable, I am furious."),
            ("Calm", "Could you send the invoice again?"),
        )
    }
    store.close()
    app = make_app(path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")  # All open
        await settle(app, pilot)
        lines = screen_text(app).splitlines()

    def before_number(subject: str, number: int) -> str:
        """What the row of `subject` shows in the cell before its number."""
        row = next(line for line in lines if f"{subject.lower()}@x.example" in line)
        return row[row.index(f"{number} ") - 2]

    marks = [
        before_number(s, n) for s, n in zip(("Down", "Angry", "Calm"), made.values(), strict=True)
    ]
    assert marks == ["!", "~", " "]
