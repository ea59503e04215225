"""The `deskterm` command: thin Typer commands over the store and the app.

Imports stay lazy: `deskterm --help` must not load SQLAlchemy or Textual, and a
listing must not load SQLAlchemy (reads use sqlite3 directly).
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli import canned, customers, messages, rules, setup, sla, tickets
from deskterm.cli import mail as mail_cli
from deskterm.cli import outbox as outbox_cli
from deskterm.cli.context import Context

app = typer.Typer(
    name="deskterm",
    help="A keyboard-first help desk that lives in the terminal.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(tickets.app, name="tickets")
app.add_typer(canned.app, name="canned")
app.add_typer(customers.app, name="customers")
app.add_typer(setup.agent_app, name="agent")
app.add_typer(sla.app, name="sla")
app.add_typer(rules.app, name="rules")
app.command("search")(tickets.search)
app.command("reply")(messages.reply)
app.command("note")(messages.note)
app.command("init")(setup.init)
app.command("demo")(setup.demo)
app.command("fetch")(mail_cli.fetch)
app.command("import")(mail_cli.import_)
app.command("reingest")(mail_cli.reingest)
app.add_typer(mail_cli.quarantine_app, name="quarantine")
app.add_typer(mail_cli.thread_app, name="thread")
app.command("send")(outbox_cli.send)
app.add_typer(outbox_cli.app, name="outbox")


def _version(value: bool) -> None:
    if value:
        from deskterm import __version__

        print(f"deskterm {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="DESKTERM_CONFIG", help="Config file (TOML)."),
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", envvar="DESKTERM_DB", help="Store file (SQLite).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Open the app on the configured store (or run a command below)."""
    context = Context(config, db)
    ctx.obj = context
    ctx.call_on_close(context.close)
    if ctx.invoked_subcommand is None:
        from deskterm.app import run_app

        run_app(context.store().path, context.config)


def main() -> None:
    """Console entry point: expected failures become one line on stderr.

    Click (standalone) handles usage errors, --help, Ctrl-C and broken pipes.
    """
    from deskterm.errors import DesktermError

    try:
        app()
    except DesktermError as exc:
        print(f"deskterm: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
