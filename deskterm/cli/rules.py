"""`deskterm rules ...`: list, replay on past tickets, run the time rules."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

app = typer.Typer(
    rich_markup_mode=None,
    help="Automation rules: list, test on history, run.",
    no_args_is_help=True,
)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The configured rules, in the order they are checked."""
    rules = ctx_of(ctx).ruleset().rules
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(
            [
                {
                    "name": r.name,
                    "trigger": r.trigger.value,
                    "query": str(r.query),
                    "enabled": r.enabled,
                    "actions": {k: v for k, v in vars(r.actions).items() if v},
                }
                for r in rules
            ]
        )
        return
    from deskterm.cli.output import table

    table(
        ("name", "trigger", "when", "on"),
        (
            (r.name, r.trigger.value, str(r.query) or "-", "yes" if r.enabled else "no")
            for r in rules
        ),
        (28, 16, 44, 3),
    )


def _since(text: str | None) -> datetime:
    from deskterm.errors import UsageError

    if text is None:
        return datetime.now(UTC) - timedelta(days=30)
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"--since {text!r}: use YYYY-MM-DD") from None


@app.command("test")
def test(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Tickets created since (YYYY-MM-DD; default 30 days ago).")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay past tickets through the rules and print what each would have changed.

    Nothing is written.
    """
    from deskterm.errors import UsageError
    from deskterm.store.queries.rule_replay import replay

    c = ctx_of(ctx)
    ruleset = c.ruleset()
    if rule and rule not in {r.name for r in ruleset.rules}:
        raise UsageError(f"no rule named {rule!r} (see `deskterm rules list`)")
    found = replay(c.store(), ruleset, _since(since), rule)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([r.to_json() for r in found])
        return
    from deskterm.cli.output import table

    table(
        ("#", "when", "trigger", "rule", "would change"),
        (
            (f"#{r.number}", f"{r.at:%Y-%m-%d %H:%M}", r.trigger, r.rule, "; ".join(r.changes))
            for r in found
        ),
        (8, 16, 16, 24, 60),
    )


@app.command("run")
def run(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check the time rules now (the app and server do this every minute)."""
    fired = ctx_of(ctx).service().run_time_rules()
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([{"rule": f.rule, "number": f.number, "changes": list(f.changes)} for f in fired])
    else:
        for f in fired:
            print(f"#{f.number}: {f.rule}: {'; '.join(f.changes) or 'no change'}")
        print(f"{len(fired)} firing(s)")
