"""The Beskar7Cluster metrics: ready and not-ready clusters per namespace, failure domains."""

from beskar7.controllers.metrics import KindMetrics


class ClusterStats:
    """Keeps the cluster gauges true as clusters change or go away."""

    def __init__(self, metrics: KindMetrics) -> None:
        self.metrics = metrics
        self._ready: dict[tuple[str, str], bool] = {}

    def state(self, namespace: str, name: str, ready: bool, domains: int) -> None:
        self._ready[(namespace, name)] = ready
        self.metrics.beskar7cluster_failure_domains_total.labels(name, namespace).set(domains)
        self._publish(namespace)

    def forget(self, namespace: str, name: str) -> None:
        if self._ready.pop((namespace, name), None) is not None:
            self.metrics.beskar7cluster_failure_domains_total.remove(name, namespace)
            self._publish(namespace)

    def discovery(self, namespace: str, outcome: str) -> None:
        self.metrics.beskar7cluster_failure_domain_discovery_total.labels(outcome, namespace).inc()

    def _publish(self, namespace: str) -> None:
        ready = [r for (ns, _), r in self._ready.items() if ns == namespace]
        for value in (True, False):
            gauge = self.metrics.beskar7cluster_states_total.labels(str(value).lower(), namespace)
            gauge.set(sum(1 for r in ready if r == value))
