"""No data without a valid token; admin calls refuse agents; tokens are stored hashed."""

from __future__ import annotations

import sqlite3
import subprocess

import httpx
import pytest
from helpers.http_server import Team
from helpers.processes import PG_BIN_CANDIDATES, require_binary

from deskterm.store.schema.db import Store
from deskterm.store.schema.urls import libpq_url
from deskterm.store.service import hash_token

# Every route that needs a token, with a body it would accept.
GUARDED = [
    ("GET", "/api/v1/tickets", None),
    ("GET", "/api/v1/tickets/1", None),
    ("GET", "/api/v1/tickets/1/events", None),
    ("POST", "/api/v1/tickets", {"subject": "s", "body": "b", "customer_email": "x@y.test"}),
    ("PATCH", "/api/v1/tickets/1", {"status": "open"}),
    ("POST", "/api/v1/tickets/1/messages", {"body": "hi"}),
    ("GET", "/api/v1/customers", None),
    ("GET", "/api/v1/customers/1", None),
    ("GET", "/api/v1/canned", None),
    ("GET", "/api/v1/agents", None),
    ("GET", "/api/v1/me", None),
    ("POST", "/api/v1/agents", {"name": "n", "email": "n@desk.test"}),
    ("PUT", "/api/v1/canned/x", {"body": "b"}),
    ("DELETE", "/api/v1/canned/x", None),
    ("GET", "/metrics", None),
    ("POST", "/api/v1/sync/files/missing", {"sha256": ["0" * 64]}),
    ("GET", "/api/v1/sync/files/" + "0" * 64, None),
    ("PUT", "/api/v1/sync/files/" + "0" * 64, None),
]
ADMIN_ONLY = [
    r for r in GUARDED if r[0] != "GET" and r[1].startswith(("/api/v1/agents", "/api/v1/canned"))
]


def _revoke(team: Team, email: str) -> None:
    # What `agent revoke` leaves behind: the agent stays (history), the hash is gone.
    team.store.read().execute("UPDATE agent SET token_hash = NULL WHERE email = ?", (email,))


@pytest.fixture
def seeded(team: Team, agent: httpx.Client) -> Team:
    made = agent.post(
        "/api/v1/tickets",
        json={"subject": "Secret plan", "body": "secret body", "customer_email": "x@y.test"},
    )
    assert made.json()["number"] == 1
    return team


@pytest.mark.parametrize("token", [None, "", "not-a-token", "revoked"])
def test_no_valid_token_gets_401_and_no_data(seeded: Team, token: str | None) -> None:
    if token == "revoked":
        _revoke(seeded, "bo@desk.test")
        token = seeded.agent_token
    with seeded.client(token) as client:
        for method, path, body in GUARDED:
            response = client.request(method, path, json=body)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "secret" not in response.text.lower()
            assert set(response.json()) == {"detail"}


def test_agents_are_refused_admin_calls(seeded: Team, agent: httpx.Client) -> None:
    for method, path, body in ADMIN_ONLY:
        response = agent.request(method, path, json=body)
        assert response.status_code == 403, (method, path)
    assert agent.get("/api/v1/agents").status_code == 200


def test_healthz_needs_no_token_and_tells_nothing_about_tickets(seeded: Team) -> None:
    with seeded.client(None) as client:
        health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["schema"]
    assert "secret" not in str(health).lower()


def _dump(store: Store) -> str:
    """Everything the store holds, as its own dump tool writes it."""
    if store.url is None:
        with sqlite3.connect(store.path) as conn:
            return "\n".join(conn.iterdump())
    pg_dump = require_binary("pg_dump", [c.replace("initdb", "pg_dump") for c in PG_BIN_CANDIDATES])
    return subprocess.run(
        [pg_dump, "--data-only", libpq_url(store.url)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_only_the_hash_of_a_token_is_stored(team: Team) -> None:
    stored = {row[0] for row in team.store.read().execute("SELECT token_hash FROM agent")}
    dump = _dump(team.store)
    assert hash_token(team.agent_token) in dump
    assert hash_token(team.agent_token) in stored
    assert team.agent_token not in dump and team.admin_token not in dump
