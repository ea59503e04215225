"""`deskterm tickets spam`, `block` and `unblock`: a blocked sender's mail is quarantined
with the reason, never lost, and `quarantine retry` lets it in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_spam_block_quarantine_and_release(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")

    def run(*args: str) -> Any:
        return run_cli("--db", str(db), *args)

    def mail(sender: str, subject: str) -> dict[str, int]:
        eml = tmp_path / f"{subject}.eml"
        eml.write_bytes(
            f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@mail.test>\r\n\r\nBuy now\r\n".encode()
        )
        done = run("import", str(eml), "--json")
        assert done.returncode == 0, done.stderr
        return {k: v for k, v in json.loads(done.stdout).items() if k in ("new", "quarantined")}

    assert mail("Spammer <SPAMMER@bad.example>", "offer1") == {"new": 1, "quarantined": 0}
    assert mail("ana@acme.example", "question") == {"new": 1, "quarantined": 0}

    spam = run("tickets", "spam", "1")
    assert spam.returncode == 0, spam.stderr
    assert "blocked spammer@bad.example" in spam.stdout
    ticket = json.loads(run("tickets", "show", "1", "--json").stdout)
    assert (ticket["status"], ticket["tags"]) == ("closed", ["spam"])
    blocked = json.loads(run("block", "--list", "--json").stdout)
    assert [(b["sender"], b["reason"]) for b in blocked] == [
        ("spammer@bad.example", "spam: ticket #1")
    ]

    # Their next mail is quarantined with the reason; no ticket is made or reopened.
    assert mail("spammer@bad.example", "offer2") == {"new": 0, "quarantined": 1}
    held = json.loads(run("quarantine", "ls", "--json").stdout)
    assert [q["reason"] for q in held] == ["blocked sender spammer@bad.example: spam: ticket #1"]
    assert len(json.loads(run("tickets", "list", "--all", "--json").stdout)) == 1  # ana's

    # A whole domain, then unblocked: mail flows again.
    made = run("block", "junk.example", "--reason", "bulk offers")
    assert made.returncode == 0 and "blocked @junk.example" in made.stdout
    assert mail("x@JUNK.example", "junk1") == {"new": 0, "quarantined": 1}
    assert run("unblock", "@junk.example").returncode == 0
    assert mail("y@junk.example", "junk2") == {"new": 1, "quarantined": 0}

    # Nothing was lost: retrying the held mail lets it in.
    retried = run("quarantine", "retry", str(held[0]["id"]), "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)[0]["outcome"] in ("new", "threaded")

    bad = run("block", "not an address")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "deskterm: 'not an address' is neither an e-mail address nor a domain"
    ]
    assert run("block").returncode == 2
    missing = run("unblock", "nobody@x.example")
    assert missing.returncode == 1 and "is not blocked" in missing.stderr
