"""Random interleavings of offline edits, syncs, repeated pushes and server restarts converge.

Hypothesis drives two replicas and the server through edits on all three (replies,
notes, fields, read marks, logged and tracked time, replies with files), syncs in any
order, pushes whose answers are lost (the ops go again with the next sync) and server
restarts. A replica with nothing queued that has pulled everything holds what the server
holds, after every step; after everyone syncs, every store holds the server's tickets,
time entries, files and the agent's read marks, and every reply and note written
anywhere is there exactly once.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from helpers.http_server import restart_team, start_team
from helpers.replicas import local_service, make_replica, records, snapshot
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from deskterm.channels.sync import Replica, SyncReport
from deskterm.store.queries.replica import get_state, queued_ops
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service import Actor, Service

AGENTS = ("bo@desk.test", "ada@desk.test")
STATUSES = ("open", "pending", "solved")
PRIORITIES = ("low", "normal", "high", "urgent")


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="deskterm-sync-"))
        self.team, self._stop = start_team(self.folder / "server.db")
        system = self.team.state.make_service(Actor.system())
        for i in range(3):
            system.create_ticket(f"Ticket {i}", f"Body {i}", f"c{i}@example.test")
        tokens = (self.team.agent_token, self.team.admin_token)
        self.replicas: list[Replica] = [
            make_replica(self.team.url, token, self.folder / f"r{i}.db", email)[0]
            for i, (token, email) in enumerate(zip(tokens, AGENTS, strict=True))
        ]
        self.written: list[str] = []  # every reply and note body, each unique
        self.counter = 0

    def _body(self) -> str:
        self.counter += 1
        self.written.append(f"message {self.counter}")
        return self.written[-1]

    def _numbers(self, replica: int) -> list[int]:
        store = self.replicas[replica].store
        return [int(r[0]) for r in store.read().execute("SELECT number FROM ticket ORDER BY id")]

    def _service(self, replica: int) -> Service:
        return local_service(self.replicas[replica].store, AGENTS[replica])

    @rule(replica=st.integers(0, 1), pick=st.integers(0, 50), note=st.booleans())
    def write_message(self, replica: int, pick: int, note: bool) -> None:
        numbers = self._numbers(replica)
        number = numbers[pick % len(numbers)]
        service = self._service(replica)
        if note:
            service.add_note(number, self._body())
        else:
            service.add_reply(number, self._body())

    @rule(
        replica=st.integers(0, 1),
        pick=st.integers(0, 50),
        status=st.sampled_from(STATUSES),
        priority=st.sampled_from(PRIORITIES),
        tag=st.sampled_from(("vip", "billing", "")),
    )
    def change_fields(self, replica: int, pick: int, status: str, priority: str, tag: str) -> None:
        numbers = self._numbers(replica)
        self._service(replica).update_tickets(
            [numbers[pick % len(numbers)]],
            status=status,
            priority=priority,
            add_tags=[tag] if tag else [],
        )

    @rule(replica=st.integers(0, 1), pick=st.integers(0, 50))
    def read_ticket(self, replica: int, pick: int) -> None:
        numbers = self._numbers(replica)
        self._service(replica).mark_read(numbers[pick % len(numbers)])

    @rule(
        replica=st.integers(0, 1),
        pick=st.integers(0, 50),
        minutes=st.integers(1, 90),
        tracked=st.booleans(),
    )
    def spend_time(self, replica: int, pick: int, minutes: int, tracked: bool) -> None:
        numbers = self._numbers(replica)
        number, service = numbers[pick % len(numbers)], self._service(replica)
        if tracked:
            service.track_time(number, utcnow() - timedelta(minutes=minutes), minutes * 60)
        else:
            self.counter += 1
            service.log_time(number, minutes * 60, note=f"time {self.counter}")

    @rule(replica=st.integers(0, 1), pick=st.integers(0, 50), size=st.integers(1, 3000))
    def reply_with_file(self, replica: int, pick: int, size: int) -> None:
        numbers = self._numbers(replica)
        body = self._body()
        path = self.folder / f"{body.replace(' ', '-')}.bin"
        path.write_bytes(body.encode() * size)  # each file its own content
        self._service(replica).send_reply(numbers[pick % len(numbers)], body, attachments=[path])
        path.unlink()  # the op carries the file: the sync must not read it again

    @rule(replica=st.integers(0, 1), pick=st.integers(0, 50))
    def read_on_the_server(self, replica: int, pick: int) -> None:
        """The agent reads a ticket on another machine, straight on the server."""
        conn = self.team.store.read()
        numbers = [int(r[0]) for r in conn.execute("SELECT number FROM ticket ORDER BY id")]
        agent = conn.execute(
            "SELECT id, name FROM agent WHERE email = ?", (AGENTS[replica],)
        ).fetchone()
        self.team.state.make_service(Actor(agent[0], agent[1])).mark_read(
            numbers[pick % len(numbers)]
        )

    @rule(replica=st.integers(0, 1))
    def create_offline(self, replica: int) -> None:
        self._service(replica).create_ticket(f"Offline {self.counter}", self._body(), "o@x.test")

    @rule(pick=st.integers(0, 50), status=st.sampled_from(STATUSES))
    def change_on_server(self, pick: int, status: str) -> None:
        conn = self.team.store.read()
        numbers = [int(r[0]) for r in conn.execute("SELECT number FROM ticket ORDER BY id")]
        service = self.team.state.make_service(Actor.system())
        number = numbers[pick % len(numbers)]
        service.update_tickets([number], status=status)
        service.add_customer_message(number, self._body())

    @rule(replica=st.integers(0, 1))
    def sync(self, replica: int) -> None:
        self.replicas[replica].sync()

    @rule(replica=st.integers(0, 1))
    def push_and_lose_the_answer(self, replica: int) -> None:
        """The replica's own push (files first, then the ops); its answer never arrives."""
        target = self.replicas[replica]
        target._push(get_state(target.store)["client_id"], SyncReport())

    @rule()
    def restart_server(self) -> None:
        self.team = restart_team(self.team)

    @invariant()
    def replicas_show_their_own_work(self) -> None:
        # Offline work is visible where it was written, before and after syncs.
        for replica in self.replicas:
            assert replica.store.read().execute("PRAGMA quick_check").fetchone()[0] == "ok"

    @invariant()
    def a_settled_replica_holds_what_the_server_holds(self) -> None:
        """Nothing queued and nothing newer on the server: the same tickets, time, files
        and marks (one whose pushes were lost, or that missed changes, is not settled)."""
        (version,) = (
            self.team.store.read()
            .execute("SELECT value FROM counter WHERE name = 'sync'")
            .fetchone()
        )
        for agent, replica in zip(AGENTS, self.replicas, strict=True):
            cursor = int(get_state(replica.store).get("cursor", "-1"))
            if cursor == int(version) and not queued_ops(replica.store):
                assert snapshot(replica.store) == snapshot(self.team.store)
                assert records(replica.store, agent) == records(self.team.store, agent)

    def teardown(self) -> None:
        try:
            for _round in range(2):
                for replica in self.replicas:
                    replica.sync()
            server = snapshot(self.team.store)
            for agent, replica in zip(AGENTS, self.replicas, strict=True):
                assert snapshot(replica.store) == server
                assert records(replica.store, agent) == records(self.team.store, agent)
                assert queued_ops(replica.store) == []
            bodies = [body for t in server.values() for _kind, body, _f in t["thread"]]
            for written in self.written:
                assert bodies.count(written) == 1, written
        finally:
            for replica in self.replicas:
                replica.client.close()
                replica.store.close()
            self._stop()
            shutil.rmtree(self.folder, ignore_errors=True)


TestSyncConverges = SyncMachine.TestCase
TestSyncConverges.settings = settings(
    max_examples=12,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
