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


@pytest.fixture
def team(store_location: Path | str) -> Iterator[Team]:
    team, stop = start_team(store_location)
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
