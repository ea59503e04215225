"""`deskterm groups ...`: agent groups, which tickets are routed to and rules assign within."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None, help="Agent groups: list, add, rm, members.", no_args_is_help=True
)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every group, its members and its unresolved tickets."""
    from deskterm.store.queries.catalog import list_groups

    groups = list_groups(ctx_of(ctx).store())
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([g.to_json() for g in groups])
        return
    from deskterm.cli.output import table

    table(
        ("name", "open", "members"),
        ((g.name, g.open_count, ", ".join(g.members) or "-") for g in groups),
        (20, 6, 70),
    )


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Group name.")],
    member: Annotated[
        list[str] | None, typer.Option(help="Agent (email or name) to add; repeatable.")
    ] = None,
) -> None:
    """Create a group (or add members to an existing one)."""
    from deskterm.errors import UsageError

    if not name.strip():
        raise UsageError("a group needs a name")
    ctx_of(ctx).service().add_group(name.strip(), member or [])
    print(f"group {name.strip()!r} saved")


@app.command()
def rm(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Group name.")],
) -> None:
    """Remove a group; its tickets keep their assignee and lose the group."""
    moved = ctx_of(ctx).service().remove_group(name)
    print(f"group {name!r} removed; {moved} ticket(s) had it")


@app.command()
def members(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Group name.")],
    add: Annotated[list[str] | None, typer.Option(help="Agent to add; repeatable.")] = None,
    remove: Annotated[list[str] | None, typer.Option(help="Agent to remove; repeatable.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a group's members; --add/--remove change them (all or nothing)."""
    from deskterm.errors import NotFoundError
    from deskterm.store.queries.catalog import list_groups

    c = ctx_of(ctx)
    if add or remove:
        c.service().set_members(name, add or [], remove or [])
    found = [g for g in list_groups(c.store()) if g.name.lower() == name.strip().lower()]
    if not found:
        raise NotFoundError(f"no group {name!r} (see `deskterm groups list`)")
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(list(found[0].members))
        return
    for email in found[0].members:
        print(email)
