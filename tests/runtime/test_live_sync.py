"""A replica's live sync against a real server on loopback: no change the stream told of is lost."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.http_server import Team, start_team
from helpers.replicas import local_service, make_replica

from deskterm.channels.sync import save_token
from deskterm.runtime.live import LiveSync
from deskterm.store.service import Actor

WAIT_S = 60.0  # a hang-only deadline
ADA = "ada@desk.test"


class Heard:
    """The app's side of the runtime listener: what it was told, with a wait for each."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.written: list[int] = []
        self.failures: list[BaseException] = []

    def background_written(self, numbers: list[int], errors: list[str]) -> None:
        with self.changed:
            self.written.extend(numbers)
            self.changed.notify_all()

    def background_failed(self, error: BaseException) -> None:
        with self.changed:
            self.failures.append(error)
            self.changed.notify_all()

    def store_touched(self) -> None: ...

    def ingest_read(self, status: object) -> None: ...

    def send_reported(self, report: object) -> None: ...

    def sync_changed(self, status: object) -> None: ...

    def wait(self, check: Callable[[], object]) -> None:
        with self.changed:
            assert self.changed.wait_for(check, WAIT_S), "timed out"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team, stop = start_team(tmp_path / "server.db")
    team.state.make_service(Actor.system()).create_ticket(
        "Parcel never came", "Where is my parcel?", "ana@example.test", "Ana"
    )
    yield team
    stop()


def test_a_pull_that_failed_here_is_made_again(team: Team, tmp_path: Path) -> None:
    """The replica's store is locked past its busy timeout when a change arrives: the pull
    fails, and once the lock is gone the ticket is pulled and the app told, unprompted."""
    path = tmp_path / "ada.db"
    replica, _report = make_replica(team.url, team.admin_token, path, ADA)
    replica.client.close()
    save_token(path, team.admin_token)
    heard = Heard()
    live = LiveSync(
        replica.store,
        "",
        lambda: local_service(replica.store, ADA),
        heard,
        lambda: datetime.now(UTC),
    )
    live.start()
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the replica's store
        team.state.make_service(Actor.system()).add_note(1, "Checked with the depot")
        heard.wait(lambda: heard.failures)
        assert "locked" in str(heard.failures[0])
        assert 1 not in heard.written
        blocker.execute("ROLLBACK")
        heard.wait(lambda: 1 in heard.written)
        thread = replica.store.read().execute(
            "SELECT body_text FROM message m JOIN ticket t ON t.id = m.ticket_id"
            " WHERE t.number = 1 ORDER BY m.id"
        )
        assert [row[0] for row in thread][-1] == "Checked with the depot"
    finally:
        blocker.close()
        live.stop()
        replica.store.close()
