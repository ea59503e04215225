"""The `deskterm` command: thin Typer commands over the store and the app.

Imports stay lazy: `deskterm --help` must not load SQLAlchemy or Textual, and a
listing must not load SQLAlchemy (reads use sqlite3 directly).
"""

import gc
import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from deskterm.cli.context import Context

# Every subcommand: (module, attribute, the help line `deskterm --help` shows).
# Modules are imported only when their command runs, which keeps start-up short;
# a test checks each line against the command's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "tickets": ("deskterm.cli.tickets", "app", "List, show and change tickets."),
    "search": (
        "deskterm.cli.tickets",
        "search",
        "Search tickets with the query syntax (same as `/` in the app).",
    ),
    "reply": (
        "deskterm.cli.messages",
        "reply",
        "Answer the customer (with --canned, its actions run too).",
    ),
    "note": ("deskterm.cli.messages", "note", "Add an internal note (never sent to the customer)."),
    "canned": ("deskterm.cli.canned", "app", "Canned replies: list, add, edit, lint, render."),
    "kb": (
        "deskterm.cli.kb",
        "app",
        "Knowledge base: list, show, add, edit, rm, search, import, export, stats.",
    ),
    "customers": ("deskterm.cli.customers", "app", "Customers and their tickets."),
    "agent": (
        "deskterm.cli.agent_admin",
        "agent_app",
        "Agents: add, list, away, role, revoke.",
    ),
    "groups": ("deskterm.cli.groups", "app", "Agent groups: list, add, rm, members."),
    "orgs": ("deskterm.cli.orgs", "app", "Organizations: list, show, add, edit."),
    "views": ("deskterm.cli.views", "app", "Queue views: list, show, add, rm."),
    "sla": ("deskterm.cli.sla", "app", "SLA due times: explain, check, recompute."),
    "rules": ("deskterm.cli.rules", "app", "Automation rules: list, test on history, run."),
    "assist": (
        "deskterm.cli.assist",
        "app",
        "Assist's model and tone: train, status, rebuild.",
    ),
    "suggest": (
        "deskterm.cli.assist",
        "suggest",
        "Solved tickets like ticket N with why, and the canned reply (or draft) they suggest.",
    ),
    "report": (
        "deskterm.cli.report",
        "report",
        "The support KPIs of a period: volume, reply times, SLA, backlog, FCR, time.",
    ),
    "fetch": (
        "deskterm.cli.mail",
        "fetch",
        "Pull new mail from every [[mailbox]] over IMAP into tickets.",
    ),
    "import": (
        "deskterm.cli.mail",
        "import_",
        "Take mail from files into tickets, through the same pipeline as fetch.",
    ),
    "reingest": (
        "deskterm.cli.mail",
        "reingest",
        "Parse stored raw mail again and update messages in place (after a parser fix).",
    ),
    "quarantine": (
        "deskterm.cli.mail",
        "quarantine_app",
        "Mails that could not be parsed or came from a blocked sender, kept whole.",
    ),
    "export": (
        "deskterm.cli.export",
        "export",
        "Tickets with their messages as JSON Lines or CSV, streamed, with a progress bar.",
    ),
    "block": (
        "deskterm.cli.blocks",
        "block",
        "Quarantine mail from a sender or domain from now on; --list shows who is blocked.",
    ),
    "unblock": (
        "deskterm.cli.blocks",
        "unblock",
        "Take mail from SENDER again (what was quarantined stays there until retried).",
    ),
    "thread": (
        "deskterm.cli.mail",
        "thread_app",
        "Which threading rule put a mail where it is (or would put a file), and why.",
    ),
    "send": (
        "deskterm.cli.outbox",
        "send",
        "Deliver the outgoing mail that is due now, then report what still waits.",
    ),
    "outbox": ("deskterm.cli.outbox", "app", "Outgoing mail: what waits, what failed."),
    "serve": (
        "deskterm.cli.server",
        "serve",
        "Run the shared server: REST API, /healthz, /metrics, web form, team mail, help pages.",
    ),
    "join": (
        "deskterm.cli.sync",
        "join",
        "Make this store a replica of a team server and pull everything into it.",
    ),
    "sync": (
        "deskterm.cli.sync",
        "sync",
        "Push the changes made here, pull what changed on the server; print what moved.",
    ),
    "status": (
        "deskterm.cli.sync",
        "status",
        "Online or offline, queued changes, last sync, the server's version.",
    ),
    "watch": (
        "deskterm.cli.watch",
        "watch",
        "Print what changes on the server as it happens, until interrupted (reconnects itself).",
    ),
    "init": (
        "deskterm.cli.setup",
        "init",
        "Write a starter config (from config.example.toml) and create the store.",
    ),
    "demo": (
        "deskterm.cli.setup",
        "demo",
        "Build a realistic demo store in a throwaway place and open the app on it.",
    ),
}


class LazyGroup(TyperGroup):
    """The root command: subcommands are built from their module on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, _help = COMMANDS[cmd_name]
            target = getattr(importlib.import_module(module), attribute)
            if not isinstance(target, typer.Typer):
                single = typer.Typer(rich_markup_mode=None, add_completion=False)
                single.command(cmd_name)(target)
                target = single
            command = typer.main.get_command(target)
            command.name = cmd_name
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, help_) for name, (_m, _a, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    cls=LazyGroup,
    name="deskterm",
    help="A keyboard-first help desk that lives in the terminal.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
        str | None,
        typer.Option(
            "--db",
            envvar="DESKTERM_DB",
            help="Store: a SQLite file, or a PostgreSQL URL (postgresql+psycopg://...).",
        ),
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
    """Console entry point: every failure becomes one line on stderr.

    Click runs outside standalone mode so its usage errors (unknown option,
    missing argument) print as `deskterm: ...` with exit 2 like ours, not as
    Click's four-line block.
    """
    try:
        _run()
    finally:
        # The command is done and its store closed. Python's exit would now collect
        # the whole heap (SQLAlchemy, pydantic, the models: ~0.2 s of CPU, a quarter
        # of a write); frozen, the objects are just freed as the process ends.
        gc.freeze()


def _run() -> None:
    from deskterm.errors import DesktermError

    # The Click Typer runs on (Typer 0.28 vendors its own copy): its error classes.
    click = importlib.import_module(typer.BadParameter.__module__)
    try:
        code = app(standalone_mode=False)
    except DesktermError as exc:
        _fail(str(exc), exc.exit_code)
    except click.NoArgsIsHelpError as exc:
        exc.show()  # `deskterm tickets` alone: the group's help, as asked
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "deskterm"
        _fail(f"{exc.format_message().rstrip('.')} (see `{command} -h`)", exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        _fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Click would.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    code = code if isinstance(code, int) else 0
    if code == 0:
        from deskterm.cli.context import print_notes

        print_notes()
    sys.exit(code)


def _fail(message: str, code: int) -> None:
    print(f"deskterm: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)
