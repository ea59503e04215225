"""A reply no mailbox can send says so every time, and the thread keeps saying it."""

from __future__ import annotations

import json
from pathlib import Path

NOT_MAILED = "saved, not mailed: no [[mailbox]] can send for this ticket — see `deskterm init`"


def new_ticket(run_cli, db: Path, channel: str) -> str:
    made = run_cli(
        "--db", str(db), "tickets", "new", "--subject", "Refund", "--from", "ana@example.com",
        "--body", "Where is it?", "--channel", channel,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def test_reply_to_an_email_ticket_without_a_mailbox_says_not_mailed(run_cli, tmp_path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    number = new_ticket(run_cli, db, "email")
    for args in (["--body", "On its way."], ["--body", "Again.", "--json"]):
        replied = run_cli("--db", str(db), "reply", number, *args)
        assert replied.returncode == 0, replied.stderr
        assert replied.stderr.splitlines() == [f"deskterm: #{number}: {NOT_MAILED}"]
    shown = json.loads(run_cli("--db", str(db), "tickets", "show", number, "--json").stdout)
    replies = [m for m in shown["messages"] if m["kind"] == "reply"]
    assert [m["not_mailed"] for m in replies] == [True, True]
    assert replies[0]["author"] == "Sam Lee"
    history = json.loads(run_cli("--db", str(db), "tickets", "history", number, "--json").stdout)
    assert [e["new"] for e in history if e["kind"] == "not_mailed"] == [
        str(m["id"]) for m in replies
    ]

    phone = new_ticket(run_cli, db, "phone")
    quiet = run_cli("--db", str(db), "reply", phone, "--body", "Called back.")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_without_an_agent_the_cli_says_once_how_to_set_it(run_cli, tmp_path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init").returncode == 0
    first = run_cli("--db", str(db), "tickets", "new", "--subject", "s", "--from", "a@b.c",
                    "--body", "x")  # fmt: skip
    assert first.returncode == 0
    assert first.stderr.startswith("deskterm: note: no [agent] email in the config")
    assert "`deskterm init --name NAME --email EMAIL` sets it (said once)" in first.stderr
    number = first.stdout.strip()
    second = run_cli("--db", str(db), "note", number, "--body", "again")
    assert second.returncode == 0 and second.stderr == ""
