"""`deskterm import`: the shared corpus, .eml/mbox/Maildir, exactly once; quarantine, reingest."""

from __future__ import annotations

import json
import mailbox
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from helpers.corpus import CORPUS, require_corpus

from deskterm.channels.intake import IntakeSettings, Job, Parser, resolve
from deskterm.channels.mail_files import collect, import_mail
from deskterm.store.queries.mail import get_ingest_status, list_quarantine
from deskterm.store.service import Actor, Service
from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming


def mail(n: int, subject: str = "Question", body: str = "Hello", msgid: str | None = None) -> bytes:
    msgid = msgid or make_msgid(domain="import.test")
    return (
        f"From: Person {n} <p{n}@cust{n % 3}.test>\nTo: support@desk.test\n"
        f"Subject: {subject} {n}\nMessage-ID: {msgid}\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n"
        f"\n{body} {n}\nFrom the desk of person {n}\n"
    ).encode()


def run_import(store, paths: list[Path], **settings) -> dict[str, int]:
    config = IntakeSettings(**settings)
    ingest = MailIngest(store, own_addresses=["support@desk.test"])
    parser = Parser(config)
    try:
        return import_mail(collect(paths), ingest, config, parser).to_json()
    finally:
        parser.close()


def count(store, sql: str) -> int:
    return int(store.read().execute(sql).fetchone()[0])


def test_eml_mbox_and_maildir_import_exactly_once(store, tmp_path: Path) -> None:
    emls = tmp_path / "emls"
    emls.mkdir()
    first_mail = mail(0)
    (emls / "m0.eml").write_bytes(first_mail)
    for n in range(1, 3):
        (emls / f"m{n}.eml").write_bytes(mail(n))
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for n in range(3, 8):
        box.add(mail(n))
    box.flush()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    for n in range(8, 11):
        maildir.add(mail(n))
    maildir.add(first_mail)  # the same mail as m0.eml, delivered twice
    paths = [emls, tmp_path / "archive.mbox", tmp_path / "Maildir"]
    first = run_import(store, paths)
    assert first == {"new": 11, "threaded": 0, "quarantined": 0, "duplicates": 1}
    again = run_import(store, paths)
    assert again == {"new": 0, "threaded": 0, "quarantined": 0, "duplicates": 12}
    assert count(store, "SELECT count(*) FROM message") == 11
    assert count(store, "SELECT count(*) FROM mail_receipt") == 0  # receipts only for IMAP
    assert count(store, "SELECT count(*) FROM raw_mail") == 11


