"""What every request handler needs, kept on the app: the store and how to build a service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from deskterm.config import KbConfig, SurveyConfig
from deskterm.server.feed import ChangeFeed
from deskterm.server.metrics import ServerMetrics
from deskterm.server.pages.article_cache import ArticlePages
from deskterm.server.pages.view_counts import ViewCounts
from deskterm.server.rate_limit import FormLimits
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor, Service

ServiceFactory = Callable[[Actor], Service]


@dataclass
class ServerState:
    """One running server: its store, its service factory (config applied), its metrics,
    and the live feed its event streams wait on."""

    store: Store
    make_service: ServiceFactory
    metrics: ServerMetrics = field(default_factory=ServerMetrics)
    form_limits: FormLimits = field(default_factory=FormLimits)
    pages: KbConfig = field(default_factory=KbConfig)  # the public pages' name, logo, theme
    survey: SurveyConfig = field(default_factory=SurveyConfig)  # how long survey links last
    feed: ChangeFeed = field(init=False)
    kb_views: ViewCounts = field(init=False)  # public article views, written once a second
    article_pages: ArticlePages = field(default_factory=ArticlePages)  # rendered, kept

    def __post_init__(self) -> None:
        self.feed = ChangeFeed(self.store)
        self.kb_views = ViewCounts(self.make_service)

    @classmethod
    def plain(cls, store: Store) -> ServerState:
        """A server whose services run without SLA policies, rules or outgoing mail."""
        return cls(store, lambda actor: Service(store, actor))


def server_state(request: Request) -> ServerState:
    state = request.app.state.deskterm
    assert isinstance(state, ServerState)
    return state


def store_of(request: Request) -> Store:
    return server_state(request).store
