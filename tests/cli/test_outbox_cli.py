"""The commands: `reply` queues mail, `outbox ls|cancel|retry`, `send` once."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.clock import Clock
from helpers.outbox import SUPPORT, mail_service, settings_for, ticket_from_mail
from helpers.smtp import SmtpServer

from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import utcnow


def test_reply_ls_cancel_send(
    store: Store, smtp_server: SmtpServer, tmp_path: Path, run_cli
) -> None:
    service = mail_service(store, utcnow, settings_for(smtp_server))
    number = ticket_from_mail(service)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[agent]\nname = "Sam Lee"\nemail = "sam@desk.test"\n\n'
        # an undo window no loaded machine outlasts between `reply` and `send`
        "[mail]\nundo_seconds = 3600\n\n"
        f'[[mailbox]]\naddress = "{SUPPORT}"\nname = "Example Support"\n'
        f'smtp_host = "{smtp_server.host}"\nsmtp_port = {smtp_server.port}\n'
        'smtp_security = "plain"\n'
    )
    base = ("--config", str(config), "--db", str(store.path))
    attachment = tmp_path / "notes.txt"
    attachment.write_text("see here")
    done = run_cli(
        *base, "reply", str(number), "--body", "Try this.", "--attach", str(attachment), "--json"
    )
    assert done.returncode == 0, done.stderr
    outbox_id = json.loads(done.stdout)["outbox_id"]
    done = run_cli(*base, "outbox", "ls", "--json")
    (row,) = json.loads(done.stdout)
    assert (row["id"], row["state"], row["recipients"]) == (
        outbox_id,
        "waiting",
        ["ana@customer.test"],
    )
    assert row["until"] is not None
    # `send` delivers what is due now: nothing yet (undo window), and says so.
    done = run_cli(*base, "send")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sent 0, retrying 0, failed 0; 1 still queued (next due ")
    done = run_cli(*base, "outbox", "cancel", str(outbox_id))
    assert (done.returncode, done.stdout) == (0, "Try this.\n")
    assert outbox_queries.list_outbox(store) == []
    done = run_cli(*base, "outbox", "cancel", str(outbox_id))
    assert done.returncode == 1 and done.stderr.startswith("deskterm: no outbox entry")
    assert smtp_server.messages == []


def test_send_delivers_due_mail(
    store: Store, clock: Clock, smtp_server: SmtpServer, tmp_path: Path, run_cli
) -> None:
    service = mail_service(store, utcnow, settings_for(smtp_server, undo_seconds=0))
    number = ticket_from_mail(service)
    service.add_reply(number, "Now.")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[mailbox]]\naddress = "{SUPPORT}"\nsmtp_host = "{smtp_server.host}"\n'
        f'smtp_port = {smtp_server.port}\nsmtp_security = "plain"\n'
    )
    done = run_cli("--config", str(config), "--db", str(store.path), "send", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == 1
    assert len(smtp_server.messages) == 1
