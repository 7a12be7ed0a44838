"""PhysicalHost metrics: hosts per state, availability, BMC connections, power operations and
inspections."""

from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime

from beskar7.api.physicalhost import HostState, InspectionPhase, PhysicalHostStatus
from beskar7.controllers.host.data import ActionResult, Observation, RedfishAction
from beskar7.controllers.metrics import KindMetrics

OUTCOME_SUCCESS = "success"
OUTCOME_ERROR = "error"
POWER_ACTIONS = frozenset({RedfishAction.POWER_ON, RedfishAction.POWER_OFF})


class HostStats:
    """Keeps the per-state gauges true as hosts change state or go away."""

    def __init__(self, metrics: KindMetrics) -> None:
        self.metrics = metrics
        self._states: dict[tuple[str, str], str] = {}

    def state(self, namespace: str, name: str, state: HostState | None) -> None:
        old = self._states.get((namespace, name))
        self._states[(namespace, name)] = str(state or "")
        if old is not None and old != str(state or ""):
            self._drop_state(namespace, name, old)
        if state:
            self.metrics.physicalhost_state.labels(namespace, name, str(state)).set(1)
        self._publish(namespace)

    def forget(self, namespace: str, name: str) -> None:
        old = self._states.pop((namespace, name), None)
        if old is not None:
            self._drop_state(namespace, name, old)
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

    def actions(self, namespace: str, results: Iterable[ActionResult]) -> None:
        """Count the power operations a reconcile sent (or tried to send)."""
        for result in results:
            if result.failure is not None and result.action in POWER_ACTIONS:
                self.power(namespace, str(result.action), ok=False)
            elif result.operation is not None:
                self.power(namespace, result.operation, ok=True)

    def inspection(
        self, namespace: str, old: PhysicalHostStatus, new: PhysicalHostStatus, now: datetime
    ) -> None:
        """An inspection that just completed, failed or timed out."""
        phase = new.inspection_phase
        if phase == old.inspection_phase or new.inspection_timestamp is None:
            return
        if phase == InspectionPhase.COMPLETE:
            seconds = max(0.0, (now - new.inspection_timestamp).total_seconds())
            self.metrics.inspection_duration_seconds.labels(namespace, OUTCOME_SUCCESS).observe(
                seconds
            )
        elif phase in (InspectionPhase.FAILED, InspectionPhase.TIMEOUT):
            self.metrics.inspection_failures_total.labels(namespace, str(phase)).inc()

    def _drop_state(self, namespace: str, name: str, state: str) -> None:
        if state:
            with suppress(KeyError):
                self.metrics.physicalhost_state.remove(namespace, name, state)

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
