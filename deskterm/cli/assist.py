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
    number: Annotated[int, typer.Argument(help="The ticket to suggest for.")],
    as_json: JsonOpt = False,
) -> None:
    """Solved tickets like ticket N with why, and the canned reply (or draft) they suggest."""
    from deskterm.store.queries.suggest import suggest as suggest_for

    found = suggest_for(ctx_of(ctx).store(), number)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"number": number, **found.to_json()})
        return
    if not found.similar:
        print(f"no solved ticket is like #{number} yet: nothing to suggest")
        return
    from deskterm.cli.output import table

    table(
        ("#", "score", "subject", "why"),
        ((s.number, f"{s.score:.2f}", s.subject, "; ".join(s.reasons)) for s in found.similar),
        (8, 5, 40, 70),
    )
    for c in found.canned:
        used = ", ".join(f"#{n}" for n in c.tickets)
        print(f"suggested canned reply: {c.name} ({c.confidence:.0%}, used on {used})")
    if found.draft is not None:
        from deskterm.safetext import clean

        print(f"\nno canned reply fits; the reply that solved #{found.draft.number}:\n")
        print(clean(found.draft.body))
