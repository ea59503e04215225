"""`deskterm sla ...`: due times explained, breaches recorded."""

from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None, help="SLA due times: explain, check, recompute.", no_args_is_help=True
)


@app.command()
def show(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(help="Ticket number.")],
    as_json: JsonOpt = False,
) -> None:
    """The policy, calendar and arithmetic behind each due time of a ticket."""
    c = ctx_of(ctx)
    lines = c.service().explain_sla(number)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"number": number, "explanation": lines})
    else:
        print("\n".join(lines))


@app.command()
def check(ctx: typer.Context) -> None:
    """Record every breach whose due time has passed (the app does this each minute)."""
    found = ctx_of(ctx).service().check_breaches()
    print(
        f"recorded breaches on {len(found)} ticket(s)"
        + (": " + " ".join(f"#{n}" for n in found) if found else "")
    )


@app.command()
def recompute(ctx: typer.Context) -> None:
    """Recompute due times of unresolved tickets after a policy change."""
    done = ctx_of(ctx).service().recompute_sla()
    print(f"recomputed {done} ticket(s)")
