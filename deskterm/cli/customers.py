"""`deskterm customers ...`."""

from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(rich_markup_mode=None, help="Customers and their tickets.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Text in email, name, org.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    after: Annotated[int | None, typer.Option(help="Continue after this customer id.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Customers in the order they were first seen."""
    from deskterm.store.queries.catalog import list_customers

    rows = list_customers(ctx_of(ctx).store(), text=query, after=after, limit=limit)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([r.to_json() for r in rows])
        return
    from deskterm.cli.output import table

    table(
        ("id", "email", "name", "organization", "tickets", "open"),
        (
            (r.id, r.email, r.name, r.organization or "-", r.ticket_count, r.open_count)
            for r in rows
        ),
        (7, 32, 24, 20, 7, 5),
    )


@app.command()
def show(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(help="Email address or customer id.")],
    as_json: JsonOpt = False,
) -> None:
    """A customer, their organization and their latest tickets."""
    from deskterm.store.queries.catalog import get_customer
    from deskterm.store.queries.tickets import list_customer_tickets

    store = ctx_of(ctx).store()
    customer = get_customer(store, int(who) if who.isdigit() else who)
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
    print_ticket_rows(tickets)
