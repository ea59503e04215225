"""Bad usage is one line on stderr, exit 2; only `init` and `demo` make stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["tickets", "list", "--bogus"],
            "No such option: --bogus (see `deskterm tickets list -h`)",
        ),
        (["nosuch"], "No such command 'nosuch' (see `deskterm -h`)"),
        (["tickets", "show"], "Missing argument 'number' (see `deskterm tickets show -h`)"),
        (["tickets", "list", "--limit", "x"], "Invalid value for '--limit'"),
        (["agent", "add", "Kim", "--email", "notanemail"], "'notanemail' is not an e-mail address"),
        (
            ["tickets", "new", "--subject", "s", "--from", "a b@c", "--body", "x"],
            "'a b@c' is not an e-mail address",
        ),
    ],
)
def test_usage_error_is_one_line_exit_2(run_cli, tmp_path: Path, args, expected) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init").returncode == 0
    result = run_cli("--db", str(db), *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deskterm: "), result.stderr
    assert expected in lines[0]
    assert result.stdout == ""
    # Nothing was written on the way out.
    agents = json.loads(run_cli("--db", str(db), "agent", "list", "--json").stdout)
    assert agents == []
    assert run_cli("--db", str(db), "tickets", "list", "--json").stdout.strip() == "[]"


def test_init_refuses_a_bad_address(run_cli, tmp_path: Path) -> None:
    result = run_cli("--db", str(tmp_path / "s.db"), "init", "--email", "sam at example")
    assert result.returncode == 2
    assert "'sam at example' is not an e-mail address" in result.stderr
    assert not (tmp_path / "s.db").exists()
    assert not (tmp_path / "xdg" / "deskterm" / "config.toml").exists()


def test_empty_file_is_not_made_a_store(run_cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run_cli("--db", str(empty), "tickets", "list")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"deskterm: {empty}: an empty file, not a deskterm store; `deskterm init` makes one"
    ]
    assert empty.stat().st_size == 0


def test_init_may_make_a_store_in_an_empty_file(run_cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert run_cli("--db", str(empty), "init").returncode == 0
    assert run_cli("--db", str(empty), "tickets", "list").returncode == 0


def test_group_alone_shows_its_help(run_cli) -> None:
    result = run_cli("tickets")
    assert "Usage: deskterm tickets" in result.stderr + result.stdout


def test_ages_and_statuses_read_as_in_the_app(run_cli, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from deskterm.cli.output import age
    from deskterm.widgets.fmt import age as app_age

    now = datetime(2026, 3, 2, tzinfo=UTC)
    for days in (0.5, 3, 44, 400):
        then = now - timedelta(days=days)
        assert age(then, now) == app_age(now, then)
    assert age(now - timedelta(days=44), now) == "6w"

    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init").returncode == 0
    run_cli("--db", str(db), "tickets", "new", "--subject", "s", "--from", "a@b.c", "--body", "x")
    assert run_cli("--db", str(db), "tickets", "update", "1", "--status", "on_hold").returncode == 0
    listed = run_cli("--db", str(db), "tickets", "list", "--status", "on_hold").stdout
    assert " on hold " in listed and "on_hold" not in listed
    shown = run_cli("--db", str(db), "tickets", "show", "1").stdout
    assert "status on hold ·" in shown
    assert (
        json_status(run_cli("--db", str(db), "tickets", "show", "1", "--json").stdout) == "on_hold"
    )


def json_status(text: str) -> str:
    return str(json.loads(text)["status"])
