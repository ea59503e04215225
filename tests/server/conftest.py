"""A real server on loopback over a fresh store, with an admin and an agent holding tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.http_server import Team, start_team


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team, stop = start_team(tmp_path / "server.db")
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
