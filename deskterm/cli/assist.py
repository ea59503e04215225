"""`deskterm assist ...`: the local, explainable help (urgency and mood for now)."""

import sys
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None,
    help="Urgency and mood of tickets: read them for an older store.",
    no_args_is_help=True,
)


@app.callback()
def assist() -> None:
    """Urgency and mood of tickets: read them for an older store."""


@app.command("rebuild")
def rebuild(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Read urgency and mood of every ticket not read yet (a store older than them).

    New mail is read as it arrives; this catches up an older store, a chunk per
    transaction, so it can be stopped and run again.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from deskterm.store.service.tone import rebuild_tone

    store = ctx_of(ctx).store()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=as_json or not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("reading urgency and mood", total=None)
        result = rebuild_tone(
            store, lambda done, total: progress.update(task, completed=done, total=total)
        )
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"tickets": result.tickets, "urgent": result.urgent, "upset": result.upset})
        return
    print(
        f"read {result.tickets:,} tickets: {result.urgent:,} urgent, {result.upset:,} upset"
        if result.tickets
        else "every ticket's urgency and mood is read already"
    )


def suggest(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="The ticket to find solved tickets like.")],
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Solved tickets like ticket N, best first, each with why it was picked."""
    from deskterm.store.queries.similar import list_similar

    found = list_similar(ctx_of(ctx).store(), number, limit)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"number": number, "similar": [s.to_json() for s in found]})
        return
    if not found:
        print(f"no solved ticket is like #{number} yet")
        return
    from deskterm.cli.output import table

    table(
        ("#", "score", "subject", "why"),
        ((s.number, f"{s.score:.2f}", s.subject, "; ".join(s.reasons)) for s in found),
        (8, 5, 40, 70),
    )
