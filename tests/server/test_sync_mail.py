"""A reply written offline goes out once, from the server's outbox, through a real aiosmtpd
(the server's store a SQLite file, then a PostgreSQL database)."""

from __future__ import annotations

from pathlib import Path

from helpers.http_server import start_team
from helpers.outbox import SUPPORT, settings_for
from helpers.replicas import local_service, make_replica, snapshot
from helpers.smtp import SmtpServer

from deskterm.channels.sender import Sender
from deskterm.store.queries.replica import queued_ops
from deskterm.store.service import Actor


def test_an_offline_reply_is_mailed_once_by_the_server(
    tmp_path: Path, smtp_server: SmtpServer, store_location: Path | str
) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    team, stop = start_team(store_location, mail=settings)
    try:
        number = (
            team.state.make_service(Actor.system())
            .create_ticket(
                "Refund?",
                "Can I get a refund?",
                "ana@customer.test",
                message_fields={"message_id": "q1@customer.test", "mailbox": SUPPORT},
            )
            .number
        )
        replica, _ = make_replica(team.url, team.agent_token, tmp_path / "bo.db", "bo@desk.test")
        _message_id, outbox_id = local_service(replica.store, "bo@desk.test").send_reply(
            number, "Yes: it is on its way back to you."
        )
        assert outbox_id is None  # the replica never mails
        (op,) = queued_ops(replica.store)
        client_id = (
            replica.store.read()
            .execute("SELECT value FROM sync_state WHERE name = 'client_id'")
            .fetchone()[0]
        )
        wire = [{"id": op.id, "name": op.name, "args": op.args}]
        replica.client.push(client_id, wire)  # an answer lost on the way back...
        replica.sync()  # ...so the queue pushes it again
        replica.sync()
        sender = Sender(team.store, settings)
        report = sender.run_once()
        assert report.sent == 1
        (mail,) = smtp_server.wait_for_messages(1)
        assert mail.rcpt_tos == ["ana@customer.test"]
        assert b"it is on its way back to you" in mail.content
        assert sender.run_once().sent == 0
        replica.sync()
        assert snapshot(replica.store) == snapshot(team.store)
        assert len(smtp_server.messages) == 1
        replica.client.close()
        replica.store.close()
    finally:
        stop()
