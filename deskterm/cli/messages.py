"""`deskterm reply` and `deskterm note`."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of, read_body
from deskterm.errors import UsageError

_BodyOpt = Annotated[str | None, typer.Option(help="The text.")]
_BodyFileOpt = Annotated[Path | None, typer.Option(help="File with the text, - for stdin.")]


def _done(number: int, message_id: int, as_json: bool, outbox_id: int | None = None) -> None:
    if as_json:
        from deskterm.cli.output import emit_json

        data: dict[str, int | None] = {"number": number, "message_id": message_id}
        if outbox_id is not None:
            data["outbox_id"] = outbox_id  # queued as mail: `deskterm send` delivers it
        emit_json(data)
    else:
        print(message_id)


def reply(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    canned: Annotated[str | None, typer.Option(help="Reply with this canned reply.")] = None,
    body: _BodyOpt = None,
    body_file: _BodyFileOpt = None,
    status: Annotated[str | None, typer.Option(help="Also set this status.")] = None,
    attach: Annotated[
        list[Path] | None, typer.Option(help="Attach this file (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer the customer (with --canned, its actions run too).

    On an email ticket with a [[mailbox]] configured the reply is queued as mail
    (`deskterm send` delivers it after the undo window; `deskterm outbox`).
    """
    service = ctx_of(ctx).service()
    outbox_id = None
    if canned:
        if attach:
            raise UsageError("--attach goes with a typed reply, not with --canned")
        text = read_body(body_file, body) if (body or body_file) else None
        message_id = service.apply_canned(number, canned, body=text)
        if status:
            service.set_status(number, status)
    else:
        message_id, outbox_id = service.send_reply(
            number, read_body(body_file, body), status=status, attachments=attach or ()
        )
    if outbox_id is None:
        from deskterm.store.queries.outbox import was_not_mailed
        from deskterm.store.service.sync_journal import is_replica
        from deskterm.vocab import NOT_MAILED_TEXT

        if is_replica(service.store):  # the server runs the reply again and mails it
            print(f"deskterm: #{number}: the server mails it at the next sync", file=sys.stderr)
        elif was_not_mailed(service.store, number, message_id):
            print(f"deskterm: #{number}: {NOT_MAILED_TEXT}", file=sys.stderr)
    _done(number, message_id, as_json, outbox_id)


def note(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    body: _BodyOpt = None,
    body_file: _BodyFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an internal note (never sent to the customer)."""
    message_id = ctx_of(ctx).service().add_note(number, read_body(body_file, body))
    _done(number, message_id, as_json)
