"""Read marks, time entries and attachments made on a replica reach the server and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from helpers.http_server import Team, start_team
from helpers.outbox import SUPPORT, settings_for
from helpers.replicas import local_service, make_replica, snapshot
from helpers.smtp import SmtpServer

from deskterm.channels.sender import Sender
from deskterm.channels.sync import Replica
from deskterm.store.queries.replica import queued_ops
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, utcnow
from deskterm.store.service import Actor

BO, ADA = "bo@desk.test", "ada@desk.test"


@pytest.fixture
def pair(team: Team, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    server = team.state.make_service(Actor.system())
    for i in range(2):
        server.create_ticket(f"Order {i} late", f"Where is order {i}?", f"c{i}@example.test")
    a, _ = make_replica(team.url, team.agent_token, tmp_path / "bo.db", BO)
    b, _ = make_replica(team.url, team.admin_token, tmp_path / "ada.db", ADA)
    yield a, b
    for replica in (a, b):
        replica.client.close()
        replica.store.close()


def _time(store: Store) -> list[tuple[Any, ...]]:
    return [
        (number, email, from_db(started), seconds, source, note)
        for number, email, started, seconds, source, note in store.read().execute(
            "SELECT t.number, a.email, e.started_at, e.seconds, e.source, e.note"
            " FROM time_entry e JOIN ticket t ON t.id = e.ticket_id"
            " JOIN agent a ON a.id = e.agent_id ORDER BY t.number, e.started_at"
        )
    ]


def _read_at(store: Store, email: str, number: int) -> Any:
    row = (
        store.read()
        .execute(
            "SELECT r.read_at FROM ticket_read r JOIN agent a ON a.id = r.agent_id"
            " JOIN ticket t ON t.id = r.ticket_id WHERE a.email = ? AND t.number = ?",
            (email, number),
        )
        .fetchone()
    )
    return None if row is None else from_db(row[0])


def test_time_entries_made_offline_reach_the_server_and_the_other_replicas(
    team: Team, pair: tuple[Replica, Replica]
) -> None:
    a, b = pair
    bo = local_service(a.store, BO)
    began = utcnow() - timedelta(hours=3)
    bo.log_time(1, 300, note="call with the customer")
    bo.track_time(2, began, 120)
    assert [op.name for op in queued_ops(a.store)] == ["log_time", "track_time"]
    offline = _time(a.store)

    a.sync()
    a.sync()  # pushed once more after a lost answer would change nothing either
    b.sync()

    assert _time(team.store) == _time(a.store) == _time(b.store) == offline
    assert [(n, who, secs, src) for n, who, _at, secs, src, _note in offline] == [
        (1, BO, 300, "manual"),
        (2, BO, 120, "tracked"),
    ]
    assert offline[1][2] == began  # tracked time keeps when it was spent, not when it synced
    logged = [e for e in snapshot(team.store)[1]["events"] if e[0] == "time_logged"]
    assert logged == [("time_logged", None, "5m (call with the customer)", "Bo Agent")]


def test_read_marks_are_each_agents_own_and_never_move_back(
    team: Team, pair: tuple[Replica, Replica]
) -> None:
    a, b = pair
    bo = local_service(a.store, BO)
    assert bo.mark_read(1)
    seen = _read_at(a.store, BO, 1)
    assert not bo.mark_read(1)  # already read: nothing new to tell the server
    assert [op.name for op in queued_ops(a.store)] == ["mark_read"]

    a.sync()
    b.sync()
    assert _read_at(team.store, BO, 1) == seen
    assert _read_at(b.store, BO, 1) is None  # Ada's replica holds Ada's marks only
    assert _read_at(a.store, BO, 1) == seen

    # Bo reads ticket 2 on this replica while offline; meanwhile he changes it on the
    # server (from another machine): the later mark, the server's, stays.
    bo.mark_read(2)
    offline_mark = _read_at(a.store, BO, 2)
    team.state.make_service(Actor(team.agent_id, "Bo Agent")).add_note(2, "Seen it.")
    later = _read_at(team.store, BO, 2)
    assert later > offline_mark
    a.sync()
    assert _read_at(team.store, BO, 2) == later
    assert _read_at(a.store, BO, 2) == later


def test_a_mark_made_alone_reaches_the_agents_other_replica_without_its_ticket(
    team: Team, pair: tuple[Replica, Replica], tmp_path: Path
) -> None:
    laptop, _ada = pair
    desk, _ = make_replica(team.url, team.agent_token, tmp_path / "bo-desk.db", BO)
    try:
        assert local_service(laptop.store, BO).mark_read(1)
        laptop.sync()
        report = desk.sync()
        assert report.pulled == 0  # the mark came alone: ticket 1 did not change
        assert _read_at(desk.store, BO, 1) == _read_at(team.store, BO, 1)
        assert _read_at(desk.store, BO, 1) == _read_at(laptop.store, BO, 1) is not None
        # Read on the server (a third machine): both replicas get the later mark.
        team.state.make_service(Actor.system()).add_customer_message(1, "Any news?")
        laptop.sync()
        desk.sync()
        team.state.make_service(Actor(team.agent_id, "Bo Agent")).mark_read(1)
        later = _read_at(team.store, BO, 1)
        laptop.sync()
        desk.sync()
        assert _read_at(laptop.store, BO, 1) == _read_at(desk.store, BO, 1) == later
    finally:
        desk.client.close()
        desk.store.close()


def _attachments(mail: bytes) -> list[tuple[str, bytes]]:
    parsed = message_from_bytes(mail, policy=default)
    assert isinstance(parsed, EmailMessage)
    files = []
    for part in parsed.iter_attachments():
        assert isinstance(part, EmailMessage)
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        files.append((part.get_filename() or "", data))
    return files


def test_a_reply_with_a_file_written_offline_reaches_the_server_and_the_customer(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    team, stop = start_team(tmp_path / "server.db", mail=settings)
    replicas: list[Replica] = []
    try:
        number = (
            team.state.make_service(Actor.system())
            .create_ticket(
                "Invoice?",
                "Please send the invoice.",
                "ana@customer.test",
                message_fields={"message_id": "q1@customer.test", "mailbox": SUPPORT},
            )
            .number
        )
        a, _ = make_replica(team.url, team.agent_token, tmp_path / "bo.db", BO)
        replicas.append(a)
        pdf = tmp_path / "invoice-42.pdf"
        content = b"%PDF-1.4 invoice 42 \x00\x01\x02" * 1000
        pdf.write_bytes(content)
        local_service(a.store, BO).send_reply(number, "Here it is.", attachments=[pdf])
        pdf.unlink()  # the file travels from the replica's store, not from the disk

        a.sync()
        a.sync()  # a second push uploads nothing twice and sends nothing twice

        files = (
            team.store.read()
            .execute(
                "SELECT f.filename, f.mime_type, d.data FROM message_attachment f"
                " JOIN attachment d ON d.sha256 = f.sha256"
            )
            .fetchall()
        )
        assert [(n, m, bytes(d)) for n, m, d in files] == [
            ("invoice-42.pdf", "application/pdf", content)
        ]
        sender = Sender(team.store, settings)
        assert sender.run_once().sent == 1
        (mail,) = smtp_server.wait_for_messages(1)
        assert mail.rcpt_tos == ["ana@customer.test"]
        assert _attachments(mail.content) == [("invoice-42.pdf", content)]
        assert sender.run_once().sent == 0

        # Another agent's replica gets the reply with its file.
        b, _ = make_replica(team.url, team.admin_token, tmp_path / "ada.db", ADA)
        replicas.append(b)
        for replica in (a, b):
            held = (
                replica.store.read()
                .execute(
                    "SELECT f.filename, d.data FROM message_attachment f"
                    " JOIN attachment d ON d.sha256 = f.sha256"
                )
                .fetchall()
            )
            assert [(n, bytes(d)) for n, d in held] == [("invoice-42.pdf", content)]
        assert snapshot(a.store) == snapshot(b.store) == snapshot(team.store)
    finally:
        for replica in replicas:
            replica.client.close()
            replica.store.close()
        stop()
