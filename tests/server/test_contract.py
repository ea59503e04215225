"""Schemathesis over the server's own OpenAPI schema, against the real server: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from helpers.http_server import Team, start_team
from helpers.postgres import PostgresServer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    """The server over a SQLite file, then over a database on the real PostgreSQL."""
    if request.param == "sqlite":
        team, stop = start_team(Path(tmp_path_factory.mktemp("contract")) / "server.db")
        yield team
        stop()
        return
    postgres: PostgresServer = request.getfixturevalue("postgres_server")
    postgres.start()
    database = postgres.create_database()
    team, stop = start_team(database.url)
    yield team
    stop()
    postgres.drop_database(database.name)


@pytest.fixture(scope="module")
def api_schema(served: Team) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json")


# The event stream never ends by design: its inputs are covered in test_events.py.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/v1/events")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case: schemathesis.Case[Any], served: Team) -> None:
    # As the admin: every route is reachable, so the generated data reaches the service layer.
    case.call_and_validate(
        base_url=served.url,
        headers={"Authorization": f"Bearer {served.admin_token}"},
        checks=[not_a_server_error],
    )
