"""Prometheus figures of one server: requests and latencies, sync, fetch and send, the outbox.

Each server has its own registry (not the process-wide default), so two servers in one
process, as in the tests and the bench, never mix their counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Latency buckets around the goals (p99 <= 200 ms for a sync or a read).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0)
# Sync lag: a second while online, minutes to days for work done offline.
_LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0, 3600.0, 86400.0)


class _StoreGauge(Collector):
    """A gauge by one label, read from the store at scrape time (never stale)."""

    def __init__(
        self, name: str, documentation: str, label: str, read: Callable[[], dict[str, int]]
    ) -> None:
        self._name, self._documentation, self._label = name, documentation, label
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self._name, self._documentation, labels=[self._label])
        for value, count in self._read().items():
            family.add_metric([value], count)
        yield family


class ServerMetrics:
    """The counters and histograms a server updates as it works."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "deskterm_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "deskterm_http_request_seconds",
            "Time to answer a request",
            ["route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )

        self.ops_applied = Counter(
            "deskterm_sync_ops_applied", "Replica ops the server ran", registry=self.registry
        )
        self.sync_lag = Histogram(
            "deskterm_sync_lag_seconds",
            "From a change made on a replica (its clock) to the server applying it",
            buckets=_LAG_BUCKETS,
            registry=self.registry,
        )
        self.streams = Gauge(
            "deskterm_event_streams", "Clients connected to /api/v1/events", registry=self.registry
        )
        self.listening = Gauge(
            "deskterm_feed_listening",
            "1 while LISTENing for commits of every process on the database (PostgreSQL)",
            registry=self.registry,
        )
        self.leader = Gauge(
            "deskterm_leader",
            "1 while this process is the one that fetches, sends and runs the minute loop",
            registry=self.registry,
        )
        self.fetched = Counter(
            "deskterm_fetch_mails",
            "Mails the server fetched, by mailbox and where they went",
            ["mailbox", "outcome"],
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "deskterm_fetch_errors",
            "Failed fetch passes (login refused, connection lost), by mailbox",
            ["mailbox"],
            registry=self.registry,
        )
        self.sent = Counter(
            "deskterm_mail_sent",
            "Outgoing mails by what the SMTP server answered",
            ["result"],
            registry=self.registry,
        )
        self.background_errors = Counter(
            "deskterm_background_errors",
            "Failures of the server's background work (minute loop, sender)",
            registry=self.registry,
        )

    def watch_outbox(self, read: Callable[[], dict[str, int]]) -> None:
        self.registry.register(
            _StoreGauge("deskterm_outbox_entries", "Outgoing mails by state", "state", read)
        )

    def watch_replicas(self, read: Callable[[], dict[str, int]]) -> None:
        self.registry.register(
            _StoreGauge(
                "deskterm_sync_replicas_seen",
                "Replicas that pushed or pulled within the last 5m, 1h or 1d",
                "within",
                read,
            )
        )
