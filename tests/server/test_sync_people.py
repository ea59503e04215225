"""Settings written on a replica: views and one's own away flag sync through the server;
groups, roles, tokens and organizations are refused there in one line, nothing changed.

The CLI runs in-process on each replica's store as its agent; syncs go over loopback HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Ran, cli_main
from helpers.http_server import Team
from helpers.replicas import make_replica

from deskterm.channels.sync import Replica
from deskterm.store.queries.replica import queued_ops
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor

BO, ADA = "bo@desk.test", "ada@desk.test"


@pytest.fixture
def replicas(team: Team, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    """Bo's replica and Ada's (an admin's: refused all the same, a replica is no server)."""
    server = team.state.make_service(Actor.system())
    server.save_view("Old", "status:open")
    server.add_group("Sales", [BO])
    server.add_organization("Acme", "acme.test")
    made = [
        make_replica(team.url, token, tmp_path / f"{who}.db", email)[0]
        for who, token, email in (("bo", team.agent_token, BO), ("ada", team.admin_token, ADA))
    ]
    yield made[0], made[1]
    for replica in made:
        replica.client.close()
        replica.store.close()


def cli(replica: Replica, email: str, *args: str) -> Ran:
    """`deskterm --db REPLICA ARGS` as the replica's agent."""
    return cli_main(replica.store.path, config_of(replica.store.path.parent, email), *args)


def config_of(home: Path, email: str) -> Path:
    config = home / f"{email}.toml"
    config.write_text(f'[agent]\nemail = "{email}"\n')
    return config


def ok(ran: Ran) -> str:
    assert ran.code == 0, ran.stderr
    return ran.stdout


def views(store: Store) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.read().execute("SELECT name, query, position FROM view")]


def away(store: Store) -> dict[str, bool]:
    return {e: bool(a) for e, a in store.read().execute("SELECT email, away FROM agent")}


def test_views_saved_and_removed_offline_reach_the_server_and_every_replica(
    team: Team, replicas: tuple[Replica, Replica]
) -> None:
    a, b = replicas
    assert views(a.store) == views(b.store) == [("Old", "status:open", 1)]
    ok(cli(a, BO, "views", "add", "Urgent", "priority:urgent"))
    ok(cli(a, BO, "views", "rm", "Old"))
    ok(cli(b, ADA, "views", "add", "Waiting", "status:pending"))
    assert [op.name for op in queued_ops(a.store)] == ["save_view", "remove_view"]
    assert views(a.store) == [("Urgent", "priority:urgent", 2)]

    a.sync()
    b.sync()  # Ada's view lands after Bo's: the server numbers the positions
    a.sync()
    a.sync()  # nothing left to push: nothing changes
    expected = [("Urgent", "priority:urgent", 2), ("Waiting", "status:pending", 3)]
    assert sorted(views(team.store)) == sorted(views(a.store)) == sorted(views(b.store))
    assert sorted(views(team.store)) == expected
    assert queued_ops(a.store) == queued_ops(b.store) == []
    listed = ok(cli(b, ADA, "views", "list"))
    assert "Urgent" in listed and "Old" not in listed


def test_an_agent_marks_themselves_away_offline_but_not_someone_else(
    team: Team, replicas: tuple[Replica, Replica]
) -> None:
    a, b = replicas
    ok(cli(a, BO, "agent", "away", BO))
    refused = cli(a, BO, "agent", "away", ADA)
    assert refused.code == 2
    assert refused.stderr.splitlines() == [
        "deskterm: marking another agent away is done on the server, not on a replica:"
        " run it there (`deskterm --db SERVER_STORE ...`)"
    ]
    assert [op.name for op in queued_ops(a.store)] == ["set_away"]
    assert away(a.store) == {BO: True, ADA: False}

    a.sync()
    b.sync()
    assert away(team.store) == away(a.store) == away(b.store) == {BO: True, ADA: False}

    ok(cli(a, BO, "agent", "away", BO, "--back"))
    a.sync()
    b.sync()
    assert away(team.store) == away(a.store) == away(b.store) == {BO: False, ADA: False}


REFUSED = [
    (("groups", "add", "Billing"), "adding a group"),
    (("groups", "rm", "Sales"), "removing a group"),
    (("groups", "members", "Sales", "--add", ADA), "changing a group's members"),
    (("agent", "role", BO, "admin"), "changing an agent's role"),
    (("agent", "revoke", BO), "revoking a token"),
    (("orgs", "add", "Globex", "--domain", "globex.test"), "adding an organization"),
    (("orgs", "edit", "Acme", "--name", "Acme Inc"), "changing an organization"),
]


def admin_state(store: Store) -> list[Any]:
    """Groups with members, roles, token holders, organizations: what the refusals keep."""
    conn = store.read()
    return [
        conn.execute(
            "SELECT g.name, a.email FROM agent_group g LEFT JOIN group_member m"
            " ON m.group_id = g.id LEFT JOIN agent a ON a.id = m.agent_id ORDER BY 1, 2"
        ).fetchall(),
        conn.execute(
            "SELECT email, role, token_hash IS NOT NULL FROM agent ORDER BY email"
        ).fetchall(),
        conn.execute("SELECT name, domain FROM organization ORDER BY name").fetchall(),
    ]


def test_admin_changes_are_refused_on_a_replica_in_one_line(
    team: Team, replicas: tuple[Replica, Replica], tmp_path: Path
) -> None:
    a, b = replicas
    before = {"server": admin_state(team.store), "bo": admin_state(a.store)}
    for replica, email in ((a, BO), (b, ADA)):
        for args, what in REFUSED:
            refused = cli(replica, email, *args)
            assert refused.code == 2, (args, refused.stderr)
            assert refused.stderr.splitlines() == [
                f"deskterm: {what} is done on the server, not on a replica:"
                " run it there (`deskterm --db SERVER_STORE ...`)"
            ]
        assert queued_ops(replica.store) == []
    assert admin_state(a.store) == before["bo"]
    a.sync()
    b.sync()
    assert admin_state(team.store) == before["server"]
    assert admin_state(a.store) == before["bo"]
    # The same commands against the server's store do the change.
    ok(cli_on(team, tmp_path, "groups", "members", "Sales", "--add", ADA))
    b.sync()
    assert ("Sales", ADA) in admin_state(b.store)[0]


def cli_on(team: Team, home: Path, *args: str) -> Ran:
    """`deskterm --db SERVER_STORE ARGS` as Ada (the store a SQLite file or a PostgreSQL URL)."""
    return cli_main(team.store.url or team.store.path, config_of(home, ADA), *args)
