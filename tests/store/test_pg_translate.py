"""SQLite statement text as PostgreSQL's: the forms the read modules and plain writes use."""

from __future__ import annotations

import pytest

from deskterm.query import fts
from deskterm.store.schema.pg import translate
from deskterm.store.schema.urls import shown

CASES = [
    ("SELECT id FROM ticket WHERE number = ?", "SELECT id FROM ticket WHERE number = %s"),
    (
        "SELECT id FROM customer WHERE email LIKE ? AND name NOT LIKE '10%'",
        "SELECT id FROM customer WHERE email ILIKE %s AND name NOT ILIKE '10%%'",
    ),
    ("SELECT '?', ?", "SELECT '?', %s"),
    (
        "SELECT (SELECT group_concat(tg.name, ',') FROM tag tg)",
        "SELECT (SELECT string_agg((tg.name)::text, ',') FROM tag tg)",
    ),
    ("SELECT max(a, coalesce(b, 0)), max(c)", "SELECT greatest(a, coalesce(b, 0)), max(c)"),
    ("SELECT min(x, y) FROM t", "SELECT least(x, y) FROM t"),
    (
        "t.id IN (SELECT value FROM json_each(?))",
        "t.id IN (SELECT e.value::bigint FROM json_array_elements_text(%s::json) AS e(value))",
    ),
    (
        "INSERT OR IGNORE INTO ticket_tag (ticket_id, tag_id) VALUES (?, ?)",
        "INSERT INTO ticket_tag (ticket_id, tag_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
    ),
    (
        "SELECT m.ticket_id FROM message m INDEXED BY ix_message_id_ticket WHERE m.id = ?",
        "SELECT m.ticket_id FROM message m WHERE m.id = %s",
    ),
    ("SELECT ifnull(a, 0) FROM t", "SELECT coalesce(a, 0) FROM t"),
    (fts.DELETE_MESSAGE, "DELETE FROM message_fts WHERE rowid = %s AND text = %s AND cjk = %s"),
    (fts.OPTIMIZE[0], "SELECT 1"),
    (
        "SELECT id FROM customer WHERE email LIKE ?1 ESCAPE '\\' OR name LIKE ?1",
        "SELECT id FROM customer WHERE email ILIKE %(p1)s ESCAPE '\\' OR name ILIKE %(p1)s",
    ),
    (
        "SELECT id FROM ticket WHERE number = :n AND at > '12:30' AND id < :before",
        "SELECT id FROM ticket WHERE number = %(n)s AND at > '12:30' AND id < %(before)s",
    ),
    ("SELECT x::text FROM t WHERE y = :y", "SELECT x::text FROM t WHERE y = %(y)s"),
]


@pytest.mark.parametrize(("sqlite", "postgres"), CASES)
def test_translation(sqlite: str, postgres: str) -> None:
    assert translate(sqlite).sql == postgres


def test_numbered_parameters_go_as_a_mapping() -> None:
    assert translate("SELECT ?1, ?2, ?1").params(["a", "b"]) == {"p1": "a", "p2": "b"}
    assert translate("SELECT ?, ?").params(["a", "b"]) == ("a", "b")
    assert translate("SELECT :a").params({"a": 1}) == {"a": 1}


def test_an_insert_into_a_table_with_an_id_returns_it() -> None:
    made = translate("INSERT INTO customer (email, name) VALUES (?, ?)")
    assert made.returns_id and made.sql.endswith(" RETURNING id")
    tagged = translate("INSERT INTO ticket_tag (ticket_id, tag_id) VALUES (?, ?)")
    assert not tagged.returns_id and "RETURNING" not in tagged.sql


def test_a_shown_url_hides_its_password() -> None:
    assert (
        shown("postgresql+psycopg://desk:pw@db:5432/d") == "postgresql+psycopg://desk:***@db:5432/d"
    )
    assert shown("postgresql://db/d") == "postgresql://db/d"
