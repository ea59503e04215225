"""One writer of the search index: every write path keeps it equal to its rows.

The index tables are contentless, so a row written with other values than the ones
a later delete repeats stays behind for ever. Checked the strong way: after each kind
of write, the index's every (term, row, column, position) equals those of an index
built afresh from the stored subjects and bodies; each ticket's whole-text row
(`ticket_words`) equals its subject and messages as they are stored.
"""

from __future__ import annotations

import re
import sqlite3
from email.utils import make_msgid
from pathlib import Path

from helpers.clock import Clock

from deskterm.config import MailboxConfig
from deskterm.query import fts
from deskterm.store.schema.db import Store
from deskterm.store.search.index import SearchIndex
from deskterm.store.service import Actor, Service
from deskterm.store.service.delivery import MailSettings
from deskterm.store.service.ingest import MailIngest, parse_incoming

PACKAGE = Path(__file__).parents[2] / "deskterm"
# Where search rows may be named: their definitions (SQLite's, PostgreSQL's), the one
# writer, PostgreSQL's translation of its statements, and the migrations (history, frozen).
ALLOWED = {"query/fts.py", "query/fts_pg.py", "store/search/index.py", "store/schema/pg.py"}
WRITES = re.compile(
    r"fts\.(INSERT|DELETE)_(TICKET|MESSAGE)|fts\.OPTIMIZE|INTO (message|ticket)_fts"
)


def test_no_module_but_the_search_index_writes_search_rows() -> None:
    writers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if WRITES.search(path.read_text(encoding="utf-8"))
    )
    assert writers, "the pattern finds the writer itself"
    outside = [
        w for w in writers if w not in ALLOWED and not w.startswith("store/schema/migrations/")
    ]
    assert outside == [], "write search rows through store/search/index.py (SearchIndex)"


def instances(db: sqlite3.Connection, schema: str, table: str) -> list[tuple[object, ...]]:
    """Every (term, row, column, position) an FTS5 table holds."""
    db.execute(f"CREATE VIRTUAL TABLE temp.terms USING fts5vocab({schema}, {table}, 'instance')")
    try:
        return db.execute(
            "SELECT term, doc, col, offset FROM temp.terms ORDER BY 1, 2, 3, 4"
        ).fetchall()
    finally:
        db.execute("DROP TABLE temp.terms")


def assert_index_equals_rows(store: Store) -> None:
    """The index holds exactly what indexing the stored subjects and bodies anew gives."""
    db = sqlite3.connect(store.path)
    try:
        for table, source in (("ticket_fts", "SELECT id, subject FROM ticket"),
                              ("message_fts", "SELECT id, body_text FROM message")):  # fmt: skip
            db.execute(
                f"CREATE VIRTUAL TABLE temp.want USING fts5(text, cjk, content='',"
                f" tokenize='{fts.TOKENIZE}')"
            )
            db.executemany(
                "INSERT INTO temp.want (rowid, text, cjk) VALUES (?, ?, ?)",
                [(rowid, *fts.index_columns(text)) for rowid, text in db.execute(source)],
            )
            assert instances(db, "main", table) == instances(db, "temp", "want"), table
            db.execute("DROP TABLE temp.want")
        assert ticket_words(db) == whole_tickets(db)
        db.execute("INSERT INTO ticket_words (ticket_words, rank) VALUES ('integrity-check', 1)")
    finally:
        db.close()


def ticket_words(db: sqlite3.Connection) -> list[tuple[object, ...]]:
    return db.execute("SELECT rowid, text, cjk FROM ticket_words ORDER BY rowid").fetchall()


