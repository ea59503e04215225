"""A server store on a real PostgreSQL by URL: the same migrations, the same reads and writes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from helpers.http_server import serve_process

from deskterm.errors import StoreError, UsageError
from deskterm.query.syntax import parse_query
from deskterm.store.queries.tickets import get_ticket, list_tickets
from deskterm.store.schema.db import SCHEMA_HEAD, open_store, schema_version
from deskterm.store.service import Actor, Service
from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming

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


def test_text_with_nul_is_one_usage_line_and_stores_nothing(postgres_url: str) -> None:
    """PostgreSQL's text cannot hold U+0000; a writer past the server's guard (a CLI command
    reading a file) gets one line, and the store keeps what it had."""
    store = open_store(postgres_url)
    try:
        service = Service(store, Actor.system())
        made = service.create_ticket("Printer", "It jams", "cu@x.test", "Cu Lee")
        for write in (
            lambda: service.add_note(made.number, "paper\x00tray"),
            lambda: service.create_ticket("Hi\x00", "body", "cu@x.test", "Cu Lee"),
        ):
            with pytest.raises(UsageError, match="NUL character") as caught:
                write()
            assert "\n" not in str(caught.value)
        assert [m.body_text for m in get_ticket(store, made.number).messages] == ["It jams"]
        assert len(list_tickets(store, parse_query("")).rows) == 1
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


def test_mail_with_nul_characters_is_stored_without_them(postgres_url: str) -> None:
    """Mail carries NUL (an encoded subject, a body, a name, a file name): ingest drops the
    NULs and keeps the rest, so PostgreSQL takes every such mail."""
    raw = (
        b"From: =?utf-8?q?Cu=00_Lee?= <cu@x.test>\r\n"
        b"Subject: =?utf-8?q?Refund=00_now?=\r\n"
        b"Message-ID: <nul-1@x.test>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nmy\x00 order\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?q?in=00voice.pdf?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n"
    )
    store = open_store(postgres_url)
    try:
        [result] = MailIngest(store).ingest([parse_incoming(raw, "test")])
        assert result.outcome is Outcome.NEW
        detail = get_ticket(store, result.ticket_number or 0)
        assert detail.ticket.subject == "Refund now"
        [message] = detail.messages
        assert "\x00" not in message.body_text and "order" in message.body_text
        assert [a.filename for a in message.attachments] == [
            "in_voice.pdf"
        ]  # controls in names become _
    finally:
        store.close()
