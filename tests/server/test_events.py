"""The live event stream over real loopback HTTP: a second client hears a change within a second,
resumes where it left off (also across a server restart), and nothing streams without a token."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from helpers.http_server import Team, serving, start_team
from helpers.live import listening, next_line, read_lines

from deskterm.channels.live import EventStream
from deskterm.errors import SyncError
from deskterm.server import ServerState, create_app
from deskterm.server.feed import ChangeFeed
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, Service


def _open_ticket(team: Team, subject: str) -> int:
    service = team.state.make_service(Actor.system())
    return service.create_ticket(subject, "Hello?", "c@example.test").number


def test_a_reply_reaches_a_second_client(team: Team, agent: httpx.Client) -> None:
    """How fast is the live bench's figure (`--only fanout`); here only that it arrives."""
    number = _open_ticket(team, "Order late")
    with listening(team.url, team.admin_token) as other:
        other.ready()
        answer = agent.post(f"/api/v1/tickets/{number}/messages", json={"body": "On its way."})
        assert answer.status_code == 201, answer.text
        _arrived, event = other.ticket(number)
    assert event.data["message_count"] == 2 and event.data["subject"] == "Order late"
    assert event.id is not None and event.id.startswith(f"{event.data['version']}:")


def test_a_change_by_another_process_is_streamed_too(team: Team) -> None:
    """A write that never went through the server (the CLI, the fetcher) is found by the poll."""
    with listening(team.url, team.agent_token) as listener:
        listener.ready()
        number = _open_ticket(team, "Written beside the server")
        _arrived, event = listener.ticket(number)
    assert event.data["status"] == "new"


def test_resume_with_last_event_id_gets_exactly_what_was_missed(team: Team) -> None:
    first = _open_ticket(team, "Seen")
    with listening(team.url, team.agent_token, since="0") as listener:
        _arrived, seen = listener.ticket(first)
    missed = [_open_ticket(team, f"Missed {i}") for i in range(3)]
    with listening(team.url, team.agent_token, since=seen.id) as listener:
        got = [listener.next(lambda e: e.kind == "ticket")[1].data["number"] for _ in missed]
    assert got == missed


def test_positions_survive_a_server_restart(tmp_path: Path) -> None:
    team, stop = start_team(tmp_path / "server.db")
    try:
        number = _open_ticket(team, "Before the restart")
        with listening(team.url, team.agent_token, since="0") as listener:
            _arrived, seen = listener.ticket(number)
    finally:
        stop()
    # The store changes while no server runs; the next server starts from the store alone.
    store = open_store(tmp_path / "server.db")
    later = Service(store, Actor.system()).create_ticket("While down", "Hi", "d@x.test").number
    try:
        with (
            serving(create_app(ServerState.plain(store))) as live,
            listening(live.url, team.agent_token, since=seen.id) as listener,
        ):
            _arrived, event = listener.next(lambda e: e.kind == "ticket")
        assert event.data["number"] == later
    finally:
        store.close()


def test_no_stream_without_a_valid_token(team: Team) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = httpx.get(f"{team.url}/api/v1/events", headers=headers, timeout=10)
        assert answer.status_code == 401 and "ticket" not in answer.text
    stream = EventStream(team.url, "not-a-token")
    with pytest.raises(SyncError, match="token is not valid"):
        next(stream.events())
    stream.close()


def test_revoking_a_token_ends_its_open_stream_and_the_reconnect_is_refused(team: Team) -> None:
    """Revoked beside the server's requests, as `agent revoke` does: it reads it in the store."""
    with (
        listening(team.url, team.agent_token, reconnect=True) as revoked,
        listening(team.url, team.admin_token) as other,
    ):
        revoked.ready()
        other.ready()
        assert team.state.make_service(Actor.system()).revoke_token("bo@desk.test")
        error = revoked.ended()
        assert isinstance(error, SyncError) and "token is not valid" in str(error)
        assert all(e.kind != "ticket" for _at, e in list(revoked.events.queue))
        number = _open_ticket(team, "After the revoke")
        other.ticket(number)  # the admin's stream goes on


def test_a_bad_last_event_id_is_one_line(team: Team) -> None:
    answer = httpx.get(
        f"{team.url}/api/v1/events",
        headers={"Authorization": f"Bearer {team.agent_token}", "Last-Event-ID": "yesterday"},
        timeout=10,
    )
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("bad Last-Event-ID 'yesterday'")


def test_metrics_count_connected_streams(team: Team, agent: httpx.Client) -> None:
    with listening(team.url, team.agent_token) as listener:
        listener.ready()
        assert "deskterm_event_streams 1.0" in agent.get("/metrics").text


def test_watch_prints_ndjson_as_changes_happen(
    team: Team, deskterm_bin: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    env |= {"DESKTERM_TOKEN": team.agent_token, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    proc = subprocess.Popen(
        [deskterm_bin, "--db", str(tmp_path / "none.db"), "watch", "--url", team.url, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_lines(proc.stdout)  # type: ignore[arg-type]  # piped above
        ready = json.loads(next_line(lines, proc))
        assert ready["type"] == "ready"
        number = _open_ticket(team, "Printer \x1b[31mon fire")
        event = json.loads(next_line(lines, proc))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (event["type"], event["number"]) == ("ticket", number)
    assert event["subject"] == "Printer \x1b[31mon fire"  # JSON-escaped on the wire, whole here
    assert not (tmp_path / "none.db").exists()


def test_streams_that_open_at_once_share_one_watcher(either_store: Store) -> None:
    """Each stream used to find no watcher yet while the first read the counter, and start
    its own: 200 clients connecting together left 200 watchers polling the store."""

    async def watchers_after_joins() -> int:
        feed = ChangeFeed(either_store)
        await asyncio.gather(*(feed.join("token") for _ in range(20)))
        name = ChangeFeed._watch.__qualname__
        watchers = [
            t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", "") == name
        ]
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        return len(watchers)

    assert asyncio.run(watchers_after_joins()) == 1
