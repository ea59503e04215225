"""`deskterm block` and `unblock`: senders whose mail is quarantined, with the reason."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

SenderArg = Annotated[str, typer.Argument(help="An address, or a domain (@example.com).")]


def block(
    ctx: typer.Context,
    sender: Annotated[
        str | None, typer.Argument(help="An address, or a domain (@example.com).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why; shown on each quarantined mail.")] = "",
    list_: Annotated[bool, typer.Option("--list", help="List the blocked senders.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Quarantine mail from a sender or domain from now on; --list shows who is blocked."""
    from deskterm.errors import UsageError

    c = ctx_of(ctx)
    if list_:
        from deskterm.store.queries.blocks import list_blocked

        rows = list_blocked(c.store())
        if as_json:
            from deskterm.cli.output import emit_json

            emit_json([r.to_json() for r in rows])
            return
        from deskterm.cli.output import age, table

        table(
            ("sender", "age", "reason"),
            ((r.sender, age(r.created_at), r.reason) for r in rows),
            (36, 5, 60),
        )
        return
    if sender is None:
        raise UsageError("give a SENDER to block, or --list")
    key = c.service().block_sender(sender, reason)
    print(f"blocked {key}: its mail goes to `deskterm quarantine ls`")


def unblock(ctx: typer.Context, sender: SenderArg) -> None:
    """Take mail from SENDER again (what was quarantined stays there until retried)."""
    key = ctx_of(ctx).service().unblock_sender(sender)
    print(f"unblocked {key}")
