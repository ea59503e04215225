"""`deskterm assist rebuild` and the tone fields of the query syntax, as a real process."""

from __future__ import annotations

import json
import sqlite3

from helpers.store import solved_history

from deskterm.store.service import Service


def test_rebuild_catches_up_an_older_store_and_search_finds_the_flags(
    service: Service, run_cli
) -> None:
    service.create_ticket("Site down", "Our shop is down, please help asap.", "a@x.test")
    service.create_ticket("Thanks", "Thanks, that worked!", "b@x.test")
    upset = service.create_ticket("Invoice", "정말 실망스럽습니다.", "c@x.test")
    db = str(service.store.path)
    service.store.close()
    with sqlite3.connect(db) as conn:  # as a store from before the tone columns
        conn.execute("UPDATE ticket SET urgent_words = NULL, upset_words = NULL")
    found = run_cli("--db", db, "search", "mood:upset", "--json")
    assert found.returncode == 0 and json.loads(found.stdout) == []
    status = run_cli("--db", db, "assist", "status")
    assert (
        "3 tickets' urgency and mood were never read (a store from before them): training"
        " leaves them out; `deskterm assist rebuild` reads them"
    ) in status.stdout
    status_json = run_cli("--db", db, "assist", "status", "--json")
    assert json.loads(status_json.stdout)["tone_unread"] == 3
    done = run_cli("--db", db, "assist", "rebuild", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"tickets": 3, "urgent": 1, "upset": 1}
    found = run_cli("--db", db, "search", "mood:upset", "--json")
    assert [t["number"] for t in json.loads(found.stdout)] == [upset.number]
    again = run_cli("--db", db, "assist", "rebuild")
    assert again.stdout.strip() == "every ticket's urgency and mood is read already"
    assert "never read" not in run_cli("--db", db, "assist", "status").stdout
    bad = run_cli("--db", db, "search", "urgent:soon")
    assert bad.returncode != 0 and bad.stderr.startswith("deskterm: bad query: urgent:")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_suggest_lists_similar_solved_tickets_with_reasons(service: Service, run_cli) -> None:
    solved_history(service)
    old = service.create_ticket(
        "Refund for the headphones", "The headphones arrived broken.", "a@x.test"
    )
    service.set_status(old.number, "solved")
    new = service.create_ticket("Broken headphones", "Broken headphones, refund?", "b@x.test")
    db = str(service.store.path)
    service.store.close()
    out = run_cli("--db", db, "suggest", str(new.number), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["number"] == new.number
    assert [s["number"] for s in data["similar"]] == [old.number]
    assert data["similar"][0]["reasons"][0].startswith("shares ")
    assert data["canned"] == [] and data["draft"] is None  # the old ticket got no reply
    text = run_cli("--db", db, "suggest", str(new.number))
    assert f"{old.number}" in text.stdout and "headphones" in text.stdout
    missing = run_cli("--db", db, "suggest", "999")
    assert missing.returncode == 1 and missing.stderr == "deskterm: no ticket #999\n"


def test_train_says_what_it_learned_and_status_shows_the_model(service: Service, run_cli) -> None:
    for i in range(3):
        urgent = service.create_ticket("Down", "Checkout is down, asap!", f"u{i}@x.test")
        service.update_tickets([urgent.number], priority="urgent", status="solved")
    db = str(service.store.path)
    service.store.close()
    before = run_cli("--db", db, "assist", "status")
    assert before.returncode == 0, before.stderr
    assert "no model at" in before.stdout and "`deskterm assist train` makes one" in before.stdout
    assert "too little history to suggest: 3 solved tickets" in before.stdout
    out = run_cli("--db", db, "assist", "train")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:2] == [
        "learned from 3 solved tickets (up to #3)",
        "urgent mail (3 tickets): priority urgent 100%",
    ]
    status = json.loads(run_cli("--db", db, "assist", "status", "--json").stdout)
    assert status["path"].endswith(".assist.json") and status["due"] is False
    assert status["model"]["priority_by_tone"] == {"urgent": {"urgent": 3}}
