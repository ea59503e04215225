"""Three replicas: two work offline while the server changes too; every store ends the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.http_server import Team
from helpers.replicas import local_service, make_replica, records, snapshot

from deskterm.channels.sync import Replica
from deskterm.store.queries.replica import queued_ops
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service import Actor, Service

BO, ADA = "bo@desk.test", "ada@desk.test"


@pytest.fixture
def trio(team: Team, tmp_path: Path) -> Iterator[tuple[Replica, Replica, Replica]]:
    server = team.state.make_service(Actor.system())
    for i in range(4):
        server.create_ticket(f"Order {i} late", f"Where is order {i}?", f"c{i}@example.test")
    made = [
        make_replica(team.url, token, tmp_path / f"{name}.db", email)[0]
        for name, token, email in (
            ("bo-laptop", team.agent_token, BO),
            ("ada", team.admin_token, ADA),
            ("bo-desk", team.agent_token, BO),
        )
    ]
    yield made[0], made[1], made[2]
    for replica in made:
        replica.client.close()
        replica.store.close()


def test_two_offline_replicas_and_the_server_converge(
    team: Team, trio: tuple[Replica, Replica, Replica], tmp_path: Path
) -> None:
    laptop, ada_replica, desk = trio
    bo, ada = local_service(laptop.store, BO), local_service(ada_replica.store, ADA)
    server = Service(team.store, Actor(team.agent_id, "Bo Agent"))
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)

    # Offline on two replicas, while the server takes changes of its own.
    bo.add_reply(1, "Shipped today.")
    bo.update_tickets([2], priority="urgent", add_tags=["vip"])
    made = bo.create_ticket("Phone: lid broken", "Called in.", "p@example.test")
    bo.add_note(made.number, "Sent a photo of the right lid.")
    bo.send_reply(made.number, "Is it this one?", attachments=[photo])
    bo.log_time(made.number, 600, note="call")
    ada.update_tickets([2], priority="low", status="pending")
    ada.add_note(1, "Carrier confirmed.")
    ada.merge(4, 3)
    ada.track_time(3, utcnow() - timedelta(minutes=30), 900)
    server.update_tickets([1], status="pending", add_tags=["shipping"])
    server.add_note(4, "Customer says 4 is the same as 3.")  # lands on 4, before the merge
    assert len(queued_ops(laptop.store)) == 6 and len(queued_ops(ada_replica.store)) == 4

    ada_replica.sync()
    laptop.sync()
    ada_replica.sync()
    desk.sync()  # the third replica only pulls

    expected = snapshot(team.store)
    for replica in trio:
        assert snapshot(replica.store) == expected
        assert records(replica.store) == records(team.store)
        assert queued_ops(replica.store) == []
    assert sorted(expected) == [1, 2, 3, 4, 5]
    # Fields: the last writer in the server's order wins (Ada synced first, then Bo).
    assert (expected[2]["priority"], expected[2]["status"], expected[2]["tags"]) == (
        "urgent",
        "pending",
        ["vip"],
    )
    assert expected[4]["merged_into"] == 3
    assert [body for _k, body, _f in expected[3]["thread"]][-1] == (
        "Customer says 4 is the same as 3."
    )
    assert [(kind, body) for kind, body, _f in expected[5]["thread"]] == [
        ("customer", "Called in."),
        ("note", "Sent a photo of the right lid."),
        ("reply", "Is it this one?"),
    ]
    files = records(team.store)["files"]
    assert [(n, name) for n, name, _sha in files] == [(5, "photo.png")]
