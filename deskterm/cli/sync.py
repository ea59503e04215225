"""`deskterm join`, `deskterm sync` and `deskterm status`: this store as a replica of a server."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deskterm.cli.common import JsonOpt, ctx_of

if TYPE_CHECKING:
    from deskterm.channels.sync import Replica, SyncReport
    from deskterm.cli.context import Context


def _replica(c: "Context") -> "Replica":
    from deskterm.channels.sync import Replica, SyncClient, resolve_token, token_file
    from deskterm.errors import UsageError
    from deskterm.store.queries.replica import get_state

    store = c.store()
    state = get_state(store)
    if "server_url" not in state:
        raise UsageError(f"{store.path}: not a replica; `deskterm join URL --token T` makes one")
    token = resolve_token(c.config.server.token_command, token_file(store.path))
    return Replica(store, SyncClient(state["server_url"], token), c.service)


def _print_report(report: "SyncReport", as_json: bool) -> None:
    import sys

    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(report.to_json())
        return
    from deskterm.safetext import line

    print(
        f"pushed {report.pushed} change(s), pulled {report.pulled} ticket(s),"
        f" {report.queued} still queued"
    )
    for notice in report.notices:
        print(f"notice: {line(notice)}", file=sys.stderr)


def join(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The server, e.g. http://desk.example.com:8765")],
    token: Annotated[
        str | None, typer.Option(help="Your agent token (else DESKTERM_TOKEN or token_command).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make this store a replica of a team server and pull everything into it."""
    from deskterm.channels.sync import join as join_server
    from deskterm.channels.sync import resolve_token, save_token, token_file
    from deskterm.cli.output import progress_bar
    from deskterm.errors import UsageError

    c = ctx_of(ctx)
    path = c.store_path()
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"bad server URL {url!r}: it starts with http:// or https://")
    secret = token or resolve_token(c.config.server.token_command, token_file(path))
    with progress_bar("first pull", None) as bar:
        replica, me, report = join_server(
            url, secret, lambda: c.store(create=True), lambda _store: c.service, bar
        )
    if token and not c.config.server.token_command:
        save_token(path, token)
    _write_config(c, url, path)
    replica.client.close()
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json({"server": url, "agent": me["email"], "store": str(path)} | report.to_json())
    else:
        print(f"joined {url} as {me['email']}: {report.pulled} ticket(s) in {path}")


def _write_config(c: "Context", url: str, path: Path) -> None:
    """`[server] url` (and the store path) into the config, so `deskterm sync` finds both."""
    from deskterm.config import config_path, example_text
    from deskterm.errors import ConfigError

    target, _named = config_path(c.config_arg)
    text = target.read_text(encoding="utf-8") if target.exists() else example_text()
    text = _set(text, "server", "url", url)
    if c.config.store.path is None:
        text = _set(text, "store", "path", str(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the config ({exc.strerror})") from exc


def _set(text: str, section: str, key: str, value: str) -> str:
    """Set `key` in `[section]` of a TOML text, keeping everything else as written."""
    import json
    import re

    entry = f"{key} = {json.dumps(value, ensure_ascii=False)}"
    header = re.search(rf"^\[{section}\]\s*$", text, re.M)
    if header is None:
        return text.rstrip("\n") + f"\n\n[{section}]\n{entry}\n"
    end = re.search(r"^\[", text[header.end() :], re.M)
    stop = header.end() + (end.start() if end else len(text) - header.end())
    body = text[header.end() : stop]
    found = re.search(rf"^#?\s*{key}\s*=.*$", body, re.M)
    if found is None:
        body = f"\n{entry}" + body
    else:
        body = body[: found.start()] + entry + body[found.end() :]
    return text[: header.end()] + body + text[stop:]


def sync(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option(help="Keep syncing every few seconds.")] = False,
    every: Annotated[float, typer.Option(min=0.5, help="Seconds between syncs (--watch).")] = 5.0,
    as_json: JsonOpt = False,
) -> None:
    """Push the changes made here, pull what changed on the server; print what moved."""
    from deskterm.channels.sync import SyncOffline

    replica = _replica(ctx_of(ctx))
    try:
        while True:
            try:
                _print_report(replica.sync(), as_json)
            except SyncOffline as exc:
                if not watch:
                    raise
                import sys

                print(f"deskterm: {exc}; retrying", file=sys.stderr)
            if not watch:
                break
            time.sleep(every)  # the poll interval itself, not a wait for a state
    finally:
        replica.client.close()


def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Online or offline, queued changes, last sync, the server's version."""
    from deskterm.errors import SyncError
    from deskterm.store.queries.replica import get_state, queued_ops

    c = ctx_of(ctx)
    replica = _replica(c)
    state = get_state(replica.store)
    info: dict[str, Any] = {
        "server": state["server_url"],
        "agent": state.get("agent_email"),
        "queued": len(queued_ops(replica.store)),
        "last_sync": state.get("last_sync_at"),
        "last_error": state.get("last_error") or None,
        "cursor": int(state.get("cursor", "-1")),
    }
    try:
        health = replica.client.health()
        info |= {"online": True, "server_version": health["version"], "reason": None}
    except SyncError as exc:
        info |= {"online": False, "server_version": state.get("server_version"), "reason": str(exc)}
    finally:
        replica.client.close()
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(info)
        return
    from deskterm.safetext import line

    where = "online" if info["online"] else f"offline ({line(info['reason'])})"
    print(f"{line(info['server'])}: {where}, server version {info['server_version'] or '?'}")
    print(f"queued changes: {info['queued']}; last sync: {info['last_sync'] or 'never'}")
    if info["last_error"]:
        print(f"last error: {line(info['last_error'])}")
