"""PhysicalHost metrics: hosts per state, availability, BMC connections and power operations."""

from collections import Counter

from beskar7.api.physicalhost import HostState
from beskar7.controllers.hoststatus import Observation
from beskar7.metrics import Metrics

OUTCOME_SUCCESS = "success"
OUTCOME_ERROR = "error"


class HostStats:
    """Keeps the per-state gauges true as hosts change state or go away."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._states: dict[tuple[str, str], str] = {}

    def state(self, namespace: str, name: str, state: HostState | None) -> None:
        self._states[(namespace, name)] = str(state or "")
        self._publish(namespace)

    def forget(self, namespace: str, name: str) -> None:
        if self._states.pop((namespace, name), None) is not None:
            self._publish(namespace)

    def connection(self, namespace: str, seen: Observation) -> None:
        if seen.failure is None:
            labels = (OUTCOME_SUCCESS, namespace, "")
        else:
            labels = (OUTCOME_ERROR, namespace, seen.failure.reason)
        self.metrics.physicalhost_redfish_connections_total.labels(*labels).inc()

    def power(self, namespace: str, operation: str, *, ok: bool) -> None:
        outcome = OUTCOME_SUCCESS if ok else OUTCOME_ERROR
        self.metrics.physicalhost_power_operations_total.labels(operation, outcome, namespace).inc()

    def _publish(self, namespace: str) -> None:
        counts = Counter(s for (ns, _), s in self._states.items() if ns == namespace)
        for state in HostState:
            if state:
                gauge = self.metrics.physicalhost_states_total.labels(str(state), namespace)
                gauge.set(counts.get(str(state), 0))
        total = sum(counts.values())
        available = counts.get(str(HostState.AVAILABLE), 0)
        share = available / total if total else 0.0
        self.metrics.physicalhost_availability.labels(namespace).set(share)
