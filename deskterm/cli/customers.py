"""`deskterm customers ...`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import JsonOpt, address, ctx_of
from deskterm.cli.paging import AfterOpt, AllOpt, LimitOpt, print_pages

if TYPE_CHECKING:
    from deskterm.store.queries.records import CustomerRecord

app = typer.Typer(rich_markup_mode=None, help="Customers and their tickets.", no_args_is_help=True)

WhoArg = Annotated[str, typer.Argument(help="Email address or customer id.")]


def _key(who: str) -> int | str:
    return int(who) if who.isdecimal() else who


@app.command("list")
def list_(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Text in email, name, org.")
    ] = None,
    limit: LimitOpt = 50,
    after: AfterOpt = None,
    all_pages: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Customers in the order they were first seen."""
    from deskterm.cli.output import table
    from deskterm.errors import UsageError
    from deskterm.store.queries.catalog import list_customers

    if after is not None and not after.isdecimal():
        raise UsageError(f"--after {after!r}: not a cursor from `customers list`")
    store = ctx_of(ctx).store()

    def fetch(cursor: str | None) -> tuple[list[CustomerRecord], str | None]:
        rows = list_customers(
            store, text=query, after=int(cursor) if cursor else None, limit=limit + 1
        )
        more = len(rows) > limit
        return rows[:limit], str(rows[limit - 1].id) if more else None

    def print_rows(rows: Sequence[CustomerRecord], header: bool) -> None:
        table(
            ("id", "email", "name", "organization", "tickets", "open"),
            (
                (r.id, r.email, r.name, r.organization or "-", r.ticket_count, r.open_count)
                for r in rows
            ),
            (7, 32, 24, 20, 7, 5),
            header=header,
        )

    print_pages(
        fetch,
        after,
        all_pages=all_pages,
        as_json=as_json,
        to_json=lambda row: row.to_json(),
        print_rows=print_rows,
    )


@app.command()
def show(
    ctx: typer.Context,
    who: WhoArg,
    as_json: JsonOpt = False,
) -> None:
    """A customer, their organization, the agents' note and their latest tickets."""
    from deskterm.store.queries.catalog import get_customer
    from deskterm.store.queries.tickets import list_customer_tickets

    store = ctx_of(ctx).store()
    customer = get_customer(store, _key(who))
    tickets = list_customer_tickets(store, customer.id)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({**customer.to_json(), "tickets": [t.to_json() for t in tickets]})
        return
    from deskterm.cli.tickets import print_ticket_rows
    from deskterm.safetext import line

    org = f" · {line(customer.organization)}" if customer.organization else ""
    print(f"{line(customer.name)} <{line(customer.email)}>{org}")
    print(f"{customer.ticket_count} tickets, {customer.open_count} unresolved\n")
    if customer.note:
        from deskterm.safetext import clean

        print(f"note:\n{clean(customer.note)}\n")
    print_ticket_rows(tickets)


@app.command()
def edit(
    ctx: typer.Context,
    who: WhoArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    email: Annotated[str | None, typer.Option(help="New address.", callback=address)] = None,
    org: Annotated[
        str | None, typer.Option(help="Organization id, name or domain ('' for none).")
    ] = None,
) -> None:
    """Change a customer's name, address or organization."""
    from deskterm.errors import UsageError
    from deskterm.store.service.tickets import UNSET

    if name is None and email is None and org is None:
        raise UsageError("nothing to change: give --name, --email or --org")
    c = ctx_of(ctx)
    org_id = UNSET
    if org is not None:
        from deskterm.store.queries.catalog import get_organization

        org_id = get_organization(c.store(), _key(org.strip())).id if org.strip() else None
    customer_id = c.service().edit_customer(_key(who), name=name, email=email, org_id=org_id)
    print(f"customer {customer_id} saved")


@app.command()
def note(
    ctx: typer.Context,
    who: WhoArg,
    body: Annotated[str | None, typer.Option(help="The note ('' clears it).")] = None,
    body_file: Annotated[
        Path | None, typer.Option(help="Read the note from PATH, - for stdin.")
    ] = None,
) -> None:
    """Keep a note about a customer (replacing the last); agents see it beside their tickets."""
    from deskterm.cli.common import read_body

    customer_id = ctx_of(ctx).service().set_customer_note(_key(who), read_body(body_file, body))
    print(f"customer {customer_id}: note saved")


@app.command()
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The duplicate: email or id.")],
    target: Annotated[str, typer.Argument(help="The customer it becomes part of.")],
    as_json: JsonOpt = False,
) -> None:
    """Make SOURCE part of TARGET: its tickets, messages and note move; its address stays
    TARGET's, so later mail from it lands there too."""
    moved = ctx_of(ctx).service().merge_customers(_key(source), _key(target))
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"source": source, "target": target, "tickets": moved})
        return
    shown = ", ".join(f"#{n}" for n in moved[:20]) + (" …" if len(moved) > 20 else "")
    print(
        f"{source} merged into {target}: {len(moved)} tickets moved{': ' if moved else ''}{shown}"
    )
