"""Opening stores: migrations from the first schema, version checks, unusable files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from helpers.store import fresh_store_file, opened

from deskterm.errors import StoreError
from deskterm.query.syntax import TicketQuery, parse_query
from deskterm.store.queries import catalog as catalog_queries
from deskterm.store.queries import tickets as queries
from deskterm.store.schema import migrate
from deskterm.store.schema.db import SCHEMA_HEAD, Store, open_store, schema_version
from deskterm.store.service import Actor, Service

OLD_MESSAGES = [
    # (ticket number, kind, body)
    (1, "customer", "My refund never arrived, order 1234."),
    (1, "reply", "We have sent the refund again."),
    (2, "customer", "환불을 요청합니다. 주문 번호는 55입니다."),
    (2, "note", "고객이 두 번째로 문의함"),
    (3, "customer", "我要退款，商品坏了。"),
    (3, "customer", "返金してください。"),
]


def build_v1_store(path: Path) -> None:
    """A store at migration 0001 holding data written the way the first version wrote it."""
    store = Store(path)
    try:
        migrate.upgrade(store, current=None, target="0001")
    finally:
        store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert schema_version(conn) == "0001"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "message_fts" not in tables
        conn.execute("BEGIN")
        stamp = "2025-06-01 10:00:00.000000"
        conn.execute(
            "INSERT INTO organization (id, name, domain, created_at)"
            " VALUES (1, 'Acme', 'acme.test', ?)",
            (stamp,),
        )
        conn.executemany(
            "INSERT INTO customer (id, email, name, organization_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (1, "ana@acme.test", "Ana Lima", 1, stamp),
                (2, "minji@example.kr", "김민지", None, stamp),
                (3, "wei@example.cn", "王伟", None, stamp),
            ],
        )
        conn.execute(
            "INSERT INTO agent (id, name, email, role, away, signature, created_at)"
            " VALUES (1, 'me', 'me@desk.test', 'admin', 0, '', ?)",
            (stamp,),
        )
        for number, (subject, status, customer) in enumerate(
            [
                ("Refund missing", "open", 1),
                ("환불 문의", "new", 2),
                ("退款问题", "solved", 3),
            ],
            start=1,
        ):
            updated = f"2025-06-0{number + 1} 10:00:00.000000"
            conn.execute(
                "INSERT INTO ticket (id, number, subject, status, priority, channel, customer_id,"
                " assignee_id, created_at, updated_at, reopen_count, message_count)"
                " VALUES (?, ?, ?, ?, 'normal', 'email', ?, 1, ?, ?, 0, ?)",
                (
                    number,
                    number,
                    subject,
                    status,
                    customer,
                    stamp,
                    updated,
                    sum(1 for m in OLD_MESSAGES if m[0] == number),
                ),
            )
        for i, (number, kind, body) in enumerate(OLD_MESSAGES, start=1):
            conn.execute(
                "INSERT INTO message (id, ticket_id, kind, from_name, from_addr, to_addrs,"
                " cc_addrs, subject, body_text, created_at) VALUES (?, ?, ?, '', '', '', '', '',"
                " ?, ?)",
                (i, number, kind, body, f"2025-06-01 10:0{i}:00.000000"),
            )
        conn.execute("INSERT INTO tag (id, name) VALUES (1, 'billing')")
        conn.execute("INSERT INTO ticket_tag (ticket_id, tag_id) VALUES (1, 1)")
        conn.execute(
            "INSERT INTO event (ticket_id, actor, kind, old, new, created_at)"
            " VALUES (1, 'me', 'created', NULL, '#1', ?)",
            (stamp,),
        )
        conn.execute(
            "INSERT INTO canned_reply (name, body, actions, created_at, updated_at)"
            " VALUES ('thanks', 'Thanks {{ customer.first_name }}', '{}', ?, ?)",
            (stamp, stamp),
        )
        conn.execute("UPDATE counter SET value = 3 WHERE name = 'ticket'")
        conn.execute("COMMIT")
    finally:
        conn.close()


def columns(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()


def dump(path: Path, table: str, cols: list[str] | None = None) -> list[tuple[object, ...]]:
    """The rows of `table` (only `cols`, so columns added by later migrations are ignored)."""
    names = ", ".join(f'"{c}"' for c in cols) if cols else "*"
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {names} FROM {table} ORDER BY 1").fetchall()
    finally:
        conn.close()


def search(store: Store, text: str) -> list[int]:
    return sorted(r.number for r in queries.list_tickets(store, parse_query(text)).rows)


def test_store_from_first_migration_opens_with_nothing_lost_and_is_searchable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    build_v1_store(path)
    tables = ("organization", "customer", "agent", "ticket", "message", "tag", "ticket_tag")
    cols = {t: columns(path, t) for t in (*tables, "event", "canned_reply", "counter")}
    before = {t: dump(path, t, cols[t]) for t in cols}

    with opened(path) as store:
        assert schema_version(store.read()) == SCHEMA_HEAD
        for table, rows in before.items():
            assert dump(path, table, cols[table]) == rows, f"{table} changed by the migration"

        # Reads over the old data work.
        detail = queries.get_ticket(store, 2)
        assert [m.body_text for m in detail.messages] == [m[2] for m in OLD_MESSAGES[2:4]]
        assert detail.customer.name == "김민지"
        assert queries.get_ticket_row(store, 1).tags == ("billing",)
        assert catalog_queries.get_customer(store, "ana@acme.test").organization == "Acme"

        # The backfilled index finds old subjects and bodies, CJK words of two characters too.
        assert search(store, "refund") == [1]
        assert search(store, "refunds arrived") == [1]
        assert search(store, "환불") == [2]  # subject 환불 문의 and body 환불을
        assert search(store, "요청") == [2]  # inside 요청합니다
        assert search(store, "문의") == [2]  # the note: 문의함
        assert search(store, "退款") == [3]  # subject 退款问题, body 我要退款
        assert search(store, "商品") == [3]
        assert search(store, "返金") == [3]  # inside 返金してください
        assert search(store, "주문 55") == [2]
        assert search(store, "배송") == []
        # Old customers and organizations are in the trigram indexes (0014).
        assert search(store, "customer:acme") == search(store, "customer:ana@acme.test") != []

        # And the new code writes on top of the old data.
        svc = Service(store, Actor(1, "me"))
        assert svc.create_ticket("새 문의", "배송이 늦어요", "minji@example.kr").number == 4
        svc.add_reply(2, "환불 처리했습니다")
        svc.update_tickets([3], subject="退款问题已解决")
        assert search(store, "배송") == [4]
        assert search(store, "已解决") == [3]
        assert catalog_queries.get_customer(store, "minji@example.kr").ticket_count == 2

    # Opening again is a no-op: already at head.
    with opened(path) as store:
        assert schema_version(store.read()) == SCHEMA_HEAD
        assert search(store, "환불") == [2]


def test_schema_head_is_alembics_head(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    store = Store(tmp_path / "unused.db")
    try:
        revisions = migrate.known_revisions(store)
        script = ScriptDirectory.from_config(migrate.alembic_config(store))
    finally:
        store.close()
    assert revisions[0] == SCHEMA_HEAD, "walk_revisions lists the head first"
    assert revisions[-1] == "0001"
    assert len(set(revisions)) == len(revisions)
    assert script.get_heads() == [SCHEMA_HEAD]
    versions = Path(migrate.MIGRATIONS, "versions")
    newest = max(p.name.split("_")[0] for p in versions.glob("[0-9]*.py"))
    assert newest == SCHEMA_HEAD


def test_new_store_is_created_at_head(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "new.db"
    with opened(path, create=True) as store:
        assert schema_version(store.read()) == SCHEMA_HEAD
    assert path.is_file()


def test_store_from_a_newer_deskterm_is_refused(tmp_path: Path) -> None:
    path = fresh_store_file(tmp_path / "future.db")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0999'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as err:
        open_store(path)
    message = str(err.value)
    assert "\n" not in message
    assert "made by a newer deskterm" in message
    assert str(path) in message
    assert "0999" in message
    # Nothing was touched.
    assert dump(path, "alembic_version") == [("0999",)]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(os.urandom(8192), id="random-bytes"),
        pytest.param(b"[store]\npath = 'x'\n" * 50, id="text-file"),
        pytest.param(b"SQLite format 3\x00" + os.urandom(4000), id="bad-sqlite-header"),
    ],
)
def test_corrupt_file_gives_one_line_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        open_store(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert path.read_bytes() == content, "a file that is not a store is never written"


def test_sqlite_file_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('mine')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as err:
        open_store(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    assert "not a deskterm store" in message
    assert dump(path, "notes") == [(1, "mine")]
    conn = sqlite3.connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert names == {"notes"}, "no deskterm tables were added"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(StoreError) as err:
        open_store(missing)
    assert "\n" not in str(err.value)
    assert str(missing) in str(err.value)
    assert not missing.exists(), "opening without create makes no file"
    with pytest.raises(StoreError, match="folder") as err:
        open_store(tmp_path)
    assert "\n" not in str(err.value)


def test_empty_file_is_a_store_only_when_asked(tmp_path: Path) -> None:
    # A zero-byte file passed by mistake stays as it is; `init` (create) sets it up.
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match="an empty file, not a deskterm store"):
        open_store(path)
    assert path.stat().st_size == 0
    with opened(path, create=True) as store:
        assert schema_version(store.read()) == SCHEMA_HEAD
        assert queries.list_tickets(store, TicketQuery()).rows == ()


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage, leaving the schema page intact."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # fold any WAL into the file first
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type='table' AND name=?", (table,)
        ).fetchone()[0]
    finally:
        conn.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xa5" * size)


def test_damaged_old_store_fails_migration_with_one_line_error(tmp_path: Path) -> None:
    # The migration's backfill reads every message: a damaged message table stops it.
    path = tmp_path / "old-damaged.db"
    build_v1_store(path)
    damage_table(path, "message")
    with pytest.raises(StoreError) as err:
        open_store(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    assert "not a usable deskterm store" in message


def test_damaged_store_write_gives_one_line_error(tmp_path: Path) -> None:
    path = fresh_store_file(tmp_path / "damaged.db")
    with opened(path) as store:
        Service(store, Actor.system()).create_ticket("first", "body", "ana@example.com")
    damage_table(path, "ticket")
    with opened(path) as store:  # the schema and version pages are fine
        with pytest.raises(StoreError) as err:
            Service(store, Actor.system()).create_ticket("second", "body", "ana@example.com")
        message = str(err.value)
        assert "\n" not in message
        assert str(path) in message


def test_damaged_store_read_gives_one_line_error(tmp_path: Path) -> None:
    path = fresh_store_file(tmp_path / "damaged-read.db")
    with opened(path) as store:
        Service(store, Actor.system()).create_ticket("first", "body", "ana@example.com")
    damage_table(path, "ticket")
    with opened(path) as store:
        with pytest.raises(StoreError) as err:
            queries.list_tickets(store, TicketQuery())
        assert "\n" not in str(err.value)
        assert str(path) in str(err.value)
