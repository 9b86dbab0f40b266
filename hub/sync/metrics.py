"""The sync's figures in the hub's Prometheus registry (read live from its status)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.sync.status import SyncStatus


class SyncCollector(Collector):
    """Gauges and counters of the sync, computed from the status at each scrape."""

    def __init__(self, status: Callable[[], SyncStatus]) -> None:
        self._status = status

    def collect(self) -> Iterator[Metric]:
        s = self._status()

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, value=value)

        def stamp(value: object) -> float:
            return float(value.timestamp()) if hasattr(value, "timestamp") else 0.0

        yield gauge("cimaise_sync_enabled", "1 when a cloud URL is set.", float(s.enabled))
        yield gauge("cimaise_sync_backlog_events", "Events waiting to be synced.", s.backlog)
        yield gauge(
            "cimaise_sync_backlog_flows", "Flow counts waiting to be synced.", s.flow_backlog
        )
        yield gauge(
            "cimaise_sync_last_success_timestamp_seconds",
            "Unix time of the last delivered batch (0: never).",
            stamp(s.last_success),
        )
        yield gauge(
            "cimaise_sync_next_try_timestamp_seconds",
            "Unix time of the next attempt after a failure (0: none planned).",
            stamp(s.next_try),
        )
        yield gauge("cimaise_sync_failures", "Failed attempts in a row.", s.failures)
        yield gauge("cimaise_sync_halted", "1 when sync stopped until fixed.", float(s.halted))
        yield gauge("cimaise_sync_parked_batches", "Batches refused for good.", s.parked)
        yield gauge("cimaise_sync_healthy", "1 when sync is off or working.", float(s.healthy))
        yield gauge("cimaise_disk_budget_bytes", "The store's disk budget.", s.disk_budget_bytes)
        yield gauge(
            "cimaise_disk_used_bytes", "Bytes the store uses in its file.", s.disk_used_bytes
        )
        yield gauge(
            "cimaise_disk_budget_exceeded",
            "1 when unsynced events alone exceed the disk budget.",
            float(s.budget_exceeded),
        )
        yield CounterMetricFamily(
            "cimaise_sync_batches", "Batches delivered since start.", value=s.sent_batches
        )
        yield CounterMetricFamily(
            "cimaise_sync_records", "Records delivered since start.", value=s.sent_records
        )
        yield CounterMetricFamily(
            "cimaise_privacy_pseudonyms_purged",
            "Visit pseudonyms purged since start.",
            value=s.pseudonyms_purged,
        )
