"""A plain HTTP client on the page tests' server (`team`, defined by each module)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from helpers.http_server import Team


@pytest.fixture
def web(team: Team) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=team.url, timeout=30) as client:
        yield client
