"""A server store on a real PostgreSQL by URL: the same migrations, the same reads and writes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from helpers.http_server import serve_process

from deskterm.errors import StoreError
from deskterm.query.syntax import parse_query
from deskterm.store.queries.tickets import get_ticket, list_tickets
from deskterm.store.schema.db import SCHEMA_HEAD, open_store, schema_version
from deskterm.store.service import Actor, Service

Run = Callable[..., subprocess.CompletedProcess[str]]


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def test_a_database_url_is_migrated_to_head_once(postgres_url: str, postgres_dsn: str) -> None:
    store = open_store(postgres_url)
    try:
        assert store.dialect == "postgresql"
        assert schema_version(store.read()) == SCHEMA_HEAD
    finally:
        store.close()
    assert {"ticket", "message", "ticket_fts", "message_fts", "sync_op"} <= _tables(postgres_dsn)
    again = open_store(postgres_url)  # up to date: opens without migrating
    try:
        assert schema_version(again.read()) == SCHEMA_HEAD
    finally:
        again.close()


def test_writes_and_reads_round_trip_on_postgresql(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        service = Service(store, Actor.system())
        service.add_agent("Ada Admin", "ada@desk.test", "admin")
        made = service.create_ticket("Refund please", "Where is my money?", "cu@x.test", "Cu Lee")
        service.add_note(made.number, "Checking the payment")
        page = list_tickets(store, parse_query(""))
        assert [row.number for row in page.rows] == [made.number]
        row = page.rows[0]
        assert (row.subject, row.customer_email, row.message_count) == (
            "Refund please",
            "cu@x.test",
            2,
        )
        assert row.created_at.tzinfo is not None
        detail = get_ticket(store, made.number)
        assert [m.body_text for m in detail.messages] == [
            "Where is my money?",
            "Checking the payment",
        ]
    finally:
        store.close()


def test_a_database_holding_other_tables_is_refused(postgres_url: str, postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE payroll (id int)")
    with pytest.raises(StoreError, match="not a deskterm store"):
        open_store(postgres_url)
    assert _tables(postgres_dsn) == {"payroll"}


def test_an_unreachable_database_is_one_line() -> None:
    with pytest.raises(StoreError, match="cannot connect") as caught:
        open_store("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/deskterm")
    assert "\n" not in str(caught.value) and "s3cret" not in str(caught.value)


def test_agent_commands_and_serve_on_a_database_url(
    postgres_url: str, tmp_path: Path, deskterm_bin: str, run_cli: Run
) -> None:
    def ok(*args: str) -> str:
        result = run_cli("--db", postgres_url, "agent", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    token = ok("add", "Ada", "--email", "ada@x.test", "--role", "admin").strip()
    ok("add", "Bo", "--email", "bo@x.test")
    assert "bo@x.test: away" in ok("away", "bo@x.test")
    assert "bo@x.test: admin" in ok("role", "bo@x.test", "admin")
    listed = ok("list")
    assert "ada@x.test" in listed and "bo@x.test" in listed and token not in listed
    with serve_process(deskterm_bin, postgres_url, tmp_path) as url:
        me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "ada@x.test"
        ok("revoke", "ada@x.test")
        me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
