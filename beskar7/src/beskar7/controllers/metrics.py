"""The kinds' metrics (PhysicalHost, Beskar7Machine, Beskar7Cluster, host claims, inspection),
named as upstream Beskar7 names them, on the manager's registry beside the loop's metrics
(runtime/metrics.py). Each folder's stats.py keeps its kind's figures true.

Names are `beskar7_controller_<name>` unless noted otherwise.
"""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from beskar7.runtime.metrics import NAMESPACE, SUBSYSTEM, counter, gauge

PROVISIONING_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)


class KindMetrics:
    """The kinds' metrics of one manager; attributes are the metric names without the prefix.
    Built once per registry (a second set on the same registry would collide)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._physicalhost_metrics()
        self._machine_and_cluster_metrics()
        self._claim_metrics()
        self._inspection_metrics()

    def _counter(self, name: str, doc: str, labels: Sequence[str]) -> Counter:
        return counter(self.registry, name, doc, labels)

    def _gauge(self, name: str, doc: str, labels: Sequence[str]) -> Gauge:
        return gauge(self.registry, name, doc, labels)

    def _physicalhost_metrics(self) -> None:
        self.physicalhost_states_total = self._gauge(
            "physicalhost_states_total",
            "PhysicalHosts currently in each state.",
            ("state", "namespace"),
        )
        self.physicalhost_provisioning_total = self._counter(
            "physicalhost_provisioning_total",
            "PhysicalHost provisioning attempts, by outcome.",
            ("outcome", "namespace", "error_type"),
        )
        self.physicalhost_power_operations_total = self._counter(
            "physicalhost_power_operations_total",
            "Power operations sent to BMCs, by operation and outcome.",
            ("operation", "outcome", "namespace"),
        )
        self.physicalhost_redfish_connections_total = self._counter(
            "physicalhost_redfish_connections_total",
            "Redfish sessions opened to BMCs, by outcome and error type.",
            ("outcome", "namespace", "error_type"),
        )
        self.physicalhost_availability = self._gauge(
            "physicalhost_availability",
            "Share of PhysicalHosts free to be claimed (available / total).",
            ("namespace",),
        )
        self.physicalhost_consumer_mappings_total = self._gauge(
            "physicalhost_consumer_mappings_total",
            "PhysicalHosts claimed by a consumer, by consumer type.",
            ("consumer_type", "namespace"),
        )

    def _machine_and_cluster_metrics(self) -> None:
        self.beskar7machine_states_total = self._gauge(
            "beskar7machine_states_total",
            "Beskar7Machines currently in each phase.",
            ("phase", "namespace"),
        )
        self.beskar7machine_provisioning_duration_seconds = Histogram(
            "beskar7machine_provisioning_duration_seconds",
            "Seconds from a Beskar7Machine's creation until it was ready (or failed).",
            ("outcome", "namespace"),
            namespace=NAMESPACE,
            subsystem=SUBSYSTEM,
            buckets=PROVISIONING_BUCKETS,
            registry=self.registry,
        )
        self.beskar7machine_boot_configurations_total = self._counter(
            "beskar7machine_boot_configurations_total",
            "Boot configurations applied to hosts, by mode, OS family and outcome.",
            ("mode", "os_family", "outcome", "namespace"),
        )
        self.beskar7cluster_states_total = self._gauge(
            "beskar7cluster_states_total",
            "Beskar7Clusters by readiness (ready=true|false).",
            ("ready", "namespace"),
        )
        self.beskar7cluster_failure_domains_total = self._gauge(
            "beskar7cluster_failure_domains_total",
            "Failure domains found for each cluster.",
            ("cluster", "namespace"),
        )
        self.beskar7cluster_failure_domain_discovery_total = self._counter(
            "beskar7cluster_failure_domain_discovery_total",
            "Failure domain discoveries run, by outcome.",
            ("outcome", "namespace"),
        )

    def _claim_metrics(self) -> None:
        """Unprefixed `beskar7_*` metrics of upstream's host claims."""
        reg = self.registry
        self.host_claim_attempts_total = Counter(
            "beskar7_host_claim_attempts_total",
            "Attempts to claim a PhysicalHost, by outcome and conflict reason.",
            ("namespace", "outcome", "conflict_reason"),
            registry=reg,
        )
        self.host_claim_duration_seconds = Histogram(
            "beskar7_host_claim_duration_seconds",
            "How long claiming a PhysicalHost took.",
            ("namespace", "outcome"),
            registry=reg,
        )

    def _inspection_metrics(self) -> None:
        """Unprefixed `beskar7_*` metrics the design document names for inspection."""
        reg = self.registry
        self.physicalhost_state = Gauge(
            "beskar7_physicalhost_state",
            "1 for the state each PhysicalHost is in.",
            ("namespace", "host", "state"),
            registry=reg,
        )
        self.inspection_duration_seconds = Histogram(
            "beskar7_inspection_duration_seconds",
            "Seconds from booting the inspection image until its report arrived.",
            ("namespace", "outcome"),
            buckets=PROVISIONING_BUCKETS,
            registry=reg,
        )
        self.provisioning_duration_seconds = Histogram(
            "beskar7_provisioning_duration_seconds",
            "Seconds from claiming a host until its final OS was provisioned.",
            ("namespace", "outcome"),
            buckets=PROVISIONING_BUCKETS,
            registry=reg,
        )
        self.inspection_failures_total = Counter(
            "beskar7_inspection_failures_total",
            "Inspections that failed or timed out, by reason.",
            ("namespace", "reason"),
            registry=reg,
        )
