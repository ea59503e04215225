"""`deskterm watch`: the server's live stream on stdout, a line per change (NDJSON with --json)."""

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

if TYPE_CHECKING:
    from deskterm.channels.live import LiveEvent
    from deskterm.channels.sync import SyncOffline
    from deskterm.cli.context import Context


def _server(c: "Context", url: str | None) -> tuple[str, str]:
    """The server (--url, a replica's server, else `[server] url`) and the agent's token."""
    from deskterm.channels.sync import resolve_token, token_file
    from deskterm.errors import UsageError

    path = c.store_path()
    if url is None and path.exists():
        from deskterm.store.queries.replica import get_state

        url = get_state(c.store()).get("server_url")
    url = url or c.config.server.url
    if not url:
        raise UsageError("no server to watch: pass --url URL, or run it on a joined replica")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"bad server URL {url!r}: it starts with http:// or https://")
    return url, resolve_token(c.config.server.token_command, token_file(path))


def _print(event: "LiveEvent", as_json: bool) -> None:
    from deskterm.safetext import line

    if as_json:
        from deskterm.cli.output import json_text

        print(json_text(event.to_json()), flush=True)
    elif event.kind == "ticket":
        d = event.data
        who = d["assignee"] or "unassigned"
        print(
            f"#{d['number']} {d['status']} {d['priority']} {line(who)}"
            f" {d['message_count']} msg: {line(d['subject'])}",
            flush=True,
        )
    elif event.kind == "presence":
        names = ", ".join(f"{line(p['name'])} ({p['state']})" for p in event.data["agents"])
        print(f"#{event.data['number']} now: {names or 'nobody'}", flush=True)


def _offline(exc: "SyncOffline") -> None:
    print(f"deskterm: {exc}; retrying", file=sys.stderr, flush=True)


def watch(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="The server (default: this replica's, or [server] url).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Start after this event id (or a sync cursor), not at the present."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print what changes on the server as it happens, until interrupted (reconnects itself)."""
    from deskterm.channels.live import EventStream

    c = ctx_of(ctx)
    server, token = _server(c, url)
    stream = EventStream(server, token, since=since)
    if not as_json:
        print(f"watching {server} (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        for event in stream.events(offline=_offline):
            _print(event, as_json)
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
