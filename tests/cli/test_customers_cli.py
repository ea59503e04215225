"""`deskterm customers edit|note|merge`: the real command on a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_customers_edit_note_and_merge(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")

    def run(*args: str, stdin: str | None = None):
        return run_cli("--db", str(db), *args, stdin=stdin)

    def show(who: str) -> dict[str, Any]:
        shown = run("customers", "show", who, "--json")
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)

    for who in ("ana@acme.example", "ana.silva@mail.example", "bo@beta.example"):
        made = run("tickets", "new", "--subject", f"from {who}", "--from", who, "--body", "x")
        assert made.returncode == 0, made.stderr
    assert run("orgs", "add", "Acme Ltd").returncode == 0

    # note: set, read back in JSON and text, replaced from stdin
    noted = run("customers", "note", "ana@acme.example", "--body", "VIP: prefers phone")
    assert noted.returncode == 0, noted.stderr
    assert show("ana@acme.example")["note"] == "VIP: prefers phone"
    assert "note:\nVIP: prefers phone" in run("customers", "show", "ana@acme.example").stdout
    assert run("customers", "note", "ana.silva@mail.example", "--body-file", "-", stdin="Spanish")
    assert show("ana.silva@mail.example")["note"] == "Spanish"

    # edit: name, organization by name, then none
    ana = show("ana@acme.example")["id"]
    edited = run("customers", "edit", str(ana), "--name", "Ana Silva", "--org", "acme ltd")
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.strip() == f"customer {ana} saved"
    shown = show("ana@acme.example")
    assert (shown["name"], shown["organization"]) == ("Ana Silva", "Acme Ltd")
    assert run("customers", "edit", "ana@acme.example", "--org", "").returncode == 0
    assert show("ana@acme.example")["organization"] is None

    # edit refuses: nothing to change, a bad address, another customer's address
    nothing = run("customers", "edit", "ana@acme.example")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    bad = run("customers", "edit", "ana@acme.example", "--email", "notanemail")
    assert bad.returncode == 2 and bad.stderr.startswith("deskterm: ")
    taken = run("customers", "edit", "ana@acme.example", "--email", "BO@beta.example")
    assert taken.returncode == 2
    assert len(taken.stderr.splitlines()) == 1 and "customers merge" in taken.stderr
    moved = run("customers", "edit", "bo@beta.example", "--email", "Bo@Beta.example ")
    assert moved.returncode == 0, moved.stderr
    assert show("bo@beta.example")["email"] == "bo@beta.example"

    # merge: tickets and note move; the old address now finds the survivor
    merged = run("customers", "merge", "ana.silva@mail.example", "ana@acme.example", "--json")
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["tickets"] == [2]
    survivor = show("ana@acme.example")
    assert survivor["ticket_count"] == 2
    assert survivor["note"] == "VIP: prefers phone\n\nSpanish"
    assert show("ana.silva@mail.example")["id"] == survivor["id"]
    listed = json.loads(run("customers", "list", "--json").stdout)
    assert [c["email"] for c in listed] == ["ana@acme.example", "bo@beta.example"]
    thread = json.loads(run("tickets", "show", "2", "--json").stdout)
    assert thread["customer"]["email"] == "ana@acme.example"

    eml = tmp_path / "later.eml"
    eml.write_bytes(
        b"From: Ana <ana.silva@mail.example>\r\nTo: support@example.com\r\n"
        b"Subject: one more thing\r\nMessage-ID: <later@mail.example>\r\n\r\nHello again\r\n"
    )
    imported = run("import", str(eml))
    assert imported.returncode == 0, imported.stderr
    assert show("ana@acme.example")["ticket_count"] == 3

    # merge refuses: the same customer twice, one that does not exist
    same = run("customers", "merge", "ana.silva@mail.example", "ana@acme.example")
    assert same.returncode == 2 and "already one customer" in same.stderr
    missing = run("customers", "merge", "nobody@x.example", "ana@acme.example")
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        "deskterm: no customer nobody@x.example (see `deskterm customers list`)"
    ]
