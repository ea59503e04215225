"""One table of queries against a SQLite store and a PostgreSQL store with the same tickets:
the same tickets, in the same order, the same counts, the same pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.clock import TickingClock
from helpers.postgres import PostgresServer
from helpers.store import fresh_store_file

from deskterm.query.syntax import parse_query
from deskterm.store.queries.tickets import count_tickets, list_tickets
from deskterm.store.schema.db import Store, open_store
from deskterm.store.schema.timefmt import from_db
from deskterm.store.search.filters import QueryContext
from deskterm.store.search.order import Cursor
from deskterm.store.service import Actor, Service

# subject, first message, customer, later: (note, tags, status)
TICKETS = [
    (
        "Refund for order 17",
        "I was charged twice, please refund",
        "ana@shop.test",
        ("", ["billing"], "open"),
    ),
    ("Refunds and returns", "Where do I send returns?", "bo@shop.test", ("", [], "pending")),
    (
        "Printer jams",
        "The printer jams on page two",
        "cy@corp.test",
        ("Replaced the roller", ["hw"], "solved"),
    ),
    ("Café menu", "The café menu shows old prices", "dee@cafe.test", ("", [], "new")),
    ("我要退款", "订单没有到，我要退款", "li@cn.test", ("", ["billing"], "open")),
    ("退款进度", "请问退款什么时候到账", "wu@cn.test", ("", [], "new")),
    ("환불을 원합니다", "제 주문을 환불해 주세요", "kim@kr.test", ("", [], "open")),
    ("返金について", "返金の手続きを教えてください", "sato@jp.test", ("", ["billing"], "pending")),
    (
        "Login broken",
        "Password reset email never arrives",
        "ed@corp.test",
        ("Checked the mail log", [], "open"),
    ),
    (
        "Invoice copy",
        "Please send invoice 2024-113 again",
        "ana@shop.test",
        ("", ["billing"], "solved"),
    ),
]

QUERIES = [
    "",
    "refund",
    "refunds",
    "refun*",
    "print*",
    "cafe",
    "café",
    "roller",
    "charged twice",
    "退款",
    "退",
    "我要退款",
    "환불",
    "환불을",
    "返金",
    "invoice 2024",
    "status:open",
    "status:open,pending refund",
    "tag:billing",
    "tag:billing 退款",
    "from:ana@shop.test",
    "customer:corp",
    "customer:sho",
    "customer:cn",
    "customer:50%",
    "assignee:none refund",
    "created>2020-01-01",
    "sort:created",
    "nothing-like-this",
    "AND OR NEAR",
    '"quoted" *',
]


def _fill(store: Store) -> None:
    service = Service(store, Actor.system(), TickingClock())
    service.add_agent("Ada Admin", "ada@desk.test", "admin")
    for subject, body, customer, (note, tags, status) in TICKETS:
        made = service.create_ticket(subject, body, customer)
        if note:
            service.add_note(made.number, note)
        if tags or status != "new":
            service.update_tickets([made.number], add_tags=tags, status=status)


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[tuple[Store, Store]]:
    """Built once for the table (read-only from here on)."""
    postgres_server.start()
    database = postgres_server.create_database()
    lite = open_store(fresh_store_file(tmp_path_factory.mktemp("backends") / "lite.db"))
    pg = open_store(database.url)
    try:
        _fill(lite)
        _fill(pg)
        yield lite, pg
    finally:
        lite.close()
        pg.close()
        postgres_server.drop_database(database.name)


def _walk(store: Store, text: str, limit: int) -> list[int]:
    query = parse_query(text)
    numbers: list[int] = []
    after: Cursor | None = None
    while True:
        page = list_tickets(store, query, QueryContext(), after=after, limit=limit)
        numbers += [row.number for row in page.rows]
        if page.next is None:
            return numbers
        after = page.next


@pytest.mark.parametrize("text", QUERIES)
def test_both_stores_find_the_same_tickets(stores: tuple[Store, Store], text: str) -> None:
    lite, pg = stores
    expected = _walk(lite, text, 100)
    assert _walk(pg, text, 100) == expected
    assert _walk(pg, text, 2) == expected  # keyset pages through the same order
    assert count_tickets(pg, parse_query(text)) == count_tickets(lite, parse_query(text))


def test_the_table_finds_something_in_every_script(stores: tuple[Store, Store]) -> None:
    """The table is not vacuous: each script's word finds its tickets on PostgreSQL."""
    _lite, pg = stores
    assert len(_walk(pg, "refund", 50)) == 2
    assert len(_walk(pg, "退款", 50)) == 2
    assert len(_walk(pg, "환불을", 50)) == 1
    assert len(_walk(pg, "返金", 50)) == 1
    rows = list_tickets(pg, parse_query("cafe")).rows
    assert [r.subject for r in rows] == ["Café menu"]
    assert rows[0].updated_at == from_db(rows[0].cursor.key)