def whole_tickets(db: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Each ticket's subject and messages (in id order) as its `ticket_words` row."""
    texts = {tid: [subject] for tid, subject in db.execute("SELECT id, subject FROM ticket")}
    for tid, body in db.execute("SELECT ticket_id, body_text FROM message ORDER BY id"):
        texts[tid].append(body)
    return [(tid, *fts.ticket_columns(parts)) for tid, parts in sorted(texts.items())]


def mail(frm: str, subject: str, body: str, extra: str = "") -> bytes:
    return (
        f"From: {frm}\nTo: support@desk.test\nSubject: {subject}\n"
        f"Message-ID: {make_msgid(domain='cust.test')}\n{extra}\n{body}\n"
    ).encode()


def test_every_write_path_leaves_the_index_equal_to_the_rows(store: Store) -> None:
    clock = Clock()
    box = MailboxConfig(address="support@desk.test", name="Desk", smtp_host="127.0.0.1")
    agent = Service(store, Actor.system(), clock).ensure_agent("Sam", "sam@desk.test")
    desk = Service(store, Actor(agent, "Sam"), clock).with_mail(MailSettings(mailboxes=(box,)))
    first = desk.create_ticket("Printer jams", "The printer on floor 2 jams.", "ana@acme.test")
    other = desk.create_ticket("退款 申请", "我要退款，订单 42。", "li@acme.test")
    desk.add_customer_message(first.number, "Still jamming, paper everywhere.")
    desk.add_reply(first.number, "Try the rear tray.")
    desk.update_tickets([first.number], subject="Printer jams on floor 2")
    assert_index_equals_rows(store)
    _, outbox_id = desk.send_reply(other.number, "Refund sent, 환불 완료.")
    assert outbox_id is not None
    desk.cancel(outbox_id)  # the reply is taken back: its index row goes
    assert_index_equals_rows(store)
    results = MailIngest(store, clock=clock).ingest(
        [parse_incoming(mail(f"c{i} <c{i}@cust{i}.test>", f"Invoice {i} wrong",
                             f"Invoice {i} is 긴급 wrong."), f"m{i}")
         for i in range(20)]
    )  # fmt: skip
    assert all(r.ticket_number for r in results)
    split = desk.split(first.number, desk.add_customer_message(first.number, "Also the scanner."))
    assert_index_equals_rows(store)
    desk.merge(split.number, other.number)
    assert_index_equals_rows(store)


def test_one_batch_of_mail_from_new_senders_writes_one_segment_per_index(store: Store) -> None:
    """Rows held to the batch's end: new customers' trigger savepoints flush nothing."""
    raws = [
        mail(f"c{i} <c{i}@cust{i}.test>", f"Printer {i} broken", f"The printer on floor {i} jams.")
        for i in range(50)
    ]
    MailIngest(store).ingest([parse_incoming(r, f"m{i}") for i, r in enumerate(raws)])
    db = sqlite3.connect(store.path)
    try:
        for table in ("message_fts", "ticket_fts"):
            assert db.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone() == (1,)
    finally:
        db.close()


def test_deferred_rows_are_written_at_flush_in_their_order(store: Store) -> None:
    desk = Service(store, Actor.system(), Clock())
    number = desk.create_ticket("Hello", "first words", "ana@acme.test").number
    message_id = int(store.read().execute("SELECT max(id) FROM message").fetchone()[0])
    with desk.unit() as uow:
        db = uow.db
        search = SearchIndex(db, deferred=True)
        search.change_message(message_id, "first words", "second thoughts")
        search.change_ticket(1, "Hello", "Goodbye")
        found = "SELECT rowid FROM message_fts WHERE message_fts MATCH ?"
        assert db.execute(found, ("first",)).fetchall() == [(message_id,)]  # not yet
        search.flush()
        assert db.execute(found, ("first",)).fetchall() == []
        assert db.execute(found, ("second",)).fetchall() == [(message_id,)]
        db.execute("UPDATE message SET body_text = 'second thoughts' WHERE id = ?", (message_id,))
        db.execute("UPDATE ticket SET subject = 'Goodbye' WHERE number = ?", (number,))
    assert_index_equals_rows(store)
