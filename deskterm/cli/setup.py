"""`deskterm init`, `deskterm demo` and `deskterm agent ...`."""

from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.common import JsonOpt, address, ctx_of

agent_app = typer.Typer(
    rich_markup_mode=None, help="Agents: add, list, away, role, revoke.", no_args_is_help=True
)


def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Your name, as customers see it.")] = "",
    email: Annotated[str, typer.Option(help="Your agent address.", callback=address)] = "",
    force: Annotated[bool, typer.Option(help="Overwrite an existing config.")] = False,
) -> None:
    """Write a starter config (from config.example.toml) and create the store."""
    from deskterm.config import config_path, example_text
    from deskterm.errors import ConfigError

    c = ctx_of(ctx)
    path, _named = config_path(c.config_arg)
    if path.exists() and not force:
        raise ConfigError(f"{path}: a config exists already (use --force to replace it)")
    text = example_text()
    if name:
        text = text.replace(
            'name = ""                       # example: "Sam Lee"', f"name = {_toml(name)}", 1
        )
    if email:
        text = text.replace(
            'email = ""                      # example: "sam@example.com"',
            f"email = {_toml(email)}",
            1,
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the config ({exc.strerror})") from exc
    c.config_arg = path
    store = c.store(create=True)
    if email:
        c.actor()  # adds you as an agent
    print(f"config: {path}")
    print(f"store:  {store.where}")


def _toml(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def demo(
    ctx: typer.Context,
    tickets: Annotated[int, typer.Option(min=1, max=5_000_000, help="How many tickets.")] = 2000,
    no_tui: Annotated[bool, typer.Option("--no-tui", help="Build, print the path, exit.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    path: Annotated[
        Path | None, typer.Option(help="Where to build (default: one per seed and size, reused).")
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Build anew even if one was built today.")] = False,
) -> None:
    """Build a realistic demo store in a throwaway place and open the app on it.

    With `--db postgresql+psycopg://...` (an empty database): build it there, for
    `deskterm serve --database` to serve to a team.
    """
    import sys

    from deskterm.demo import places
    from deskterm.errors import UsageError

    location = ctx_of(ctx).store_location()
    if isinstance(location, str):
        _build_demo_database(location, tickets, seed)
        return
    if path is not None:
        target = path.expanduser()
        if target.exists():
            raise UsageError(f"{target}: exists; demo builds a new store (pick another --path)")
        _build_demo(target, target, tickets, seed)
    else:
        folder = places.demo_folder(seed, tickets)
        if fresh or not places.reusable(folder):
            building = places.building_folder(folder)
            _build_demo(building / places.STORE_NAME, folder / places.STORE_NAME, tickets, seed)
            target = places.finish(building, folder)
        else:
            target = folder / places.STORE_NAME
            print(
                f"reusing the demo store built today (--fresh builds anew): {target}",
                file=sys.stderr,
            )
        for old in places.clean_old(keep=folder):
            print(f"removed an old demo store: {old}", file=sys.stderr)
    config_path = target.with_suffix(".toml")
    print(target)
    print(f"use it from the CLI: export DESKTERM_CONFIG={config_path}", file=sys.stderr)
    if no_tui:
        return
    from deskterm.app import run_app
    from deskterm.config import load_config

    run_app(target, load_config(config_path))


def _build_demo(target: Path, final: Path, tickets: int, seed: int) -> None:
    """Build the store at `target` (to be moved to `final`), write its config beside it
    and bring it to life."""
    from deskterm.cli.context import Context
    from deskterm.cli.output import progress_bar
    from deskterm.cli.report import report_calendar
    from deskterm.demo.build import build_demo
    from deskterm.demo.live import make_live, write_config
    from deskterm.sla.settings import settings_from_config

    live = Context(write_config(target, final), str(target))
    with progress_bar("building demo tickets", tickets) as update:
        build_demo(
            target, tickets, seed=seed, progress=update, report_calendar=report_calendar(live),
            sla=settings_from_config(live.config.sla),
        )  # fmt: skip
    try:
        make_live(live.service())
    finally:
        live.close()


def _build_demo_database(url: str, tickets: int, seed: int) -> None:
    """The demo's tickets, people and history in an empty PostgreSQL database, bulk-loaded
    (no demo config: `serve` runs with the team's own)."""
    import sys

    from deskterm.cli.output import progress_bar
    from deskterm.demo.build import build_demo
    from deskterm.store.schema.urls import shown

    with progress_bar("building demo tickets", tickets) as update:
        build_demo(url, tickets, seed=seed, progress=update)
    print(shown(url))
    print(f"serve it to a team: deskterm serve --database {shown(url)}", file=sys.stderr)


@agent_app.command("add")
def agent_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Display name.")],
    email: Annotated[str, typer.Option(help="Agent address.", callback=address)],
    role: Annotated[str, typer.Option(help="agent or admin.")] = "agent",
    as_json: JsonOpt = False,
) -> None:
    """Add an agent; prints their API token once (only its hash is stored)."""
    c = ctx_of(ctx)
    c.store(create=True)  # the first admin of a new team server comes before its store
    agent_id, token = c.service().add_agent(name, email, role)
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"id": agent_id, "email": email.lower(), "token": token})
    else:
        print(token)


@agent_app.command("list")
def agent_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every agent."""
    from deskterm.store.queries.catalog import list_agents

    agents = list_agents(ctx_of(ctx).store())
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json([a.to_json() for a in agents])
        return
    from deskterm.cli.output import table

    table(
        ("name", "email", "role", "away"),
        ((a.name, a.email, a.role, "yes" if a.away else "") for a in agents),
        (22, 32, 6, 4),
    )
