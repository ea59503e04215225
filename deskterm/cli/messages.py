"""`deskterm reply` and `deskterm note`."""

from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of, read_body

_BodyOpt = Annotated[str | None, typer.Option(help="The text.")]
_BodyFileOpt = Annotated[Path | None, typer.Option(help="File with the text, - for stdin.")]


def _done(number: int, message_id: int, as_json: bool) -> None:
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"number": number, "message_id": message_id})
    else:
        print(message_id)


def reply(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    canned: Annotated[str | None, typer.Option(help="Reply with this canned reply.")] = None,
    body: _BodyOpt = None,
    body_file: _BodyFileOpt = None,
    status: Annotated[str | None, typer.Option(help="Also set this status.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer the customer (with --canned, its actions run too)."""
    service = ctx_of(ctx).service()
    if canned:
        text = read_body(body_file, body) if (body or body_file) else None
        message_id = service.apply_canned(number, canned, body=text)
        if status:
            service.set_status(number, status)
    else:
        message_id = service.add_reply(number, read_body(body_file, body), status=status)
    _done(number, message_id, as_json)


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
