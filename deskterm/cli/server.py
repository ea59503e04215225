"""`deskterm serve`: the shared server on this machine's store."""

from typing import Annotated

import typer

from deskterm.cli.common import ctx_of

STREAMS_CLOSE_S = 3  # at shutdown, open event streams get this long, then they are cut


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    database: Annotated[
        str | None,
        typer.Option(help="The store: a SQLite file or postgresql+psycopg://user@host/db."),
    ] = None,
) -> None:
    """Run the shared server: REST API, /healthz, /metrics, web form, team mail, help pages."""
    import uvicorn

    from deskterm.server import ServerState, create_app
    from deskterm.server.background import ServerLog
    from deskterm.store.service import Actor

    c = ctx_of(ctx)
    if database is not None:
        c.db_arg = database
    store = c.store(create=True)
    c.service_for(Actor.system())  # a bad config fails here in one line, not on a request
    state = ServerState(store, c.service_for, pages=c.config.kb, survey=c.config.survey)
    runtime = c.runtime()
    log = ServerLog(state.metrics)
    runtime.start(log, fetched=log.fetched, led=log.led)
    print(f"deskterm serve: {store.where} on http://{host}:{port}", flush=True)
    try:
        uvicorn.run(
            create_app(state),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=STREAMS_CLOSE_S,  # live streams never end by themselves
        )
    finally:
        runtime.stop()
