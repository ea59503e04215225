"""Merged customers: the old address finds the survivor; the migration undoes cleanly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from deskterm.store.queries.catalog import get_customer, list_customers
from deskterm.store.schema import migrate
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Service


def test_mail_from_a_merged_address_lands_on_the_survivor(service: Service, store: Store) -> None:
    first = service.create_ticket("Hi", "x", "ana@acme.example", "Ana")
    second = service.create_ticket("Hi again", "y", "ana.s@mail.example", "Ana S")
    assert service.merge_customers("ana.s@mail.example", "ana@acme.example") == [second.number]
    later = service.create_ticket("Third", "z", "ANA.S@mail.example")
    survivor = get_customer(store, "ana@acme.example")
    assert survivor.ticket_count == 3
    assert get_customer(store, "ana.s@mail.example").id == survivor.id
    assert [c.email for c in list_customers(store)] == ["ana@acme.example"]
    assert first.number < later.number


def test_downgrade_keeps_the_customer_search_triggers(tmp_path: Path) -> None:
    """0016 drops its columns in place: a table rebuild would lose 0014's triggers."""
    store = open_store(tmp_path / "s.db", create=True)
    try:
        command.downgrade(migrate.alembic_config(store), "0015")
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    try:
        triggers = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customer'"
        ).fetchone()[0]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(customer)")]
    finally:
        conn.close()
    assert triggers == 3
    assert "note" not in columns and "merged_into_id" not in columns
