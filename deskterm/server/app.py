"""The app factory: routers, error answers and request metrics over one `ServerState`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deskterm import __version__
from deskterm.server import errors
from deskterm.server.deps import ServerState
from deskterm.server.nul_guard import refuse_nul
from deskterm.server.pages import assets, contact, survey
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
from deskterm.store.queries.sync import replicas_seen
from deskterm.store.schema.timefmt import utcnow


def create_app(state: ServerState) -> FastAPI:
    """A server over `state.store`; every write goes through `state.make_service`."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.feed.start()  # on PostgreSQL: LISTEN for the other processes' news
        try:
            yield
        finally:
            await state.feed.stop()
            state.kb_views.flush()  # the last second's article views

    app = FastAPI(
        lifespan=lifespan,
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
        survey,
        assets,
    ):
        app.include_router(module.router)
    state.metrics.watch_outbox(lambda: count_outbox(state.store))
    state.metrics.listening.set_function(lambda: float(state.feed.listening))
    state.metrics.watch_replicas(lambda: replicas_seen(state.store, utcnow()))

    app.add_middleware(_Measure, state=state)
    return app


class _Measure:
    """Request metrics, and a poke to the live feed after a write.

    Plain ASGI rather than `@app.middleware("http")`: that one passes each chunk of a
    streaming response through a task and a queue, and every event to every open
    stream paid for it.
    """

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = self.state

        async def measured(message: Message) -> None:
            if message["type"] == "http.response.start":
                if scope["method"] != "GET":
                    state.feed.poke()  # it may have written: streams hear of it now
                # The route's template (/api/v1/tickets/{number}), never the raw path.
                name = getattr(scope.get("route"), "path", "unmatched")
                state.metrics.latency.labels(name).observe(time.perf_counter() - start)
                status = str(message["status"])
                state.metrics.requests.labels(scope["method"], name, status).inc()
            await send(message)

        await self.app(scope, receive, measured)
