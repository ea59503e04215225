"""The shared server: a thin FastAPI layer over the same service layer as the app and CLI.

`create_app` builds the ASGI app from a store and a service factory; `deskterm serve`
runs it under uvicorn. Every change a request makes goes through the service layer,
so rules, SLA and the outbox run exactly as they do in solo mode.
"""

from deskterm.server.app import create_app
from deskterm.server.deps import ServerState

__all__ = ["ServerState", "create_app"]
