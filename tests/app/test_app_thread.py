"""The ticket thread view, through real keys: a long thread whole, folding, wrapping, reuse."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers.app import ME, NOW, make_app, screen_text, seeded_copy, settle
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.widgets import thread_view
from deskterm.widgets.thread_layout import wrap

MESSAGES = 120
QUOTE = "On Mon, Support wrote:\n> Could you try again with the old file?\n"
LONG_LINE = " ".join(f"word{i:03d}" for i in range(60))  # ~470 cells: wraps at any width
CJK_LINE = "退款申请订单已经处理完成了吗" * 12
SCROLLBAR = str.maketrans("", "", "▁▂▃▄▅▆▇█")


def long_thread_store(path: Path) -> tuple[Path, int]:
    """One open ticket of MESSAGES messages: customer mails (with a quote) and replies."""
    store = open_store(path, create=True)
    boot = Service(store, Actor.system(), clock=lambda: NOW)
    me = boot.ensure_agent("Me Agent", ME, role="admin")
    agent = Service(store, Actor(me, "Me Agent"), clock=lambda: NOW)
    created = agent.create_ticket(
        "Export fails on big files",
        f"Message 000\n{LONG_LINE}\n{CJK_LINE}\n\n{QUOTE}",
        "ana@acme.example",
        "Ana Silva",
        when=NOW - timedelta(days=3),
    )
    for i in range(1, MESSAGES):
        when = NOW - timedelta(days=3) + timedelta(minutes=20 * i)
        if i % 2:
            agent.add_reply(created.number, f"Message {i:03d}: we are on it.", when=when)
        else:
            body = f"Message {i:03d}\nStill failing.\n\n{QUOTE}"
            agent.add_customer_message(created.number, body, when=when)
    store.close()
    return path, created.number


def thread_lines(app) -> list[str]:
    """The thread's text as shown: left of the side pane, right of each message bar."""
    out = []
    for line in screen_text(app).splitlines():
        left = line.split("▏")[0]
        if "▌ " in left:
            out.append(left.split("▌ ", 1)[1].translate(SCROLLBAR).rstrip())
    return out


async def open_only_ticket(app, pilot) -> TicketScreen:
    await settle(app, pilot)
    await pilot.press("3")  # All open
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_a_long_thread_opens_at_the_newest_and_holds_every_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_view, "COMPLETE_BATCH", 20)  # older messages in 6 steps
    path, _ = long_thread_store(tmp_path / "long.db")
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_only_ticket(app, pilot)
        assert screen.thread.complete
        text = screen_text(app)
        assert f"Message {MESSAGES - 1:03d}" in text
        assert "Message 000" not in text
        seen: set[int] = set()
        await pilot.press("home")
        await settle(app, pilot)
        assert "Message 000" in screen_text(app)
        for _ in range(200):
            shown = screen_text(app)
            seen.update(i for i in range(MESSAGES) if f"Message {i:03d}" in shown)
            if f"Message {MESSAGES - 1:03d}" in shown and len(seen) == MESSAGES:
                break
            await pilot.press("pagedown")
            await settle(app, pilot)  # a batch of older messages landing moves the page
        assert seen == set(range(MESSAGES))  # one view, no window: every message is reachable


async def test_fold_wrap_and_resize(tmp_path: Path) -> None:
    path, _ = long_thread_store(tmp_path / "long.db")
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_only_ticket(app, pilot)
        assert "··· quoted text, 3 lines (z shows)" in screen_text(app)
        assert "> Could you try again" not in screen_text(app)
        await pilot.press("z")
        await settle(app, pilot)
        assert "> Could you try again with the old file?" in screen_text(app)
        assert f"Message {MESSAGES - 1:03d}" in screen_text(app)  # still at the newest
        await pilot.press("z")
        await settle(app, pilot)
        assert "> Could you try again" not in screen_text(app)

        await pilot.press("home")
        await settle(app, pilot)
        for size in ((120, 40), (80, 40)):
            await pilot.resize_terminal(*size)
            await settle(app, pilot)
            lines = thread_lines(app)
            words = [w for w in " ".join(lines).split() if w.startswith("word")]
            assert words == LONG_LINE.split()  # wrapped: every word there, in order, none cut
            assert CJK_LINE in "".join(lines).replace(" ", "")
            assert sum(1 for line in lines if "word" in line) > 3


async def test_the_ticket_screen_is_reused_and_each_ticket_opens_fresh(tmp_path: Path) -> None:
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        first = await open_only_ticket(app, pilot)
        number = first.number
        await pilot.press("z", "r", *"draft for the first")
        await pilot.press("escape", "escape")  # close the composer (the draft stays), back
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("j", "enter")
        await settle(app, pilot)
        second = app.screen
        assert isinstance(second, TicketScreen)
        assert second is first  # one screen, opened again
        assert second.number != number
        assert f"#{second.number} " in screen_text(app)
        assert not second.composer.display  # the first ticket's draft stays with it
        assert not second.thread.unfolded  # each ticket opens folded
        await pilot.press("escape", "k", "enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.number == number
        assert "draft for the first" in screen.composer.text


@given(
    text=st.lists(
        st.sampled_from(["a", "bc", " ", "  ", "退款", "https://example.com/x/y"]), max_size=80
    ).map("".join),
    width=st.integers(min_value=2, max_value=60),
)
def test_wrap_keeps_every_character_within_the_width(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
