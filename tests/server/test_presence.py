"""Presence over real loopback HTTP: a second client sees who views and replies, live, and
an agent whose heartbeats stop is gone after the expiry."""

from __future__ import annotations

import httpx
from helpers.http_server import Team
from helpers.live import listening

from deskterm.channels.live import LiveEvent


def _on(number: int, agents: list[dict[str, str]]):
    def match(event: LiveEvent) -> bool:
        return event.kind == "presence" and event.data == {"number": number, "agents": agents}

    return match


BO_REPLYING = [{"email": "bo@desk.test", "name": "Bo Agent", "state": "replying"}]


def test_a_second_client_sees_who_is_replying_and_who_left(team: Team, agent: httpx.Client) -> None:
    with listening(team.url, team.admin_token) as ada:
        ada.ready()
        assert (
            agent.post("/api/v1/presence", json={"ticket": 7, "state": "replying"}).status_code
            == 204
        )
        ada.next(_on(7, BO_REPLYING))  # how fast is the live bench's figure
        assert agent.get("/api/v1/presence/7").json() == BO_REPLYING
        agent.post("/api/v1/presence", json={"ticket": 7, "state": "gone"})
        ada.next(_on(7, []))
    assert agent.get("/api/v1/presence/7").json() == []


def test_a_stream_opened_later_hears_who_is_already_there(team: Team, agent: httpx.Client) -> None:
    agent.post("/api/v1/presence", json={"ticket": 3, "state": "replying"})
    with listening(team.url, team.admin_token) as ada:
        ada.next(_on(3, BO_REPLYING))


def test_silent_agents_expire(team: Team, agent: httpx.Client) -> None:
    team.state.feed.presence.ttl = 0.3  # the feed's watcher expires entries as it polls
    with listening(team.url, team.admin_token) as ada:
        ada.ready()
        agent.post("/api/v1/presence", json={"ticket": 5, "state": "viewing"})
        ada.next(lambda e: e.kind == "presence" and bool(e.data["agents"]))
        ada.next(_on(5, []))


def test_presence_needs_a_token_and_a_known_state(team: Team, agent: httpx.Client) -> None:
    assert (
        httpx.post(
            f"{team.url}/api/v1/presence", json={"ticket": 1, "state": "viewing"}
        ).status_code
        == 401
    )
    assert httpx.get(f"{team.url}/api/v1/presence/1").status_code == 401
    assert agent.post("/api/v1/presence", json={"ticket": 1, "state": "typing"}).status_code == 422
