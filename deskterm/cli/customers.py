"""`deskterm customers ...`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of
from deskterm.cli.paging import AfterOpt, AllOpt, LimitOpt, print_pages

if TYPE_CHECKING:
    from deskterm.store.queries.records import CustomerRecord

app = typer.Typer(rich_markup_mode=None, help="Customers and their tickets.", no_args_is_help=True)


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

    if after is not None and not after.isdigit():
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
