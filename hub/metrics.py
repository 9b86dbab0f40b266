"""The hub's Prometheus metrics, in a registry of its own per application."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class HubMetrics:
    """Counters and histograms of ingest and the store; also the store's commit observer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.ingest_events = Counter(
            "cimaise_ingest_events", "Events received, by result.", ["result"], registry=r
        )
        self.ingest_requests = Counter(
            "cimaise_ingest_requests", "Ingest requests, by HTTP status.", ["status"], registry=r
        )
        self.batch_events = Histogram(
            "cimaise_ingest_batch_events",
            "Events per ingest request.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
            registry=r,
        )
        self.commit_rows = Histogram(
            "cimaise_store_commit_events",
            "Events per store commit (group commit of concurrent requests).",
            buckets=(0, 1, 10, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
            registry=r,
        )
        self.commit_seconds = Histogram(
            "cimaise_store_commit_seconds",
            "Time to run and commit one group of writes.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
            registry=r,
        )
        self.devices_online = Gauge(
            "cimaise_devices_online", "Devices that sent a heartbeat recently.", registry=r
        )
        self.devices_enrolled = Gauge(
            "cimaise_devices_enrolled", "Active (not revoked) devices.", registry=r
        )
        self.store_bytes = Gauge(
            "cimaise_store_bytes", "Size of the store on disk (database and WAL).", registry=r
        )
        # label children bound once: ingest asks for them on every request
        self.accepted = self.ingest_events.labels("accepted")
        self.duplicate = self.ingest_events.labels("duplicate")
        self.rejected = self.ingest_events.labels("rejected")
        self.requests_ok = self.ingest_requests.labels("200")
        self.store_available = Gauge(
            "cimaise_store_available", "1 when the store commits, 0 when it cannot.", registry=r
        )

    def committed(self, jobs: int, rows: int, seconds: float) -> None:
        """Store observer: one group of ``jobs`` writes with ``rows`` events committed."""
        self.commit_rows.observe(rows)
        self.commit_seconds.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
