"""`deskterm send [--watch]` and `deskterm outbox ls|cancel|retry`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None, help="Outgoing mail: what waits, what failed.", no_args_is_help=True
)


@app.command("ls")
def list_(
    ctx: typer.Context,
    state: Annotated[
        list[str] | None,
        typer.Option(
            help="Only this state (repeatable): waiting, sending, sent, retrying, failed."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Outgoing mail, newest first, with its state (and the server's reply if it failed)."""
    from deskterm.store.queries.outbox import list_outbox

    states = [s.strip().lower() for value in state or () for s in value.split(",") if s.strip()]
    rows = list_outbox(ctx_of(ctx).store(), states=states, limit=limit)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([r.to_json() for r in rows])
        return
    from deskterm.cli.output import table

    table(
        ("id", "ticket", "kind", "to", "state"),
        (
            (r.id, f"#{r.ticket_number}", r.kind, ", ".join(r.recipients), r.describe())
            for r in rows
        ),
        (6, 8, 13, 28, 90),
    )


@app.command()
def cancel(
    ctx: typer.Context,
    outbox_id: Annotated[int, typer.Argument(metavar="ID", help="Outbox entry id.")],
) -> None:
    """Take back a mail that has not gone out; prints its text."""
    text = ctx_of(ctx).service().cancel(outbox_id)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
def retry(
    ctx: typer.Context,
    outbox_id: Annotated[int, typer.Argument(metavar="ID", help="Outbox entry id.")],
) -> None:
    """Try a failed (or retrying) mail again at the next `deskterm send`."""
    ctx_of(ctx).service().retry(outbox_id)


def send(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option(help="Keep sending as mail becomes due.")] = False,
    interval: Annotated[float, typer.Option(min=0.01, help="Seconds between passes.")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Deliver the outgoing mail that is due now, then report what still waits."""
    from deskterm.channels.sender import SendReport
    from deskterm.errors import UsageError

    context = ctx_of(ctx)
    context.store()  # open (and migrate) before the sender reads it
    if context.runtime().replica:
        raise UsageError(f"{context.store_path()}: a replica: the team server sends the mail")
    sender = context.runtime().sender()

    def show(report: SendReport) -> None:
        if as_json:
            from deskterm.cli.output import emit_json
            from deskterm.store.schema.timefmt import iso

            emit_json(
                {
                    "sent": report.sent,
                    "retrying": report.retrying,
                    "failed": report.failed,
                    "queued": report.waiting,
                    "next_due": iso(report.next_due),
                    "errors": report.errors,
                }
            )
        else:
            print(report.summary())
            for error in report.errors:
                print(f"deskterm: {error}", file=sys.stderr)
        sys.stdout.flush()

    if not watch:
        try:
            show(sender.run_once())
        finally:
            sender.release()
        return
    import threading

    stop = threading.Event()

    def on_report(report: SendReport) -> None:
        if report.sent or report.retrying or report.failed or report.errors:
            show(report)

    try:
        sender.watch(stop, interval=interval, on_report=on_report)
    except KeyboardInterrupt:
        stop.set()
