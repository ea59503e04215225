"""Seeded stores and app factories for the app tests (frozen clock, fixed data)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.app import App

from deskterm.app import DesktermApp
from deskterm.config import AgentConfig, Config
from deskterm.store.schema.db import open_store
from deskterm.store.schema.timefmt import to_db
from deskterm.store.service import Actor, Service

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ME = "me@deskterm.demo"
HOSTILE = (
    "[bold red]PAY NOW[/]",
    "[/]",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b[2J",
    "\u202eevil",
)
HOSTILE_SUBJECT = "[bold red]PAY NOW[/] [/] \x1b]52;c;ZXZpbA==\x07 wipe\x1b[2J \u202efdp.exe"
HOSTILE_NAME = "[/]Mallory [bold]\x1b[2J\u202e"
HOSTILE_BODY = "Please [bold red]PAY NOW[/] [/]\n\x1b]52;c;ZXZpbA==\x07clip \x1b[2J gone \u202eabc"
HOSTILE_FILE = "[bold]invoice\x1b[2J\u202efdp.exe"

SUBJECTS = (
    "Refund for order 1042",
    "환불 요청합니다",
    "退款申请 订单 88",
    "Cannot log in after password reset",
    "Invoice shows the wrong VAT number",
    "Shipping to Norway takes too long",
    "App crashes when exporting CSV",
    "Change billing email",
    "Feature request: dark mode",
    "Double charge on my card",
)
CUSTOMERS = (
    ("ana@acme.example", "Ana Silva"),
    ("minji@example.kr", "김민지"),
    ("wei@example.cn", "王伟"),
    ("tom@example.org", "Tom Baker"),
    ("sara@acme.example", "Sara Lind"),
)
QUOTED_BODY = (
    "Thanks, that worked!\n\n"
    "One more question about the invoice.\n\n"
    "-- \nAna Silva\nAcme Ltd\n\n"
    "On Mon, 2 Mar 2026 at 09:00, Support <support@deskterm.demo> wrote:\n"
    "> Hi Ana,\n> please try again.\n> Regards"
)

_TEMPLATE: Path | None = None


def _clock(start: datetime):
    """A clock that advances one minute per call, so events keep their order."""
    state = {"now": start}

    def tick() -> datetime:
        state["now"] += timedelta(minutes=1)
        return state["now"]

    return tick


def build_seeded(path: Path) -> Path:
    """Agents, ~30 tickets with fixed times, canned replies, tags, CJK and hostile text."""
    store = open_store(path, create=True)
    boot = Service(store, Actor.system(), clock=_clock(NOW - timedelta(days=40)))
    me_id = boot.ensure_agent("Me Agent", ME, role="admin")
    boot.ensure_agent("Bo Berg", "bo@deskterm.demo")
    boot.ensure_agent("Chen Wei", "chen@deskterm.demo")
    boot.add_organization("Acme Ltd", "acme.example")
    boot.add_group("Billing", [ME, "bo@deskterm.demo"])
    boot.save_canned(
        "Refund approved",
        "Hi {{ customer.first_name | default('there') }},\n\n"
        "your refund for ticket #{{ ticket.number }} is on its way.\n\n"
        "{{ agent.name }}",
        {"status": "solved", "add_tags": ["refund"]},
    )
    boot.save_canned(
        "Need more info",
        "Hi {{ customer.first_name | default('there') }},\n\ncould you send a screenshot?",
        {"status": "pending"},
    )
    boot.save_canned("Shipping delay", "Sorry, parcels to your country take 10 days.", {})
    service = Service(store, Actor(me_id, "Me Agent"), clock=_clock(NOW - timedelta(days=30)))
    statuses = ("new", "open", "open", "pending", "solved", "new", "open", "closed")
    priorities = ("normal", "high", "normal", "urgent", "low")
    assignees = (ME, None, "bo@deskterm.demo", ME, None, "chen@deskterm.demo")
    for i in range(30):
        email, name = CUSTOMERS[i % len(CUSTOMERS)]
        when = NOW - timedelta(hours=(30 - i) * 20)
        created = service.create_ticket(
            f"{SUBJECTS[i % len(SUBJECTS)]} ({i + 1})" if i >= len(SUBJECTS) else SUBJECTS[i],
            f"Hello,\n\nthis is ticket {i + 1}.\n\nBest,\n{name}",
            email,
            name,
            priority=priorities[i % len(priorities)],
            tags=["billing"] if i % 3 == 0 else (["vip", "shipping"] if i % 4 == 1 else []),
            assignee=assignees[i % len(assignees)],
            when=when,
        )
        number = created.number
        if i % 2 == 0:
            service.add_reply(
                number, "Hi,\n\nwe are looking into it.", when=when + timedelta(hours=1)
            )
            service.add_customer_message(number, QUOTED_BODY, when=when + timedelta(hours=2))
        if i % 5 == 0:
            service.add_note(
                number, "Checked the payment log: charged twice.", when=when + timedelta(hours=3)
            )
        status = statuses[i % len(statuses)]
        if status != "new":
            service.update_tickets([number], status=status)
    hostile = service.create_ticket(
        HOSTILE_SUBJECT,
        HOSTILE_BODY,
        "mallory@evil.example",
        HOSTILE_NAME,
        when=NOW - timedelta(hours=1),
    )
    _attach(path, hostile.message_id, HOSTILE_FILE, b"%PDF-1.4 not really")
    _attach(path, 1, "receipt.txt", b"receipt 1042\n")
    store.close()
    return path


def _attach(path: Path, message_id: int, filename: str, data: bytes) -> None:
    """Attachments have no service call yet: write the two rows directly (fixture only)."""
    digest = hashlib.sha256(data).hexdigest()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO attachment (sha256, size, data) VALUES (?, ?, ?)",
            (digest, len(data), data),
        )
        conn.execute(
            "INSERT INTO message_attachment (message_id, sha256, filename, mime_type, inline)"
            " VALUES (?, ?, ?, ?, 0)",
            (message_id, digest, filename, "application/pdf"),
        )
    conn.close()


def seeded_copy(target_dir: Path) -> Path:
    """A fresh copy of the seeded store (built once per process; copying is ms)."""
    global _TEMPLATE
    if _TEMPLATE is None or not _TEMPLATE.exists():
        folder = Path(tempfile.mkdtemp(prefix="deskterm-seed-"))
        _TEMPLATE = build_seeded(folder / "seed.db")
        conn = sqlite3.connect(_TEMPLATE)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    target = target_dir / "desk.db"
    shutil.copyfile(_TEMPLATE, target)
    return target


def make_config(**kwargs: object) -> Config:
    return Config(agent=AgentConfig(name="Me Agent", email=ME), **kwargs)  # type: ignore[arg-type]  # loose overrides, checked by Config


def make_app(store_path: Path, config: Config | None = None) -> DesktermApp:
    app = DesktermApp(store_path, config or make_config(), clock=lambda: NOW)
    # A toast leaves after 5 s of wall time; a loaded machine's settle can outlast that,
    # and a test that reads the toasts would miss one that was shown. (Set on this app
    # only: a subclass here would look for the app's CSS beside this file.)
    app.NOTIFICATION_TIMEOUT = 3600  # type: ignore[misc]
    return app


def seed_bulk(path: Path, count: int) -> Path:
    """A store with `count` tickets inserted with executemany (20,000 in well under a second)."""
    store = open_store(path, create=True)
    Service(store, Actor.system(), clock=lambda: NOW).ensure_agent("Me Agent", ME, role="admin")
    store.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO customer (id, email, name, created_at) VALUES (?, ?, ?, ?)",
            [(i, f"c{i}@example.com", f"Customer {i}", to_db(NOW)) for i in range(1, 101)],
        )
        rows = []
        for i in range(1, count + 1):
            stamp = to_db(NOW - timedelta(minutes=i))
            rows.append(
                (
                    i,
                    i,
                    f"Bulk ticket {i}",
                    ("new", "open")[i % 2],
                    "normal",
                    "email",
                    1 + i % 100,
                    stamp,
                    stamp,
                )
            )
        conn.executemany(
            "INSERT INTO ticket (id, number, subject, status, priority, channel, customer_id,"
            " created_at, updated_at, reopen_count, message_count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
            rows,
        )
        conn.execute("INSERT OR REPLACE INTO counter (name, value) VALUES ('ticket', ?)", (count,))
    conn.close()
    return path


def screen_text(app: DesktermApp) -> str:
    """What the terminal shows, as plain lines (for assertions on rendered text)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def screen_segments(app: DesktermApp) -> list[str]:
    """Every text segment the compositor would write (to check no ESC byte leaks)."""
    strips = app.screen._compositor.render_strips()
    return [segment.text for strip in strips for segment in strip]


# Waits below are for a state, however long a loaded machine takes to reach it; the
# deadline only turns a hang into a failure, it is not a window the app must meet.
HANG_SECONDS = 120.0


async def settle(app: App[Any], pilot) -> None:
    """Let the store open, workers finish and their messages land (a worker may start
    another): until the app is quiet twice in a row."""
    from deskterm.screens.loading import LoadingScreen

    deadline = time.monotonic() + HANG_SECONDS
    while time.monotonic() < deadline:
        await pilot.pause()
        if not isinstance(app.screen, LoadingScreen) and not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return
        await app.workers.wait_for_complete()
    raise AssertionError("the app never settled")


async def wait_until(pilot, check: Callable[[], bool], timeout: float = HANG_SECONDS) -> None:
    """Let the app run (its background work is threads) until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def search_for(app: App[Any], pilot, text: str) -> None:
    """Search as an agent does: `/`, the query, Enter; then let the app settle."""
    await pilot.press("slash")
    await settle(app, pilot)
    app.screen.query_one("#search-input").value = text  # type: ignore[attr-defined]  # an Input
    await pilot.press("enter")
    await settle(app, pilot)
