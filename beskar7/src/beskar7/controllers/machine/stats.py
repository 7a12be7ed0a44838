"""Beskar7Machine metrics: machines per phase, provisioning durations and host claims."""

from collections import Counter

from beskar7.api.machine import MachinePhase
from beskar7.controllers.metrics import KindMetrics

OUTCOME_SUCCESS = "success"
OUTCOME_ERROR = "error"
OUTCOME_CONFLICT = "conflict"
CONFLICT_RESOURCE_VERSION = "resource_version"


class MachineStats:
    """Keeps the per-phase gauge true as machines change phase or go away."""

    def __init__(self, metrics: KindMetrics) -> None:
        self.metrics = metrics
        self._phases: dict[tuple[str, str], str] = {}

    def phase(self, namespace: str, name: str, phase: MachinePhase | None) -> None:
        self._phases[(namespace, name)] = str(phase or "")
        self._publish(namespace)

    def forget(self, namespace: str, name: str) -> None:
        if self._phases.pop((namespace, name), None) is not None:
            self._publish(namespace)

    def finished(self, namespace: str, *, ok: bool, seconds: float) -> None:
        """A machine reached Provisioned (ok) or Failed, `seconds` after its creation."""
        outcome = OUTCOME_SUCCESS if ok else OUTCOME_ERROR
        histogram = self.metrics.beskar7machine_provisioning_duration_seconds
        histogram.labels(outcome, namespace).observe(max(0.0, seconds))

    def claim(self, namespace: str, *, won: bool, seconds: float) -> None:
        outcome, reason = (
            (OUTCOME_SUCCESS, "") if won else (OUTCOME_CONFLICT, CONFLICT_RESOURCE_VERSION)
        )
        self.metrics.host_claim_attempts_total.labels(namespace, outcome, reason).inc()
        self.metrics.host_claim_duration_seconds.labels(namespace, outcome).observe(seconds)

    def _publish(self, namespace: str) -> None:
        counts = Counter(p for (ns, _), p in self._phases.items() if ns == namespace)
        for phase in MachinePhase:
            gauge = self.metrics.beskar7machine_states_total.labels(str(phase), namespace)
            gauge.set(counts.get(str(phase), 0))
