"""The team commands as real processes: agent add, serve, join, sync, status."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
from helpers.http_server import serve_process

Run = Callable[..., subprocess.CompletedProcess[str]]


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_serve_answers_the_token_agent_add_printed(
    tmp_path: Path, deskterm_bin: str, run_cli: Run
) -> None:
    db = tmp_path / "team.db"
    token = _ok(run_cli("--db", str(db), "agent", "add", "Ada", "--email", "ada@x.test")).strip()
    assert len(token) >= 40 and "\n" not in token
    listed = _ok(run_cli("--db", str(db), "agent", "list"))
    assert "ada@x.test" in listed and token not in listed
    with serve_process(deskterm_bin, db, tmp_path) as url:
        me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "ada@x.test"
        assert httpx.get(f"{url}/api/v1/me").status_code == 401


def test_join_work_offline_sync_and_status(tmp_path: Path, deskterm_bin: str, run_cli: Run) -> None:
    server_db = tmp_path / "team.db"
    token = _ok(run_cli("--db", str(server_db), "agent", "add", "Bo", "--email", "bo@x.test"))
    _ok(
        run_cli(
            "--db",
            str(server_db),
            "tickets",
            "new",
            "--subject",
            "First",
            "--from",
            "c@x.test",
            "--body",
            "Hi",
        )
    )
    replica = tmp_path / "replica.db"
    with serve_process(deskterm_bin, server_db, tmp_path) as url:
        joined = json.loads(
            _ok(run_cli("--db", str(replica), "join", url, "--token", token.strip(), "--json"))
        )
        assert (joined["agent"], joined["pulled"]) == ("bo@x.test", 1)
        assert (replica.parent / "replica.db.token").stat().st_mode & 0o077 == 0
        config = (tmp_path / "xdg" / "deskterm" / "config.toml").read_text()
        assert f'url = "{url}"' in config
        # The replica's config names the store: no --db needed from here on.
        made = run_cli(
            "tickets",
            "new",
            "--subject",
            "Walk-in",
            "--from",
            "w@x.test",
            "--body",
            "Hello",
            "--json",
        )
        assert json.loads(_ok(made))["provisional"] is True
        _ok(run_cli("reply", "1", "--body", "On it.", "--json"))
        status = json.loads(_ok(run_cli("status", "--json")))
        assert (status["online"], status["queued"], status["agent"]) == (True, 2, "bo@x.test")
        moved = json.loads(_ok(run_cli("sync", "--json")))
        assert (moved["pushed"], moved["queued"]) == (2, 0)
        listed = json.loads(_ok(run_cli("tickets", "list", "--json", "--query", "status:new,open")))
        assert sorted(t["number"] for t in listed) == [1, 2]
        on_server = json.loads(
            _ok(run_cli("--db", str(server_db), "tickets", "show", "1", "--json"))
        )
        assert [m["body"] for m in on_server["messages"]] == ["Hi", "On it."]
        assert on_server["messages"][1]["author"] == "Bo"
    offline = json.loads(_ok(run_cli("status", "--json")))
    assert offline["online"] is False and "offline" in offline["reason"]
    failed = run_cli("sync")
    assert failed.returncode == 1 and failed.stderr.startswith("deskterm: offline: cannot reach")
    assert len(failed.stderr.strip().splitlines()) == 1
