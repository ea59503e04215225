"""Two replicas and a server over real loopback HTTP: offline work, sync, one result."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.http_server import Team
from helpers.processes import free_port
from helpers.replicas import local_service, make_replica, snapshot

from deskterm.channels.sync import Replica, SyncClient, SyncOffline
from deskterm.errors import SyncError
from deskterm.store.queries.replica import queued_ops
from deskterm.store.schema.timefmt import to_db, utcnow
from deskterm.store.service import Actor
from deskterm.store.service.sync_apply import is_provisional, set_state

BO, ADA = "bo@desk.test", "ada@desk.test"


@pytest.fixture
def seeded(team: Team) -> Team:
    server = team.state.make_service(Actor.system())
    for i in range(3):
        server.create_ticket(f"Order {i} late", f"Where is order {i}?", f"c{i}@example.test")
    return team


@pytest.fixture
def pair(seeded: Team, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    a, _ = make_replica(seeded.url, seeded.agent_token, tmp_path / "bo.db", BO)
    b, _ = make_replica(seeded.url, seeded.admin_token, tmp_path / "ada.db", ADA)
    yield a, b
    for replica in (a, b):
        replica.client.close()
        replica.store.close()


def test_join_copies_the_server(seeded: Team, pair: tuple[Replica, Replica]) -> None:
    a, b = pair
    assert snapshot(a.store) == snapshot(b.store) == snapshot(seeded.store)
    assert len(snapshot(a.store)) == 3


def test_offline_edits_on_both_replicas_converge(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, b = pair
    bo, ada = local_service(a.store, BO), local_service(b.store, ADA)
    bo.add_reply(1, "It left the warehouse today.")
    bo.update_tickets([2], priority="urgent", add_tags=["vip"])
    made_a = bo.create_ticket("Phone call: broken lid", "Customer called.", "p@example.test")
    ada.add_note(1, "Check with the carrier.")
    ada.update_tickets([2], priority="low", status="pending")
    made_b = ada.create_ticket("Walk-in: refund", "Wants a refund.", "w@example.test")
    assert is_provisional(made_a.number) and is_provisional(made_b.number)
    assert len(queued_ops(a.store)) == 3 and len(queued_ops(b.store)) == 3

    a.sync()
    b.sync()
    a.sync()

    server = snapshot(seeded.store)
    assert snapshot(a.store) == snapshot(b.store) == server
    assert queued_ops(a.store) == queued_ops(b.store) == []
    assert sorted(server) == [1, 2, 3, 4, 5]  # the server numbered the offline tickets
    subjects = {t["subject"] for t in server.values()}
    assert {"Phone call: broken lid", "Walk-in: refund"} <= subjects
    thread = [(kind, body) for kind, body, _from in server[1]["thread"]]
    assert thread[1:] == [
        ("reply", "It left the warehouse today."),
        ("note", "Check with the carrier."),
    ]
    # Fields: last writer in the server's order wins, the loser stays in the history.
    assert (server[2]["priority"], server[2]["status"], server[2]["tags"]) == (
        "low",
        "pending",
        ["vip"],
    )
    priorities = [(old, new) for kind, old, new, _who in server[2]["events"] if kind == "priority"]
    assert priorities == [("normal", "urgent"), ("urgent", "low")]


def test_an_op_pushed_twice_applies_once(seeded: Team, pair: tuple[Replica, Replica]) -> None:
    a, _b = pair
    local_service(a.store, BO).add_reply(1, "Only once, please.")
    (op,) = queued_ops(a.store)
    client_id = (
        a.store.read()
        .execute("SELECT value FROM sync_state WHERE name = 'client_id'")
        .fetchone()[0]
    )
    wire = [{"id": op.id, "name": op.name, "args": op.args}]
    first = a.client.push(client_id, wire)
    again = a.client.push(client_id, wire)  # as after an answer lost on the way back
    assert first["last_mutation_id"] == again["last_mutation_id"] == op.id
    a.sync()  # and the queue pushes it a third time
    bodies = [body for _k, body, _f in snapshot(seeded.store)[1]["thread"]]
    assert bodies.count("Only once, please.") == 1
    assert snapshot(a.store) == snapshot(seeded.store)


def test_metrics_count_applied_ops_and_their_lag_once(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, _b = pair
    bo = local_service(a.store, BO)
    bo.add_note(1, "Checked the depot.")
    bo.update_tickets([2], priority="high")
    a.sync()
    a.sync()  # nothing new: nothing counted twice
    with seeded.client(seeded.agent_token) as http:
        text = http.get("/metrics").text
    assert "deskterm_sync_ops_applied_total 2.0" in text
    assert "deskterm_sync_lag_seconds_count 2.0" in text
    assert 'deskterm_sync_lag_seconds_bucket{le="86400.0"} 2.0' in text


def _seen(team: Team) -> dict[str, float]:
    with team.client(team.agent_token) as http:
        text = http.get("/metrics").text
    prefix = "deskterm_sync_replicas_seen{within="
    return {
        line[len(prefix) + 1 : line.index('"}')]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_metrics_count_the_replicas_seen_recently(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, _b = pair
    assert _seen(seeded) == {"5m": 2.0, "1h": 2.0, "1d": 2.0}  # both pulled when they joined
    client_id = (
        a.store.read()
        .execute("SELECT value FROM sync_state WHERE name = 'client_id'")
        .fetchone()[0]
    )
    # As if replica a had last synced two hours ago (a laptop closed since).
    seeded.store.read().execute(
        "UPDATE sync_client SET last_seen_at = ? WHERE client_id = ?",
        (to_db(utcnow() - timedelta(hours=2)), client_id),
    )
    assert _seen(seeded) == {"5m": 1.0, "1h": 1.0, "1d": 2.0}
    a.sync()
    assert _seen(seeded) == {"5m": 2.0, "1h": 2.0, "1d": 2.0}


def test_a_merge_on_the_server_wins_over_offline_edits_with_notices(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, b = pair
    bo = local_service(a.store, BO)
    bo.update_tickets([1], status="solved")
    bo.add_reply(1, "Sorry for the wait.")
    seeded.state.make_service(Actor.system()).merge(1, 2)
    report = a.sync()
    b.sync()
    server = snapshot(seeded.store)
    assert snapshot(a.store) == snapshot(b.store) == server
    assert server[1]["merged_into"] == 2 and server[1]["status"] == "closed"
    assert ("reply", "Sorry for the wait.", BO) in server[2]["thread"]
    assert any("not applied" in n and "merged into #2" in n for n in report.notices)
    assert any("was added there" in n for n in report.notices)


def test_unpushed_work_stays_visible_after_a_pull(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, b = pair
    local_service(b.store, ADA).update_tickets([3], subject="Order 3: lost parcel")
    b.sync()
    local_service(a.store, BO).add_note(3, "Written offline")
    a_ops = queued_ops(a.store)
    a.pull()  # a pull with the note not yet pushed: the server's subject, and the note
    here = snapshot(a.store)[3]
    assert here["subject"] == "Order 3: lost parcel"
    assert here["thread"][-1][:2] == ("note", "Written offline")
    assert queued_ops(a.store) == a_ops
    a.sync()
    assert snapshot(a.store) == snapshot(seeded.store)


def test_an_unreachable_server_keeps_the_work_queued(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, _b = pair
    local_service(a.store, BO).add_note(2, "On the train")
    live_client = a.client
    a.client = SyncClient(f"http://127.0.0.1:{free_port()}", seeded.agent_token, timeout=2)
    with pytest.raises(SyncOffline, match="offline: cannot reach"):
        a.sync()
    assert [op.name for op in queued_ops(a.store)] == ["add_note"]
    a.client.close()
    a.client = live_client
    a.sync()
    assert ("note", "On the train", BO) in snapshot(seeded.store)[2]["thread"]


def test_a_revoked_token_gets_one_line_and_leaves_the_replica_as_it_was(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, _b = pair
    local_service(a.store, BO).add_note(2, "Before the revoke")
    before = snapshot(a.store)
    with seeded.store.read() as conn:
        conn.execute("UPDATE agent SET token_hash = NULL WHERE email = ?", (BO,))
    with pytest.raises(SyncError, match="token is not valid") as caught:
        a.sync()
    assert "\n" not in str(caught.value) and "deskterm join" in str(caught.value)
    assert snapshot(a.store) == before and len(queued_ops(a.store)) == 1


def test_a_cursor_the_server_never_gave_asks_for_a_new_join(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, _b = pair
    before = snapshot(a.store)
    set_state(a.store, {"cursor": "999999"})  # as after the server was restored from a backup
    with pytest.raises(SyncError, match="join` again"):
        a.sync()
    assert snapshot(a.store) == before


def test_a_server_with_a_newer_schema_is_refused_in_one_line(
    seeded: Team, pair: tuple[Replica, Replica]
) -> None:
    a, _b = pair
    before = snapshot(a.store)
    seeded.store.read().execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SyncError, match=r"newer deskterm .*upgrade deskterm here"):
        a.sync()
    assert snapshot(a.store) == before
