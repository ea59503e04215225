"""`deskterm tickets new --channel phone --duration`: a call logged as a ticket with its time."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from helpers.cli import cli_stdout, runner
from helpers.store import fresh_store_file

from deskterm.cli import app


def test_a_call_becomes_a_phone_ticket_with_its_time(tmp_path: Path) -> None:
    db = fresh_store_file(tmp_path / "desk.db")
    call = [
        "tickets",
        "new",
        "--subject",
        "Call",
        "--from",
        "ana@example.com",
        "--name",
        "Ana",
        "--channel",
        "phone",
        "--duration",
        "12m",
        "--json",
        "--body",
    ]
    made = json.loads(cli_stdout(db, *call, "Wants the refund by Friday."))
    conn = sqlite3.connect(db)
    try:
        channel = conn.execute(
            "SELECT channel FROM ticket WHERE number = ?", (made["number"],)
        ).fetchone()[0]
        seconds = conn.execute("SELECT sum(seconds) FROM time_entry").fetchone()[0]
    finally:
        conn.close()
    assert (channel, seconds) == ("phone", 720)

    bad = runner.invoke(
        app,
        ["--db", str(db), "tickets", "new", "--subject", "x", "--from", "a@b.example",
         "--body", "x", "--duration", "soon"],
        env={"DESKTERM_CONFIG": str(db.with_name("config.toml"))},
    )  # fmt: skip
    assert bad.exit_code != 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == 1  # nothing made
    finally:
        conn.close()
