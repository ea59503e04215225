"""The CLI, through Typer's runner and as the installed `deskterm` process."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.errors import DesktermError
from deskterm.store.service import Service

runner = CliRunner()


@pytest.fixture
def seeded(service: Service, clock) -> Path:
    """Three tickets, tags, a reply and a canned reply, at fixed times."""
    a = service.create_ticket(
        "Refund for order 4821",
        "I want my money back. 환불 부탁드립니다",
        "ana@example.com",
        "Ana Diaz",
        tags=["billing"],
    )
    clock.advance(minutes=5)
    service.create_ticket("Cannot log in", "The login page says 我要退款 no", "bob@example.com")
    clock.advance(minutes=5)
    service.create_ticket(
        "Shipping delay", "返金してください", "chen@example.com", "Chen Wei", priority="high"
    )
    clock.advance(minutes=5)
    service.add_reply(a.number, "We are on it.")
    service.save_canned(
        "thanks",
        'Hi {{ customer.first_name | default("there") }},\nthanks!\n{{ agent.first_name }}',
        {"status": "solved", "add_tags": ["done"]},
    )
    return service.store.path


def invoke(db: Path, *args: str, input: str | None = None):
    config = db.with_name("config.toml")
    if not config.exists():
        config.write_text('[agent]\nname = "Sam Lee"\nemail = "sam@desk.test"\n')
    return runner.invoke(
        app, ["--db", str(db), *args], input=input, env={"DESKTERM_CONFIG": str(config)}
    )


def test_list_json_has_documented_fields(seeded: Path) -> None:
    result = invoke(seeded, "tickets", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == [1, 3, 2]  # newest activity first
    assert set(rows[0]) == {
        "number",
        "subject",
        "status",
        "priority",
        "channel",
        "customer",
        "assignee",
        "group",
        "tags",
        "created_at",
        "updated_at",
        "first_response_at",
        "solved_at",
        "reopen_count",
        "message_count",
        "sla_policy",
        "due_at",
        "unread",
    }
    assert rows[0]["customer"] == {"name": "Ana Diaz", "email": "ana@example.com"}
    assert rows[0]["tags"] == ["billing"]
    assert rows[0]["status"] == "open" and rows[0]["first_response_at"].endswith("Z")


def test_list_pages_with_cursor(seeded: Path) -> None:
    first = invoke(seeded, "tickets", "list", "--limit", "2", "--json")
    assert len(json.loads(first.stdout)) == 2
    assert "more: --after" in first.stderr
    cursor = first.stderr.split("--after '")[1].split("'")[0]
    rest = invoke(seeded, "tickets", "list", "--limit", "2", "--after", cursor, "--json")
    assert [r["number"] for r in json.loads(rest.stdout)] == [2]
    everything = invoke(seeded, "tickets", "list", "--limit", "1", "--all", "--json")
    assert [r["number"] for r in json.loads(everything.stdout)] == [1, 3, 2]


@pytest.mark.parametrize(
    ("word", "numbers"),
    [("환불", [1]), ("退款", [2]), ("返金", [3]), ("refund", [1]), ("money", [1])],
)
def test_search_finds_english_and_cjk(seeded: Path, word: str, numbers: list[int]) -> None:
    result = invoke(seeded, "search", word, "--json")
    assert result.exit_code == 0, result.output
    assert [r["number"] for r in json.loads(result.stdout)] == numbers


def test_search_with_fields(seeded: Path) -> None:
    result = invoke(seeded, "search", "priority:high status:new", "--json")
    assert [r["number"] for r in json.loads(result.stdout)] == [3]


def test_update_many_from_stdin(seeded: Path) -> None:
    result = invoke(
        seeded, "tickets", "update", "-", "--status", "pending", "--tag", "vip", input="1, #2\n3\n"
    )
    assert result.exit_code == 0, result.output
    assert "changed 3 of 3" in result.stdout
    shown = json.loads(invoke(seeded, "tickets", "list", "--status", "pending", "--json").stdout)
    assert sorted(r["number"] for r in shown) == [1, 2, 3]
    assert all("vip" in r["tags"] for r in shown)


def test_reply_with_canned_runs_actions_and_history_records_it(seeded: Path) -> None:
    rendered = invoke(seeded, "canned", "render", "thanks", "--ticket", "2")
    assert rendered.stdout.startswith("Hi there,")  # no name: the fallback
    assert invoke(seeded, "reply", "1", "--canned", "thanks").exit_code == 0
    detail = json.loads(invoke(seeded, "tickets", "show", "1", "--json").stdout)
    assert detail["status"] == "solved" and "done" in detail["tags"]
    assert detail["messages"][-1]["body"].startswith("Hi Ana,")
    history = json.loads(invoke(seeded, "tickets", "history", "1", "--json").stdout)
    kinds = [e["kind"] for e in history]
    assert "canned" in kinds and ("status", "open", "solved") in [
        (e["kind"], e["old"], e["new"]) for e in history
    ]


def test_merge_and_split(seeded: Path) -> None:
    assert invoke(seeded, "tickets", "merge", "2", "1").exit_code == 0
    detail = json.loads(invoke(seeded, "tickets", "show", "1", "--json").stdout)
    moved = [m for m in detail["messages"] if m["kind"] == "customer"][-1]
    split = invoke(seeded, "tickets", "split", "1", "--from", str(moved["id"]), "--json")
    assert split.exit_code == 0, split.output
    new = json.loads(split.stdout)["number"]
    assert new == 4  # numbers never repeat: 2 was merged away, not reused
    merged = json.loads(invoke(seeded, "tickets", "show", "2", "--json").stdout)
    assert merged["merged_into"] == 1 and merged["status"] == "closed"


def test_canned_lint_reports_line(seeded: Path) -> None:
    assert (
        invoke(seeded, "canned", "add", "bad", "--body", "ok\n{{ customer.nmae }}").exit_code == 0
    )
    result = invoke(seeded, "canned", "lint")
    assert result.exit_code == 1
    assert "bad:2: unknown placeholder customer.nmae" in result.stdout


def test_errors_are_exceptions_for_the_boundary(seeded: Path) -> None:
    result = invoke(seeded, "tickets", "show", "99")
    assert isinstance(result.exception, DesktermError)
    assert str(result.exception) == "no ticket #99"


# -- the installed command, as a real process ---------------------------------


def test_real_process_demo_list_and_search(run_cli, tmp_path: Path) -> None:
    built = run_cli("demo", "--no-tui", "--tickets", "200", "--path", str(tmp_path / "demo.db"))
    assert built.returncode == 0, built.stderr
    db = built.stdout.strip()
    assert Path(db).exists()
    listed = run_cli("--db", db, "tickets", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows and all(r["status"] in ("new", "open") for r in rows)
    stamps = [r["updated_at"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    found = run_cli("--db", db, "search", "환불", "--json")
    assert found.returncode == 0, found.stderr
    for row in json.loads(found.stdout):
        shown = json.loads(
            run_cli("--db", db, "tickets", "show", str(row["number"]), "--json").stdout
        )
        text = shown["subject"] + " ".join(m["body"] for m in shown["messages"])
        assert "환불" in text


@pytest.mark.parametrize(
    ("args", "setup", "expected", "code"),
    [
        (["search", "stauts:open"], None, "unknown field 'stauts'", 2),
        (["tickets", "show", "12345"], None, "no ticket #12345", 1),
        (["tickets", "list"], "corrupt", "not a usable deskterm store", 1),
        (["tickets", "list"], "foreign", "not a deskterm store", 1),
        (["tickets", "list"], "bad-toml", "bad TOML", 2),
        (["tickets", "list"], "bad-key", "agent.emial: unknown key", 2),
        (["tickets", "list"], "missing", "no store here", 1),
        (["tickets", "update", "1", "--status", "done"], None, "unknown status 'done'", 2),
    ],
)
def test_bad_input_one_line_and_nonzero(
    run_cli, tmp_path: Path, args, setup, expected, code
) -> None:
    db = tmp_path / "s.db"
    if setup != "missing":
        assert run_cli("--db", str(db), "init").returncode == 0
    if setup == "corrupt":
        db.write_bytes(b"this is not a database at all" * 100)
        for extra in ("-wal", "-shm"):
            Path(str(db) + extra).unlink(missing_ok=True)
    elif setup == "foreign":
        db.unlink()
        sqlite3.connect(db).execute("CREATE TABLE notes (x)").connection.commit()
    elif setup == "bad-toml":
        (tmp_path / "xdg" / "deskterm" / "config.toml").write_text("[agent\n")
    elif setup == "bad-key":
        (tmp_path / "xdg" / "deskterm" / "config.toml").write_text('[agent]\nemial = "x"\n')
    if setup in (None,) and args[1] == "update":
        run_cli(
            "--db", str(db), "tickets", "new", "--subject", "s", "--from", "a@b.c", "--body", "x"
        )
    result = run_cli("--db", str(db), *args)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deskterm: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_locked_store_is_one_line(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init").returncode == 0
    holder = sqlite3.connect(db, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_cli(
            "--db", str(db), "tickets", "new", "--subject", "s", "--from", "a@b.c", "--body", "x"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"deskterm: {db}: the store is locked by another deskterm process; try again"
    ]


def test_help_loads_no_sqlalchemy_or_textual(deskterm_bin: str) -> None:
    import subprocess
    import sys

    code = (
        "import sys; import deskterm.cli; "
        "bad = [m for m in ('sqlalchemy', 'sqlmodel', 'textual') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_command_table_matches_the_commands() -> None:
    import subprocess
    import sys

    from deskterm.cli import COMMANDS, LazyGroup
    from deskterm.cli import app as root

    group = typer_command(root)
    assert isinstance(group, LazyGroup)
    for name, (_module, _attr, help_line) in COMMANDS.items():
        command = group.get_command(None, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=500) == help_line, name
    # `deskterm --help` reads the table: none of the command modules is imported.
    code = (
        "import sys, deskterm.cli; "
        "print([m for m in sys.modules if m.startswith('deskterm.cli.') "
        "and m != 'deskterm.cli.context'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def typer_command(app_: Any) -> Any:
    import typer

    return typer.main.get_command(app_)


def test_tickets_time_logs_lists_and_audits(seeded: Path) -> None:
    logged = invoke(seeded, "tickets", "time", "1", "1h30m", "--note", "call with Ana")
    assert logged.exit_code == 0, logged.output
    assert logged.stdout == "logged 1h30m on #1\n"
    assert invoke(seeded, "tickets", "time", "1", "15m", "--json").exit_code == 0
    listed = invoke(seeded, "tickets", "time", "1", "--json")
    entries = json.loads(listed.stdout)
    assert [(e["seconds"], e["source"], e["note"], e["agent"]) for e in entries] == [
        (900, "manual", "", "Sam Lee"),
        (5400, "manual", "call with Ana", "Sam Lee"),
    ]
    assert set(entries[0]) == {"id", "agent", "started_at", "seconds", "source", "note"}
    text = invoke(seeded, "tickets", "time", "1").stdout
    assert text.splitlines()[-1] == "total 1h45m in 2 entries"
    history = json.loads(invoke(seeded, "tickets", "history", "1", "--json").stdout)
    assert [e["new"] for e in history if e["kind"] == "time_logged"] == [
        "1h30m (call with Ana)",
        "15m",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1", "90"), "bad time '90': write it like 15m, 1h30m, 1.5h or 1:30"),
        (("1", "30h"), "bad time '30h': give more than nothing and at most 24h"),
        (("99", "15m"), "no ticket #99"),
        (
            ("1", "--note", "x"),
            "--note goes with a time to log, e.g. `tickets time 12 15m --note call`",
        ),
    ],
)
def test_tickets_time_refuses_bad_input_and_writes_nothing(
    seeded: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke(seeded, "tickets", "time", *args)
    assert isinstance(result.exception, DesktermError)
    assert str(result.exception) == message
    count = sqlite3.connect(seeded).execute("SELECT count(*) FROM time_entry").fetchone()[0]
    assert count == 0
