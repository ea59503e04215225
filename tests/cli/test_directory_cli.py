"""Paging everywhere, and the directory commands: views, groups, agent away/role/revoke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def desk(run_cli, tmp_path: Path):
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    for i in range(5):
        made = run_cli(
            "--db", str(db), "tickets", "new", "--subject", f"refund {i}",
            "--from", f"c{i}@example.com", "--body", "refund please", "--channel", "phone",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr

    def run(*args: str):
        return run_cli("--db", str(db), *args)

    return run


def next_cursor(stderr: str) -> str:
    assert stderr.startswith("more: --after '") and stderr.rstrip().endswith("(or --all)")
    return stderr.split("'")[1]


@pytest.mark.parametrize("command", [["search", "refund"], ["customers", "list"]])
def test_every_listing_pages_the_same_way(desk, command) -> None:
    key = "number" if command[0] == "search" else "id"
    everything = json.loads(desk(*command, "--all", "--limit", "2", "--json").stdout)
    assert len(everything) == 5
    seen: list[int] = []
    after: list[str] = []
    while True:
        page = desk(*command, "--limit", "2", "--json", *after)
        assert page.returncode == 0, page.stderr
        seen.extend(row[key] for row in json.loads(page.stdout))
        if not page.stderr:
            break
        after = ["--after", next_cursor(page.stderr)]
    assert seen == [row[key] for row in everything]
    assert len(set(seen)) == 5


def test_views_list_show_add_rm_and_list_by_view(desk) -> None:
    views = json.loads(desk("views", "list", "--json").stdout)
    assert [v["name"] for v in views[:4]] == ["My open", "Unassigned", "All open", "Pending"]
    assert all(v["meaning"] for v in views if v["source"] == "built-in")
    mine = json.loads(desk("views", "show", "1", "--json").stdout)
    # "open" means new and open in every built-in view; pending has its own.
    assert mine["query"] == "status:new,open assignee:me"
    assert (
        "status:new,open" in json.loads(desk("views", "show", "All open", "--json").stdout)["query"]
    )
    assert desk("views", "add", "Refunds", "refund status:new").returncode == 0
    added = json.loads(desk("views", "show", "Refunds", "--json").stdout)
    assert added["source"] == "store" and added["key"] == str(added["number"])
    listed = json.loads(desk("tickets", "list", "--view", "Refunds", "--json").stdout)
    assert len(listed) == 5
    bad = desk("views", "add", "Broken", "stauts:open")
    assert bad.returncode == 2 and "unknown field 'stauts'" in bad.stderr
    assert desk("views", "rm", "Refunds").returncode == 0
    gone = desk("views", "show", "Refunds")
    assert gone.returncode == 2 and gone.stderr.startswith("deskterm: no view named 'Refunds'")
    builtin = desk("views", "rm", "My open")
    assert builtin.returncode == 1 and "cannot be removed here" in builtin.stderr


def test_groups_and_agent_away_role_revoke(desk) -> None:
    assert desk("agent", "add", "Kim Park", "--email", "kim@example.com").returncode == 0
    assert desk("groups", "add", "Billing", "--member", "sam@example.com").returncode == 0
    changed = desk("groups", "members", "Billing", "--add", "kim@example.com", "--json")
    assert json.loads(changed.stdout) == ["kim@example.com", "sam@example.com"]
    assert desk("tickets", "update", "1", "2", "--group", "Billing").returncode == 0
    groups = json.loads(desk("groups", "list", "--json").stdout)
    assert groups == [
        {"id": 1, "name": "Billing", "members": ["kim@example.com", "sam@example.com"],
         "open_count": 2}
    ]  # fmt: skip
    wrong = desk("groups", "members", "Billing", "--add", "kim@example.com", "--remove", "x@y.z")
    assert wrong.returncode == 1 and wrong.stderr.startswith("deskterm: no agent 'x@y.z'")
    assert json.loads(desk("groups", "members", "Billing", "--json").stdout) == [
        "kim@example.com",
        "sam@example.com",
    ]
    assert "2 ticket(s) had it" in desk("groups", "rm", "Billing").stdout
    assert json.loads(desk("groups", "list", "--json").stdout) == []
    shown = json.loads(desk("tickets", "show", "1", "--json").stdout)
    assert shown["group"] is None

    assert desk("agent", "away", "kim@example.com").returncode == 0
    assert desk("agent", "role", "Kim Park", "admin").returncode == 0
    assert desk("agent", "revoke", "kim@example.com").stdout.strip() == (
        "kim@example.com: token revoked"
    )
    assert desk("agent", "revoke", "kim@example.com").stdout.strip() == (
        "kim@example.com: had no token"
    )
    kim = next(
        a for a in json.loads(desk("agent", "list", "--json").stdout) if a["name"] == "Kim Park"
    )
    assert kim["away"] is True and kim["role"] == "admin"
    assert desk("agent", "away", "kim@example.com", "--back").returncode == 0
    bad_role = desk("agent", "role", "kim@example.com", "boss")
    assert bad_role.returncode == 2 and bad_role.stderr.startswith("deskterm: unknown role")
