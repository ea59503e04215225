"""A push is one transaction with a savepoint per op: a failing op rolls back alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from helpers.http_server import Team
from helpers.replicas import snapshot
from helpers.store import rollups

from deskterm.store.service import Actor

CLIENT = "batch-replica-1"


def _push(team: Team, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    with team.client(team.agent_token) as http:
        answer = http.post("/api/v1/sync/push", json={"client_id": CLIENT, "mutations": mutations})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _create(uid: str, subject: str, email: str) -> dict[str, Any]:
    return {"subject": subject, "body": "Made on a train.", "customer_email": email, "uid": uid}


def test_a_failing_op_in_the_middle_rolls_back_alone(team: Team) -> None:
    team.state.make_service(Actor.system()).create_ticket("Order late", "Where?", "c@example.test")
    answer = _push(
        team,
        [
            {
                "id": 1,
                "name": "create_ticket",
                "args": _create("u-one", "Made offline", "n@ex.test"),
            },
            # names the ticket op 1 made: found inside the same, still uncommitted, push
            {"id": 2, "name": "add_reply", "args": {"ticket": "u-one", "body": "First answer."}},
            # the same uid again: the store refuses the ticket after its customer was written
            {"id": 3, "name": "create_ticket", "args": _create("u-one", "Twice", "half@ex.test")},
            {"id": 4, "name": "update_tickets", "args": {"tickets": ["#1"], "priority": "urgent"}},
            {"id": 5, "name": "add_note", "args": {"ticket": "#1"}},  # no body: unreadable
        ],
    )

    assert answer["last_mutation_id"] == 5
    assert set(answer["notices"]) == {"3", "5"}
    assert "refused by the store" in answer["notices"]["3"]
    assert "could not read the change 'add_note'" in answer["notices"]["5"]
    tickets = snapshot(team.store)
    assert sorted(tickets) == [1, 2]
    made = tickets[2]
    assert made["subject"] == "Made offline"
    assert [(kind, body) for kind, body, _f in made["thread"]] == [
        ("customer", "Made on a train."),
        ("reply", "First answer."),
    ]
    assert tickets[1]["priority"] == "urgent"
    assert [body for _k, body, _f in tickets[1]["thread"]] == ["Where?"]
    # Nothing of op 3 is left: not its customer, not a message, not an event.
    conn = team.store.read()
    assert (
        conn.execute("SELECT count(*) FROM customer WHERE email = 'half@ex.test'").fetchone()[0]
        == 0
    )
    assert conn.execute("SELECT count(*) FROM message").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM ticket WHERE subject = 'Twice'").fetchone()[0] == 0

    again = _push(team, [{"id": 4, "name": "update_tickets", "args": {"tickets": ["#1"]}}])
    assert again["last_mutation_id"] == 5  # pushed again after a lost answer: nothing runs


def test_every_op_of_a_push_commits_once_at_the_end(team: Team) -> None:
    """Ops see each other's writes inside the push; its tickets get one stamp, at the end."""
    answer = _push(
        team,
        [
            {"id": n, "name": "create_ticket", "args": _create(f"u-{n}", f"T{n}", f"{n}@ex.test")}
            for n in range(1, 51)
        ]
        + [{"id": 51, "name": "merge", "args": {"source": "u-2", "target": "u-1"}}],
    )
    assert answer == {"last_mutation_id": 51, "notices": {}}
    tickets = snapshot(team.store)
    assert len(tickets) == 50 and tickets[2]["merged_into"] == 1
    stamps = [
        row[0]
        for row in team.store.read().execute(
            "SELECT sync_version FROM ticket WHERE number > 2 ORDER BY number"
        )
    ]
    assert len(stamps) == 48 and len(set(stamps)) == 1
    (cookie,) = team.store.read().execute("SELECT value FROM counter WHERE name = 'sync'")
    assert stamps[0] == cookie[0]  # the newest: a replica's next pull brings them all


def test_two_pushes_of_the_same_ops_racing_apply_each_once(team: Team) -> None:
    """A retry sent while the first push still runs: the second waits for the replica's
    row, then skips every op the first applied."""
    team.state.make_service(Actor.system()).create_ticket("Order late", "Where?", "c@example.test")
    mutations = [
        {"id": n, "name": "add_note", "args": {"ticket": "#1", "body": f"note {n}"}}
        for n in range(1, 41)
    ]
    start = threading.Barrier(2)

    def push() -> dict[str, Any]:
        start.wait()
        return _push(team, mutations)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _i: push(), range(2)))

    assert [a["last_mutation_id"] for a in answers] == [40, 40]
    notes = [body for kind, body, _f in snapshot(team.store)[1]["thread"] if kind == "note"]
    assert notes == [f"note {n}" for n in range(1, 41)]


def test_the_report_rollups_of_a_push_equal_a_rebuild(team: Team) -> None:
    """The rollups are counted once, at the push's end, for every ticket its ops changed:
    solves, reopenings, tags, a merge and a refused op among them."""
    system = team.state.make_service(Actor.system())
    for n in range(1, 6):
        system.create_ticket(f"Order {n}", "Where is it?", f"c{n}@example.test")
    steps: list[tuple[str, dict[str, Any]]] = [
        ("update_tickets", {"tickets": ["#1", "#2"], "status": "solved"}),
        ("add_reply", {"ticket": "#3", "body": "On its way."}),
        ("update_tickets", {"tickets": ["#1"], "status": "open", "add_tags": ["late"]}),
        ("update_tickets", {"tickets": ["#9"], "status": "solved"}),  # no such ticket: refused
        ("merge", {"source": "#4", "target": "#5"}),
        ("update_tickets", {"tickets": ["#5"], "status": "closed"}),
    ]
    answer = _push(
        team, [{"id": n, "name": name, "args": args} for n, (name, args) in enumerate(steps, 1)]
    )
    assert set(answer["notices"]) == {"4"}
    kept = rollups(team.store.read())
    assert kept[3]  # every ticket has its facts
    system.rebuild_reports()
    assert rollups(team.store.read()) == kept
