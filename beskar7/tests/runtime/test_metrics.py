"""The manager's metrics: upstream names, label sets, buckets, one registry per manager."""

from prometheus_client.parser import text_string_to_metric_families

from beskar7.controllers.metrics import PROVISIONING_BUCKETS, KindMetrics
from beskar7.runtime.metrics import Metrics

UPSTREAM: dict[str, tuple[str, str, set[str]]] = {
    # attribute: (family as exposed, type, labels)
    "reconciliation_total": (
        "beskar7_controller_reconciliation",
        "counter",
        {"controller", "outcome", "namespace"},
    ),
    "reconciliation_duration_seconds": (
        "beskar7_controller_reconciliation_duration_seconds",
        "histogram",
        {"controller", "outcome", "namespace"},
    ),
    "errors_total": (
        "beskar7_controller_errors",
        "counter",
        {"controller", "error_type", "namespace"},
    ),
    "requeue_total": (
        "beskar7_controller_requeue",
        "counter",
        {"controller", "reason", "namespace"},
    ),
    "physicalhost_states_total": (
        "beskar7_controller_physicalhost_states_total",
        "gauge",
        {"state", "namespace"},
    ),
    "physicalhost_power_operations_total": (
        "beskar7_controller_physicalhost_power_operations",
        "counter",
        {"operation", "outcome", "namespace"},
    ),
    "physicalhost_redfish_connections_total": (
        "beskar7_controller_physicalhost_redfish_connections",
        "counter",
        {"outcome", "namespace", "error_type"},
    ),
    "physicalhost_availability": (
        "beskar7_controller_physicalhost_availability",
        "gauge",
        {"namespace"},
    ),
    "beskar7machine_states_total": (
        "beskar7_controller_beskar7machine_states_total",
        "gauge",
        {"phase", "namespace"},
    ),
    "beskar7machine_provisioning_duration_seconds": (
        "beskar7_controller_beskar7machine_provisioning_duration_seconds",
        "histogram",
        {"outcome", "namespace"},
    ),
    "beskar7cluster_states_total": (
        "beskar7_controller_beskar7cluster_states_total",
        "gauge",
        {"ready", "namespace"},
    ),
    "beskar7cluster_failure_domains_total": (
        "beskar7_controller_beskar7cluster_failure_domains_total",
        "gauge",
        {"cluster", "namespace"},
    ),
    "beskar7cluster_failure_domain_discovery_total": (
        "beskar7_controller_beskar7cluster_failure_domain_discovery",
        "counter",
        {"outcome", "namespace"},
    ),
    "host_claim_attempts_total": (
        "beskar7_host_claim_attempts",
        "counter",
        {"namespace", "outcome", "conflict_reason"},
    ),
    "host_claim_duration_seconds": (
        "beskar7_host_claim_duration_seconds",
        "histogram",
        {"namespace", "outcome"},
    ),
    "workqueue_depth": ("beskar7_controller_workqueue_depth", "gauge", {"controller"}),
}


def test_every_upstream_metric_is_exposed_with_its_labels_and_help() -> None:
    metrics = Metrics()
    kinds = KindMetrics(metrics.registry)  # as the manager wires them: one registry
    for attribute, (_, kind, labels) in UPSTREAM.items():
        owner = metrics if hasattr(metrics, attribute) else kinds
        child = getattr(owner, attribute).labels(**dict.fromkeys(labels, "x"))
        if kind == "histogram":
            child.observe(45)
        else:
            child.inc()
    families = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}
    for name, kind, labels in UPSTREAM.values():
        assert name in families, name
        family = families[name]
        assert family.type == kind, name
        assert family.documentation, f"{name} has no help text"
        assert set(family.samples[0].labels) - {"le"} == labels, name
    text = metrics.render().decode()
    assert "beskar7_controller_reconciliation_total{" in text
    assert "beskar7_host_claim_attempts_total{" in text


def test_provisioning_duration_uses_the_upstream_buckets() -> None:
    metrics = Metrics()
    kinds = KindMetrics(metrics.registry)
    kinds.beskar7machine_provisioning_duration_seconds.labels("success", "ns").observe(100)
    text = metrics.render().decode()
    for bound in PROVISIONING_BUCKETS:
        assert (
            "beskar7_controller_beskar7machine_provisioning_duration_seconds_bucket"
            f'{{le="{bound}",namespace="ns",outcome="success"}}' in text
        )
    assert 'le="60.0",namespace="ns",outcome="success"} 0.0' in text
    assert 'le="120.0",namespace="ns",outcome="success"} 1.0' in text


def test_each_manager_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.record_reconcile("physicalhost", "default", "success", 0.2)
    assert (
        first.registry.get_sample_value(
            "beskar7_controller_reconciliation_total",
            {"controller": "physicalhost", "outcome": "success", "namespace": "default"},
        )
        == 1.0
    )
    assert (
        second.registry.get_sample_value(
            "beskar7_controller_reconciliation_total",
            {"controller": "physicalhost", "outcome": "success", "namespace": "default"},
        )
        is None
    )
    assert (
        first.registry.get_sample_value(
            "beskar7_controller_reconciliation_duration_seconds_count",
            {"controller": "physicalhost", "outcome": "success", "namespace": "default"},
        )
        == 1.0
    )
