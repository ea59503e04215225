"""`deskterm views ...`: the queue views the app shows on keys 1-9, and stored ones."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None, help="Queue views: list, show, add, rm.", no_args_is_help=True
)


def _json(index: int, view: object) -> dict[str, object]:
    from deskterm.views import KEYED, ViewDef

    assert isinstance(view, ViewDef)
    return {
        "number": index,
        "key": str(index) if index <= KEYED else None,
        "name": view.name,
        "query": view.query,
        "source": view.source,
        "meaning": view.meaning or None,
    }


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every view in key order: built-in, then [[views]] from the config, then stored ones."""
    views = ctx_of(ctx).views()
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([_json(i, v) for i, v in enumerate(views, 1)])
        return
    from deskterm.cli.output import table

    table(
        ("#", "name", "source", "query"),
        ((i, v.name, v.source, v.query) for i, v in enumerate(views, 1)),
        (3, 20, 9, 60),
    )


@app.command()
def show(
    ctx: typer.Context,
    view: Annotated[str, typer.Argument(help="A view by name or number.")],
    as_json: JsonOpt = False,
) -> None:
    """A view's query and, for a built-in one, what it holds."""
    from deskterm.views import find_view

    views = ctx_of(ctx).views()
    found = find_view(views, view)
    index = views.index(found) + 1
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(_json(index, found))
        return
    from deskterm.safetext import line

    print(f"{index}  {line(found.name)}  ({found.source})")
    print(f"query:   {line(found.query)}")
    if found.meaning:
        print(f"meaning: {found.meaning}")


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name shown in the view bar.")],
    query: Annotated[str, typer.Argument(help="Query syntax, as in search.")],
) -> None:
    """Store a view (after the built-in and configured ones); the app shows it on next start."""
    ctx_of(ctx).service().save_view(name.strip(), query)
    print(f"view {name.strip()!r} saved")


@app.command()
def rm(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A stored view's name.")],
) -> None:
    """Remove a stored view."""
    ctx_of(ctx).service().remove_view(name)
    print(f"view {name!r} removed")
