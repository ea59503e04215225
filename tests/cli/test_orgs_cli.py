"""`deskterm orgs`: customers join an organization by their mail domain."""

from __future__ import annotations

import json
from pathlib import Path


def test_orgs_add_list_show_edit(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")

    def run(*args: str):
        return run_cli("--db", str(db), *args)

    for who in ("ana@acme.example", "bo@acme.example", "cy@beta.example"):
        made = run("tickets", "new", "--subject", "s", "--from", who, "--body", "x")
        assert made.returncode == 0, made.stderr
    added = run("orgs", "add", "Acme Ltd", "--domain", "ACME.example")
    assert added.returncode == 0, added.stderr
    org_id = added.stdout.strip()
    listed = json.loads(run("orgs", "list", "--json").stdout)
    assert listed == [
        {"id": int(org_id), "name": "Acme Ltd", "domain": "acme.example",
         "customer_count": 2, "open_count": 2}
    ]  # fmt: skip
    shown = json.loads(run("orgs", "show", "acme.example", "--json").stdout)
    assert [c["email"] for c in shown["customers"]] == ["ana@acme.example", "bo@acme.example"]

    assert run("orgs", "add", "Beta").returncode == 0
    assert (
        run("orgs", "edit", "Beta", "--domain", "beta.example", "--name", "Beta Co").returncode == 0
    )
    beta = json.loads(run("orgs", "show", "Beta Co", "--json").stdout)
    assert beta["domain"] == "beta.example" and beta["customer_count"] == 1
    clash = run("orgs", "edit", "Beta Co", "--name", "Acme Ltd")
    assert clash.returncode == 2
    assert clash.stderr.splitlines() == ["deskterm: an organization named 'Acme Ltd' exists"]
    nothing = run("orgs", "edit", "Beta Co")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    missing = run("orgs", "show", "Gamma")
    assert missing.returncode == 1 and "no organization 'Gamma'" in missing.stderr
