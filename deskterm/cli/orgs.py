"""`deskterm orgs ...`: organizations, which customers join by their mail domain."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None, help="Organizations: list, show, add, edit.", no_args_is_help=True
)

SHOWN = 200  # customers `show` lists (`customers list -q NAME --all` pages through all)
OrgArg = Annotated[str, typer.Argument(help="Organization id, name or domain.")]


def _key(value: str) -> int | str:
    return int(value) if value.isdecimal() else value


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every organization with its customers and unresolved tickets."""
    from deskterm.store.queries.catalog import list_organizations

    orgs = list_organizations(ctx_of(ctx).store())
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([o.to_json() for o in orgs])
        return
    from deskterm.cli.output import table

    table(
        ("id", "name", "domain", "customers", "open"),
        ((o.id, o.name, o.domain or "-", o.customer_count, o.open_count) for o in orgs),
        (6, 30, 28, 9, 5),
    )


@app.command()
def show(ctx: typer.Context, org: OrgArg, as_json: JsonOpt = False) -> None:
    """An organization and its customers."""
    from deskterm.store.queries.catalog import get_organization, list_customers

    store = ctx_of(ctx).store()
    found = get_organization(store, _key(org))
    members = [
        c
        for c in list_customers(store, text=found.name, limit=1000)
        if c.organization == found.name
    ]
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({**found.to_json(), "customers": [c.to_json() for c in members]})
        return
    from deskterm.cli.output import table
    from deskterm.safetext import line

    print(f"{line(found.name)} · {found.domain or 'no domain'}")
    more = f" (the first {SHOWN} below)" if found.customer_count > SHOWN else ""
    print(f"{found.customer_count} customers{more}, {found.open_count} unresolved tickets\n")
    table(
        ("id", "email", "name", "tickets", "open"),
        ((c.id, c.email, c.name, c.ticket_count, c.open_count) for c in members),
        (7, 32, 24, 7, 5),
    )


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Organization name.")],
    domain: Annotated[str | None, typer.Option(help="Mail domain; its customers join.")] = None,
) -> None:
    """Add an organization; existing customers at --domain join it."""
    from deskterm.errors import UsageError

    if not name.strip():
        raise UsageError("an organization needs a name")
    org_id = ctx_of(ctx).service().add_organization(name.strip(), domain)
    print(org_id)


@app.command()
def edit(
    ctx: typer.Context,
    org: OrgArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    domain: Annotated[str | None, typer.Option(help="New domain ('' clears it).")] = None,
) -> None:
    """Rename an organization or change its domain."""
    from deskterm.errors import UsageError

    if name is None and domain is None:
        raise UsageError("nothing to change: give --name or --domain")
    org_id = ctx_of(ctx).service().edit_organization(_key(org), name, domain)
    print(f"organization {org_id} saved")