def test_import_cli_json_and_bad_path(run_cli, tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(mail(1))
    db = str(tmp_path / "d.db")
    done = run_cli("--db", db, "import", str(tmp_path / "a.eml"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["new"] == 1
    bad = run_cli("--db", db, "import", str(tmp_path / "missing.mbox"))
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "no such file" in bad.stderr


def deep_mail(depth: int = 3000) -> bytes:
    head = b"From: a@b.test\nSubject: deep\nMIME-Version: 1.0\n"
    for i in range(depth):
        head += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
    return head + b"Content-Type: text/plain\n\nhi\n"


def test_unparseable_mail_is_quarantined_and_import_goes_on(store, tmp_path: Path) -> None:
    (tmp_path / "1.eml").write_bytes(mail(1))
    (tmp_path / "2.eml").write_bytes(deep_mail())
    (tmp_path / "3.eml").write_bytes(mail(3))
    big = mail(4, body="x" * 5000)
    (tmp_path / "4.eml").write_bytes(big)
    tally = run_import(store, [tmp_path], max_bytes=4000)
    assert tally == {"new": 2, "threaded": 0, "quarantined": 2, "duplicates": 0}
    held = list_quarantine(store)
    assert {"nested too deeply" in q.reason or "byte limit" in q.reason for q in held} == {True}
    assert get_ingest_status(store).quarantined == 2
    # Re-import: the same bytes are not quarantined twice.
    assert run_import(store, [tmp_path], max_bytes=4000)["duplicates"] == 4
    # Retry with a higher limit: the big one becomes a message, the deep one stays.
    ingest = MailIngest(store)
    results = {q.source: ingest.retry_quarantined(q.id, max_bytes=10**6) for q in held}
    outcomes = sorted(r.outcome.value for r in results.values())
    assert outcomes == ["new", "quarantined"]
    assert get_ingest_status(store).quarantined == 1
    assert count(store, "SELECT count(*) FROM message") == 3


def test_reingest_updates_body_and_search_index(store) -> None:
    ingest = MailIngest(store)
    (result,) = ingest.ingest([parse_incoming(mail(1, body="zebrafish"), "t")])
    conn = store.read()
    # Simulate an old parser's output: a wrong body in the row and the index.
    service = Service(store, Actor.system())
    with service.unit() as uow:
        s = uow.session
        from sqlalchemy import text

        from deskterm.query import fts

        s.execute(
            text(fts.DELETE_MESSAGE.replace("?, ?, ?", ":i, :t, :c")),
            {"i": result.message_id, "t": "zebrafish 1\nFrom the desk of person 1", "c": ""},
        )
        s.execute(
            text("UPDATE message SET body_text = 'garbled' WHERE id = :i"),
            {"i": result.message_id},
        )
        s.execute(
            text(fts.INSERT_MESSAGE.replace("?, ?, ?", ":i, :t, :c")),
            {"i": result.message_id, "t": "garbled", "c": ""},
        )
    match = "SELECT count(*) FROM message_fts WHERE message_fts MATCH ?"
    assert conn.execute(match, ("garbled",)).fetchone()[0] == 1
    assert result.message_id is not None
    assert ingest.reingest(result.message_id) is True
    assert conn.execute(match, ("garbled",)).fetchone()[0] == 0
    assert conn.execute(match, ("zebrafish",)).fetchone()[0] == 1
    assert ingest.reingest(result.message_id) is False


# ----------------------------------------------------------------------------- corpus


@pytest.fixture(scope="module")
def expectations() -> dict[str, Any]:
    path = require_corpus() / "expectations.json"
    return json.loads(path.read_text(encoding="utf-8"))


def original(msgid: str, sender: str = "customer@example.com") -> bytes:
    return (
        f"From: {sender}\nTo: support@example.com\nSubject: original\n"
        f"Message-ID: <{msgid}>\n\nThe original.\n"
    ).encode()


def test_whole_corpus_imports_with_zammad_expectations(store, expectations, tmp_path) -> None:
    service = Service(store, Actor.system())
    ingest = MailIngest(store, own_addresses=["support@example.com"])
    # Tickets holding the Message-IDs the bounces and mail078 refer to (see README).
    held: dict[str, int] = {}
    for name, msgid in (
        ("mail055", "20170526150141.232.13312@example.zammad.loc"),
        ("mail033", "20150830145601.30.608881@edenhofer.zammad.com"),
        ("mail078", "20150830145601.30.608881@example.com"),
    ):
        (result,) = ingest.ingest([parse_incoming(original(msgid), name)])
        assert result.ticket_number is not None
        held[name] = result.ticket_number
    service.set_status(held["mail078"], "closed")
    files = sorted(CORPUS.glob("*.box"))
    assert len(files) == len(expectations["mails"]) == 106
    tally = run_import(store, files)
    assert tally["quarantined"] == 0
    assert tally["new"] + tally["threaded"] == 106

    def ticket_of(name: str) -> tuple[int, str]:
        row = store.read().execute(
            "SELECT t.number, t.status FROM message m JOIN ticket t ON t.id = m.ticket_id"
            " JOIN raw_mail r ON r.id = m.raw_mail_id WHERE m.id IN"
            " (SELECT id FROM message WHERE raw_mail_id = r.id) AND r.data = ?",
            ((CORPUS / name).read_bytes(),),
        )
        found = row.fetchone()
        assert found is not None, name
        return int(found[0]), found[1]

    for group in expectations["thread_groups"]:
        if group["asserted"]:
            assert len({ticket_of(f)[0] for f in group["files"]}) == 1, group["why"]
    assert ticket_of("mail055.box") == (held["mail055"], "new")
    assert ticket_of("mail033-undelivered-mail-returned-to-sender.box")[0] == held["mail033"]
    assert ticket_of("mail078.box") == (held["mail078"], "closed")
    # mail078 is a delay notice (Action: delayed): a warning, not a bounce.
    for name, auto_kind in (("mail055.box", "bounce"), ("mail078.box", "delay")):
        kind = store.read().execute(
            "SELECT m.auto_kind FROM message m JOIN raw_mail r ON r.id = m.raw_mail_id"
            " WHERE r.data = ?",
            ((CORPUS / name).read_bytes(),),
        )
        assert kind.fetchone()[0] == auto_kind
    # mail085's "#1XXXX9" is no tag; mail005's foreign [Ticket#11162] is no tag of ours.
    for name in ("mail085.box", "mail005.box"):
        number, _ = ticket_of(name)
        count_on = store.read().execute(
            "SELECT message_count FROM ticket WHERE number = ?", (number,)
        )
        assert count_on.fetchone()[0] == 1, name
    # Files stored once by sha256: mail062 has 9 attachments.
    assert count(store, "SELECT count(*) FROM attachment") <= count(
        store, "SELECT count(*) FROM message_attachment"
    )
    # Exactly once on re-import.
    again = run_import(store, files)
    assert again["duplicates"] == 106
    assert Outcome.DUPLICATE.value == "duplicate"


def test_the_parse_pool_gives_what_inline_parsing_gives_in_order() -> None:
    settings = IntakeSettings(workers=2, max_bytes=4000)
    raws = [mail(n) for n in range(7)] + [mail(7, body="x" * 5000), b"", mail(9)]
    jobs: list[Job] = [(raw, f"job {n}", None, "support@desk.test") for n, raw in enumerate(raws)]
    inline = Parser(settings).submit(jobs)
    pooled = Parser(settings)
    pooled.start_pool()
    try:
        got = resolve(pooled.submit(jobs))
        assert resolve(pooled.submit([])) == []
    finally:
        pooled.close()
    assert got == inline
    assert [item.source for item in got] == [f"job {n}" for n in range(10)]
    assert got[7].parsed is None and "over the 4,000 byte limit" in (got[7].error or "")
