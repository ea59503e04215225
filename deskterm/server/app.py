"""The app factory: routers, error answers and request metrics over one `ServerState`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request, Response

from deskterm import __version__
from deskterm.server import errors
from deskterm.server.deps import ServerState
from deskterm.server.nul_guard import refuse_nul
from deskterm.server.pages import assets, contact
from deskterm.server.pages import kb as kb_pages
from deskterm.server.routes import (
    canned,
    events,
    forms,
    health,
    people,
    presence,
    sync,
    tickets,
)
from deskterm.store.queries.outbox import count_outbox


def create_app(state: ServerState) -> FastAPI:
    """A server over `state.store`; every write goes through `state.make_service`."""
    app = FastAPI(
        title="deskterm",
        version=__version__,
        description="The shared help desk server: REST API for integrations and replicas.",
        dependencies=[Depends(refuse_nul)],
    )
    app.state.deskterm = state
    errors.install(app)
    for module in (
        health,
        tickets,
        people,
        canned,
        forms,
        sync,
        events,
        presence,
        kb_pages,
        contact,
        assets,
    ):
        app.include_router(module.router)
    state.metrics.watch_outbox(lambda: count_outbox(state.store))

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        if request.method != "GET":
            state.feed.poke()  # it may have written: streams hear of it now, not at the next poll
        route = request.scope.get("route")
        # The route's template (/api/v1/tickets/{number}), never the raw path: bounded labels.
        name = getattr(route, "path", "unmatched")
        state.metrics.latency.labels(name).observe(time.perf_counter() - start)
        state.metrics.requests.labels(request.method, name, str(response.status_code)).inc()
        return response

    return app
