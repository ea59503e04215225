"""`deskterm demo` shows the whole product: SLAs, rules, queued mail, a known agent."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

DAY = 24 * 3600


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {"TMPDIR": str(temp)}


def build(run_cli, env: dict[str, str], *extra: str):
    built = run_cli("demo", "--no-tui", "--tickets", "300", *extra, env=env)
    assert built.returncode == 0, built.stderr
    return built


def test_demo_config_turns_on_slas_rules_outbox_and_me(run_cli, demo_env) -> None:
    built = build(run_cli, demo_env)
    store = Path(built.stdout.strip())
    config = store.with_suffix(".toml")
    assert store.exists() and config.exists()
    assert f"export DESKTERM_CONFIG={config}" in built.stderr
    env = {**demo_env, "DESKTERM_CONFIG": str(config)}  # the one line, and nothing else

    due = json.loads(run_cli("tickets", "list", "-q", "due<2h", "--json", env=env).stdout)
    assert due and all(row["due_at"] for row in due)
    policies = {row["sla_policy"] for row in due}
    assert policies <= {"VIP", "Billing (Seoul team)", "Standard"}
    shown = run_cli("sla", "show", str(due[0]["number"]), env=env)
    assert shown.returncode == 0 and "policy '" in shown.stdout, shown.stderr
    calendars = run_cli("sla", "show", str(due[0]["number"]), env=env).stdout
    assert "calendar '" in calendars

    rules = run_cli("rules", "list", env=env)
    assert rules.returncode == 0 and rules.stdout.count("\n") >= 5
    tested = run_cli("rules", "test", env=env)
    assert tested.returncode == 0 and "Refunds to Billing" in tested.stdout

    queued = json.loads(run_cli("outbox", "ls", "--json", env=env).stdout)
    assert len(queued) == 3 and {q["state"] for q in queued} == {"waiting"}

    mine = run_cli("tickets", "list", "--view", "1", "--json", env=env)
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)
    number = str(json.loads(mine.stdout)[0]["number"])
    canned = json.loads(run_cli("canned", "list", "--json", env=env).stdout)[0]["name"]
    replied = run_cli("reply", number, "--canned", canned, "--json", env=env)
    assert replied.returncode == 0, replied.stderr


def test_an_agent_email_naming_no_agent_says_so(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init").returncode == 0
    config = tmp_path / "c.toml"
    config.write_text('[agent]\nemail = "ghost@example.com"\n')
    result = run_cli("--db", str(db), "--config", str(config), "tickets", "list", "--view", "1")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "deskterm: assignee:me needs to know who you are: [agent] email ghost@example.com"
        " names no agent in this store (see `deskterm agent list`; `deskterm agent add` adds one)"
    ]
    bare = run_cli("--db", str(db), "search", "is:unread")
    assert "set [agent] email in the config" in bare.stderr


def test_same_seed_and_size_reuse_one_store_and_old_ones_go(run_cli, demo_env) -> None:
    first = Path(build(run_cli, demo_env).stdout.strip())
    again = build(run_cli, demo_env)
    assert Path(again.stdout.strip()) == first
    assert "reusing the demo store built today" in again.stderr
    other = Path(build(run_cli, demo_env, "--seed", "2").stdout.strip())
    assert other != first and other.parent.parent == first.parent.parent

    # A day later the first one is stale: seed 2's run rebuilds nothing of it but
    # removes it; seed 1 then builds anew in the same place.
    old = time.time() - 2 * DAY
    os.utime(first.parent / ".ready", (old, old))
    cleaned = build(run_cli, demo_env, "--seed", "2")
    assert f"removed an old demo store: {first.parent}" in cleaned.stderr
    assert not first.parent.exists()
    rebuilt = build(run_cli, demo_env)
    assert Path(rebuilt.stdout.strip()) == first and "reusing" not in rebuilt.stderr
    fresh = build(run_cli, demo_env, "--fresh")
    assert "reusing" not in fresh.stderr and first.exists()
    assert sorted(p.name for p in first.parent.parent.iterdir()) == ["seed1-300", "seed2-300"]
