"""Prometheus metrics of the controller loop, named as upstream Beskar7 names them.

Every manager owns a fresh `Metrics` (its own `CollectorRegistry`), so several managers in one
process (tests) never collide. Names are `beskar7_controller_<name>`. The kinds' own metrics
(hosts, machines, clusters) are in controllers/metrics.py, on the same registry.
"""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

NAMESPACE = "beskar7"
SUBSYSTEM = "controller"
CONTENT_TYPE = CONTENT_TYPE_LATEST

OUTCOME_SUCCESS = "success"
OUTCOME_ERROR = "error"
OUTCOME_REQUEUE = "requeue"
OUTCOME_NOT_FOUND = "not_found"


def counter(registry: CollectorRegistry, name: str, doc: str, labels: Sequence[str]) -> Counter:
    """A `beskar7_controller_<name>` counter."""
    return Counter(name, doc, labels, namespace=NAMESPACE, subsystem=SUBSYSTEM, registry=registry)


def gauge(registry: CollectorRegistry, name: str, doc: str, labels: Sequence[str]) -> Gauge:
    """A `beskar7_controller_<name>` gauge."""
    return Gauge(name, doc, labels, namespace=NAMESPACE, subsystem=SUBSYSTEM, registry=registry)


class Metrics:
    """The controller loop's metrics of one manager, and the registry the /metrics endpoint
    serves; attributes are the metric names without the prefix."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._controller_metrics()

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format (`CONTENT_TYPE`)."""
        return generate_latest(self.registry)

    def record_reconcile(
        self, controller: str, namespace: str, outcome: str, seconds: float
    ) -> None:
        self.reconciliation_total.labels(controller, outcome, namespace).inc()
        self.reconciliation_duration_seconds.labels(controller, outcome, namespace).observe(seconds)

    def _counter(self, name: str, doc: str, labels: Sequence[str]) -> Counter:
        return counter(self.registry, name, doc, labels)

    def _gauge(self, name: str, doc: str, labels: Sequence[str]) -> Gauge:
        return gauge(self.registry, name, doc, labels)

    def _controller_metrics(self) -> None:
        self.reconciliation_total = self._counter(
            "reconciliation_total",
            "Reconciles run, by controller and outcome.",
            ("controller", "outcome", "namespace"),
        )
        self.reconciliation_duration_seconds = Histogram(
            "reconciliation_duration_seconds",
            "How long one reconcile took, by controller and outcome.",
            ("controller", "outcome", "namespace"),
            namespace=NAMESPACE,
            subsystem=SUBSYSTEM,
            registry=self.registry,
        )
        self.errors_total = self._counter(
            "errors_total",
            "Reconcile errors, by controller and error type.",
            ("controller", "error_type", "namespace"),
        )
        self.requeue_total = self._counter(
            "requeue_total",
            "Keys put back on a controller's queue, by reason.",
            ("controller", "reason", "namespace"),
        )
        self.workqueue_depth = self._gauge(
            "workqueue_depth", "Keys waiting in a controller's work queue.", ("controller",)
        )
