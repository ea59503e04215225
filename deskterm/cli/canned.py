"""`deskterm canned ...`: templates with placeholders and actions."""

from pathlib import Path
from typing import Annotated, Any

import typer

from deskterm.cli.common import JsonOpt, ctx_of, read_body

app = typer.Typer(
    rich_markup_mode=None,
    help="Canned replies: list, add, edit, lint, render.",
    no_args_is_help=True,
)

_StatusOpt = Annotated[str | None, typer.Option(help="Action: set this status.")]
_PriorityOpt = Annotated[str | None, typer.Option(help="Action: set this priority.")]
_TagOpt = Annotated[list[str] | None, typer.Option("--add-tag", help="Action: add a tag.")]
_AssignOpt = Annotated[str | None, typer.Option(help="Action: assign (agent or 'me').")]


def _actions(
    status: str | None, priority: str | None, tags: list[str] | None, assign: str | None
) -> dict[str, Any]:
    actions: dict[str, Any] = {}
    if status:
        actions["status"] = status
    if priority:
        actions["priority"] = priority
    if tags:
        actions["add_tags"] = tags
    if assign:
        actions["assign"] = assign
    return actions


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every canned reply."""
    from deskterm.store.queries.catalog import list_canned

    replies = list_canned(ctx_of(ctx).store())
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([r.to_json() for r in replies])
        return
    from deskterm.cli.output import table

    table(
        ("name", "actions", "first line"),
        (
            (r.name, _describe(r.actions), r.body.strip().splitlines()[0] if r.body.strip() else "")
            for r in replies
        ),
        (24, 30, 60),
    )


def _describe(actions: dict[str, Any]) -> str:
    return (
        ", ".join(
            f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in sorted(actions.items())
        )
        or "-"
    )


@app.command()
def show(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """One canned reply's template and actions."""
    from deskterm.store.queries.catalog import get_canned

    reply = get_canned(ctx_of(ctx).store(), name)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(reply.to_json())
        return
    print(f"{reply.name}  ({_describe(reply.actions)})\n")
    print(reply.body)


@app.command()
def add(
    ctx: typer.Context,
    name: str,
    body: Annotated[str | None, typer.Option(help="The template.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Template file, - for stdin.")] = None,
    status: _StatusOpt = None,
    priority: _PriorityOpt = None,
    add_tag: _TagOpt = None,
    assign: _AssignOpt = None,
) -> None:
    """Add a canned reply (Jinja placeholders like {{ customer.first_name }})."""
    text = read_body(body_file, body)
    ctx_of(ctx).service().save_canned(name, text, _actions(status, priority, add_tag, assign))
    _warn(text)
    print(f"added {name}")


@app.command()
def edit(
    ctx: typer.Context,
    name: str,
    body: Annotated[str | None, typer.Option(help="The new template.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Template file, - for stdin.")] = None,
    status: _StatusOpt = None,
    priority: _PriorityOpt = None,
    add_tag: _TagOpt = None,
    assign: _AssignOpt = None,
    clear_actions: Annotated[bool, typer.Option(help="Drop every action.")] = False,
) -> None:
    """Change a canned reply's template and/or actions."""
    from deskterm.store.queries.catalog import get_canned

    c = ctx_of(ctx)
    current = get_canned(c.store(), name)
    text = read_body(body_file, body) if (body is not None or body_file) else current.body
    actions = {} if clear_actions else dict(current.actions)
    actions.update(_actions(status, priority, add_tag, assign))
    c.service().save_canned(name, text, actions, create=False)
    _warn(text)
    print(f"saved {name}")


def _warn(text: str) -> None:
    import sys

    from deskterm.canned import lint

    for problem in lint(text):
        print(f"deskterm: warning: {problem}", file=sys.stderr)


@app.command()
def rm(ctx: typer.Context, name: str) -> None:
    """Delete a canned reply."""
    ctx_of(ctx).service().remove_canned(name)
    print(f"removed {name}")


@app.command()
def lint(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Replies to check (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Report syntax errors and unknown placeholders, with their line. Exit 1 if any."""
    from deskterm import canned
    from deskterm.store.queries.catalog import get_canned, list_canned

    store = ctx_of(ctx).store()
    replies = [get_canned(store, n) for n in names] if names else list_canned(store)
    found = [(r.name, p) for r in replies for p in canned.lint(r.body)]
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([{"name": n, "line": p.line, "message": p.message} for n, p in found])
    else:
        for name, problem in found:
            print(f"{name}:{problem.line}: {problem.message}")
        if not found:
            print(f"{len(replies)} canned repl{'y' if len(replies) == 1 else 'ies'}: no problems")
    if found:
        raise typer.Exit(1)


@app.command()
def render(
    ctx: typer.Context,
    name: str,
    ticket: Annotated[int, typer.Option(help="Fill the placeholders from this ticket.")],
    as_json: JsonOpt = False,
) -> None:
    """Print a canned reply as it would be sent on a ticket (nothing is written)."""
    body, actions = ctx_of(ctx).service().render_canned(ticket, name)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"name": name, "ticket": ticket, "body": body, "actions": actions})
    else:
        from deskterm.safetext import clean

        print(clean(body), end="" if body.endswith("\n") else "\n")
