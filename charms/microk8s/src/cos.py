"""The provider side of the ``cos_agent`` interface (v0), built from plain data.

The unit databag holds one key, ``config``: JSON with ``metrics_alert_rules``,
``log_alert_rules``, ``dashboards`` (lzma + base64 JSON), ``metrics_scrape_jobs`` and
``log_slots``. The scraper authenticates with a client certificate whose files the charm
writes from a Juju secret, so no key material travels in the databag.

Hand-written because no maintained cos_agent provider is on PyPI (the interface's own
library is a charmhub lib); alert rules go through cosl's ``AlertRules``, the library COS
charms use, which adds the Juju topology labels and group names.
"""

from __future__ import annotations

import base64
import json
import lzma
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cosl import AlertRules, JujuTopology

from microk8s import API_SERVER_PORT

HERE = Path(__file__).parent
KUBELET_PORT = 10250
TOPOLOGY_PLACEHOLDER = "%%juju_topology%%"
CONTROL_PLANE_JOBS = ("apiserver", "kube-scheduler", "kube-controller-manager")
NODE_JOBS = {
    "kubelet": "/metrics",
    "kubelet-cadvisor": "/metrics/cadvisor",
    "kubelet-probes": "/metrics/probes",
    "kube-proxy": "/metrics",
}


@dataclass(frozen=True)
class TlsFiles:
    """Where the scraper finds the client certificate and key on this machine."""

    cert_file: str
    key_file: str


def scrape_jobs(hostname: str, control_plane: bool, tls: TlsFiles) -> list[dict[str, Any]]:
    """Return Prometheus scrape jobs for this node's Kubernetes components."""
    jobs = []
    if control_plane:
        jobs += [
            _job(name, API_SERVER_PORT, "/metrics", hostname, tls) for name in CONTROL_PLANE_JOBS
        ]
    jobs += [_job(name, KUBELET_PORT, path, hostname, tls) for name, path in NODE_JOBS.items()]
    return jobs


def _job(name: str, port: int, path: str, hostname: str, tls: TlsFiles) -> dict[str, Any]:
    """Return one scrape job against localhost over HTTPS."""
    # The API server serves all three control-plane components' metrics in MicroK8s
    # (they run in one process); separate jobs keep separate `job` labels for rules.
    return {
        "job_name": name,
        "metrics_path": path,
        "scheme": "https",
        "static_configs": [{"targets": [f"localhost:{port}"], "labels": {"node": hostname}}],
        "tls_config": {
            "insecure_skip_verify": True,
            "cert_file": tls.cert_file,
            "key_file": tls.key_file,
        },
    }


def dashboards(folder: Path) -> list[str]:
    """Return the dashboards in ``folder``, each lzma-compressed and base64-encoded."""
    return [
        base64.b64encode(lzma.compress(path.read_bytes())).decode()
        for path in sorted(folder.glob("*.json"))
    ]


def alert_rules(folder: Path, topology: JujuTopology | None = None) -> dict[str, Any]:
    """Return the alert rule groups of all rule files in ``folder``, with Juju topology.

    Selectors in the files carry a ``%%juju_topology%%`` placeholder; with a topology it
    becomes ``juju_model``/``juju_model_uuid``/``juju_application`` matchers, so a rule
    only sees this application's metrics (the cos_agent requirer adds those labels to what
    it scrapes). cosl adds the same labels to each alert and names groups after the topology.
    """
    rules = AlertRules(query_type="promql", topology=topology)
    matchers = _topology_matchers(topology)
    for path in sorted(folder.glob("*.rules.yaml")):
        content = yaml.safe_load(path.read_text())
        for group in content.get("groups", []):
            for rule in group.get("rules", []):
                rule["expr"] = _inject(str(rule["expr"]), matchers)
        prefix = topology.identifier if topology else None
        rules.add(content, group_name_prefix=prefix)
    return rules.as_dict()


def _topology_matchers(topology: JujuTopology | None) -> str:
    if topology is None:
        return ""
    labels = {k: v for k, v in topology.label_matcher_dict.items() if k != "juju_charm"}
    return ",".join(f"{key}={json.dumps(value)}" for key, value in sorted(labels.items()))


def _inject(expr: str, matchers: str) -> str:
    """Replace the placeholder (and its comma when there is nothing to put there)."""
    if matchers:
        return expr.replace(TOPOLOGY_PLACEHOLDER, matchers)
    return expr.replace(TOPOLOGY_PLACEHOLDER + ",", "").replace(TOPOLOGY_PLACEHOLDER, "")


def databag(
    jobs: list[dict[str, Any]], topology: JujuTopology | None = None, bundled: Path = HERE
) -> dict[str, str]:
    """Return the provider unit databag, with the rules and dashboards under ``bundled``."""
    config = {
        "metrics_alert_rules": alert_rules(bundled / "prometheus_alert_rules", topology),
        "log_alert_rules": {},
        "dashboards": dashboards(bundled / "grafana_dashboards"),
        "metrics_scrape_jobs": jobs,
        "log_slots": [],
    }
    return {"config": json.dumps(config, sort_keys=True)}
