"""A real server on loopback over a fresh store, with an admin and an agent holding tokens.

Every test using `team` runs twice: the server's store a SQLite file, then a database on
the real PostgreSQL the fixtures start (under CI=true a missing PostgreSQL fails).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.http_server import Team, start_team


@pytest.fixture(params=["sqlite", "postgresql"])
def server_store(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the server's store lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "server.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def team(server_store: Path | str) -> Iterator[Team]:
    team, stop = start_team(server_store)
    yield team
    stop()


@pytest.fixture
def admin(team: Team) -> Iterator[httpx.Client]:
    with team.client(team.admin_token) as client:
        yield client


@pytest.fixture
def agent(team: Team) -> Iterator[httpx.Client]:
    with team.client(team.agent_token) as client:
        yield client
