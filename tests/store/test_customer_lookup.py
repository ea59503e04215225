"""`customer:TEXT` from the trigram indexes finds what a LIKE scan of the tables finds,
after every kind of write that changes a customer's email, name or organization."""

from __future__ import annotations

from pathlib import Path

from helpers.store import Desk, make_desk

from deskterm.query.syntax import parse_query
from deskterm.store.queries import tickets as queries

# Short and long, any case, Hangul, and LIKE's wildcards, which are searched as written.
TEXTS = (
    "acme",
    "ACME",
    "ac",
    "a",
    "me i",
    "example",
    "민지",
    "김민지",
    "zhang",
    "x_y",
    "x_",
    "%",
    "nope",
)


def _scan(desk: Desk, text: str) -> list[int]:
    """The oracle: the text as written, in any case, in every customer and organization."""
    conn = desk.raw()
    try:
        return sorted(
            r[0]
            for r in conn.execute(
                "SELECT t.number FROM ticket t JOIN customer cu ON cu.id = t.customer_id"
                " LEFT JOIN organization o ON o.id = cu.organization_id"
                " WHERE instr(lower(cu.email), ?1) OR instr(lower(cu.name), ?1)"
                " OR instr(lower(o.name), ?1)",
                (text.lower(),),
            )
        )
    finally:
        conn.close()


def _found(desk: Desk, text: str) -> list[int]:
    query = parse_query(f'customer:"{text}"' if " " in text else f"customer:{text}")
    rows = queries.list_tickets(desk.store, query, limit=500).rows
    assert queries.count_tickets(desk.store, query) == len(rows)
    return sorted(r.number for r in rows)


def _check(desk: Desk) -> None:
    for text in TEXTS:
        assert _found(desk, text) == _scan(desk, text), text
    conn = desk.raw()
    try:
        for index in ("customer_trigrams", "organization_trigrams"):
            check = f"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"
            assert conn.execute(check).fetchall() == []
    finally:
        conn.close()


def test_customer_text_is_found_by_index_as_a_scan_finds_it(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    try:
        svc = desk.svc
        svc.create_ticket("one", "body", "ana@acme.test")
        svc.create_ticket("two", "body", "chen@example.cn")
        svc.create_ticket("three", "body", "minji@example.kr")
        svc.create_ticket("four", "body", "x_y@zhang.cn")
        _check(desk)
        # Customers at a domain join a new organization; then it is renamed twice.
        org = svc.add_organization("Some Org", "example.cn")
        _check(desk)
        svc.edit_organization(org, name="Acme Imports")
        _check(desk)
        svc.edit_organization(org, name="Elsewhere")
        _check(desk)
        # A new customer at that domain, and a name learnt from mail.
        svc.create_ticket("five", "body", "wei@example.cn")
        svc.create_ticket("six", "body", "minji@example.kr", "김민지")  # had no name
        _check(desk)
    finally:
        desk.store.close()
