"""The demo bulk-loads into PostgreSQL (a team server's store) the same desk as into SQLite,
and the store then takes writes through the service and answers searches the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers.cli import cli_main

from deskterm.demo import build_demo
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, Service

N = 300
NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
TABLES = (
    "ticket", "message", "event", "customer", "organization", "agent", "agent_group", "tag",
    "ticket_tag", "time_entry", "ticket_read", "canned_reply", "view",
)  # fmt: skip
SEARCHES = ("refund", "status:open priority:urgent", "tag:billing", "login password")


def counts(store: Store) -> dict[str, int]:
    conn = store.read()
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}


def tickets(store: Store) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in store.read().execute(
            "SELECT t.number, t.subject, t.status, t.priority, t.message_count, c.email"
            " FROM ticket t JOIN customer c ON c.id = t.customer_id ORDER BY t.number"
        )
    ]


def found(location: Path | str, config: Path, query: str) -> list[int]:
    ran = cli_main(
        location, config, "tickets", "list", "--query", query, "--json", "--limit", "500"
    )
    assert ran.code == 0, ran.stderr
    return sorted(row["number"] for row in json.loads(ran.stdout))


def test_the_demo_loads_into_postgresql_as_into_sqlite(postgres_url: str, tmp_path: Path) -> None:
    build_demo(tmp_path / "demo.db", N, seed=5, now=NOW)
    build_demo(postgres_url, N, seed=5, now=NOW)
    lite, pg = open_store(tmp_path / "demo.db"), open_store(postgres_url)
    try:
        assert counts(pg) == counts(lite)
        assert counts(pg)["ticket"] == N and counts(pg)["message"] > N
        assert tickets(pg) == tickets(lite)
        config = tmp_path / "config.toml"
        config.write_text('[agent]\nemail = "sam@desk.test"\n')
        for query in SEARCHES:
            assert found(postgres_url, config, query) == found(tmp_path / "demo.db", config, query)
        assert found(postgres_url, config, "refund")  # the searches find something
        # The ids loaded with the rows are behind every sequence: the service writes on.
        made = Service(pg, Actor.system()).create_ticket("After the demo", "Hi", "z@x.test")
        assert made.number == N + 1
        Service(pg, Actor.system()).add_note(1, "A note after the load.")
    finally:
        lite.close()
        pg.close()


def test_deskterm_demo_on_a_database_url_builds_there_once(
    postgres_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nemail = "sam@desk.test"\n')
    built = cli_main(postgres_url, config, "demo", "--tickets", "120", "--no-tui")
    assert built.code == 0, built.stderr
    assert "serve it to a team: deskterm serve --database" in built.stderr
    store = open_store(postgres_url)
    try:
        assert counts(store)["ticket"] == 120
    finally:
        store.close()
    again = cli_main(postgres_url, config, "demo", "--tickets", "120", "--no-tui")
    assert again.code != 0
    (line,) = again.stderr.splitlines()
    assert (
        line.startswith("deskterm: ")
        and "holds tickets; a demo is built only into an empty" in line
    )
