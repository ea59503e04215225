"""`deskterm assist ...`: the local, explainable help: its trained model and the tone."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None,
    help="Assist's model and tone: train, status, rebuild.",
    no_args_is_help=True,
)


@app.callback()
def assist() -> None:
    """Assist's model and tone: train, status, rebuild."""


@app.command("rebuild")
def rebuild(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Read urgency and mood of every ticket not read yet (a store older than them).

    New mail is read as it arrives; this catches up an older store, a chunk per
    transaction, so it can be stopped and run again.
    """
    from deskterm.store.service.tone import rebuild_tone

    store = ctx_of(ctx).store()
    with _progress("reading urgency and mood", quiet=as_json) as step:
        result = rebuild_tone(store, step)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"tickets": result.tickets, "urgent": result.urgent, "upset": result.upset})
        return
    print(
        f"read {result.tickets:,} tickets: {result.urgent:,} urgent, {result.upset:,} upset"
        if result.tickets
        else "every ticket's urgency and mood is read already"
    )


@contextmanager
def _progress(what: str, *, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (none in JSON mode or off a terminal): yields its step."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet or not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(what, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@app.command("train")
def train(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Learn from the solved tickets which words go with which tag, group and canned
    reply, how priority follows urgent or upset mail, and how common each indexed
    word is (the weights of similar tickets).

    Writes the model beside the store (`NAME.assist.json`); nothing leaves the
    machine. The app trains it again in the background once enough tickets were
    solved since.
    """
    from deskterm.assist.model import model_path
    from deskterm.store.assist_model import train as train_model

    store = ctx_of(ctx).store()
    with _progress("counting solved tickets", quiet=as_json) as step:
        model = train_model(store, progress=step)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"path": str(model_path(store.path)), **model.to_json()})
        return
    print("\n".join(model.summary()))
    print(f"saved {model_path(store.path)}")


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Where the model is, when it was trained, what it learned, and whether it is due."""
    from deskterm.assist.model import model_path
    from deskterm.store.assist_model import model_due, model_for, tone_unread, too_little_history

    store = ctx_of(ctx).store()
    model = model_for(store.path)
    short = too_little_history(store.read())
    due = model_due(store)
    unread = tone_unread(store.read())
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({
            "path": str(model_path(store.path)),
            "model": None if model is None else model.to_json(),
            "too_little_history": short,
            "due": due,
            "tone_unread": unread,
        })  # fmt: skip
        return
    if model is None:
        print(f"no model at {model_path(store.path)}: `deskterm assist train` makes one")
    else:
        print(f"{model_path(store.path)}, trained {model.trained_at}")
        print("\n".join(model.summary()))
        if due:
            print("due again: many tickets were solved since (the app retrains in the background)")
    if short is not None:
        print(short)
    if unread:
        print(
            f"{unread:,} tickets' urgency and mood were never read (a store from before them):"
            " training leaves them out; `deskterm assist rebuild` reads them"
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
    if found.too_little_history is not None:
        print(found.too_little_history)
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
        why = [f"{c.confidence:.0%}"]
        if c.tickets:
            why.append("used on " + ", ".join(f"#{n}" for n in c.tickets))
        if c.words:
            why.append("words " + ", ".join(c.words))
        print(f"suggested canned reply: {c.name} ({'; '.join(why)})")
    if found.draft is not None:
        from deskterm.safetext import clean

        print(f"\nno canned reply fits; the reply that solved #{found.draft.number}:\n")
        print(clean(found.draft.body))
