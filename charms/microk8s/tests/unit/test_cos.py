"""Tests for cos: scrape jobs and the cos-agent databag contents."""

from __future__ import annotations

import base64
import json
import lzma
from pathlib import Path

import promql_parser
from cosl import JujuTopology

import cos

TLS = cos.TlsFiles("/tls/client.crt", "/tls/client.key")
SRC = Path(__file__).parents[2] / "src"


def test_control_plane_scrapes_api_server_components_and_node() -> None:
    jobs = cos.scrape_jobs("node-0", True, TLS)

    assert [job["job_name"] for job in jobs] == [
        "apiserver",
        "kube-scheduler",
        "kube-controller-manager",
        "kubelet",
        "kubelet-cadvisor",
        "kubelet-probes",
        "kube-proxy",
    ]
    assert jobs[0]["static_configs"] == [
        {"targets": ["localhost:16443"], "labels": {"node": "node-0"}}
    ]
    assert jobs[4]["metrics_path"] == "/metrics/cadvisor"


def test_worker_scrapes_only_node_components() -> None:
    jobs = cos.scrape_jobs("w-0", False, TLS)

    assert {job["job_name"] for job in jobs} == {
        "kubelet",
        "kubelet-cadvisor",
        "kubelet-probes",
        "kube-proxy",
    }
    assert all(job["static_configs"][0]["targets"] == ["localhost:10250"] for job in jobs)


def test_jobs_authenticate_with_certificate_files_not_inline_keys() -> None:
    (job, *_) = cos.scrape_jobs("node-0", True, TLS)

    assert job["scheme"] == "https"
    assert job["tls_config"]["cert_file"] == "/tls/client.crt"
    assert job["tls_config"]["key_file"] == "/tls/client.key"
    assert "key" not in job["tls_config"]


def test_databag_follows_the_cos_agent_v0_schema() -> None:
    data = cos.databag(cos.scrape_jobs("node-0", True, TLS))

    assert list(data) == ["config"]
    config = json.loads(data["config"])
    assert set(config) == {
        "metrics_alert_rules",
        "log_alert_rules",
        "dashboards",
        "metrics_scrape_jobs",
        "log_slots",
    }
    assert len(config["metrics_scrape_jobs"]) == 7
    assert config["log_slots"] == []


def test_dashboards_are_lzma_base64_json() -> None:
    (encoded,) = cos.dashboards(SRC / "grafana_dashboards")

    dashboard = json.loads(lzma.decompress(base64.b64decode(encoded)))
    assert dashboard["uid"] == "microk8s-charm-cluster"


def test_alert_rules_merge_groups_of_all_rule_files(tmp_path: Path) -> None:
    (tmp_path / "a.rules.yaml").write_text("groups:\n- name: a\n  rules: []\n")
    (tmp_path / "b.rules.yaml").write_text("groups:\n- name: b\n  rules: []\n")
    (tmp_path / "ignored.txt").write_text("groups: []\n")

    assert cos.alert_rules(tmp_path) == {
        "groups": [{"name": "a_rules", "rules": []}, {"name": "b_rules", "rules": []}]
    }


def test_bundled_alert_rules_cover_the_scraped_jobs() -> None:
    rules = cos.alert_rules(SRC / "prometheus_alert_rules")

    names = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    assert "MicroK8sScrapeTargetDown" in names
    assert all(rule["labels"]["severity"] for g in rules["groups"] for rule in g["rules"])


TOPOLOGY = JujuTopology(
    model="lab", model_uuid="00000000-0000-4000-8000-000000000000", application="microk8s"
)
WANTED = {
    "juju_model": "lab",
    "juju_model_uuid": "00000000-0000-4000-8000-000000000000",
    "juju_application": "microk8s",
}


def _selectors(expr: str) -> list[promql_parser.VectorSelector]:
    found: list[promql_parser.VectorSelector] = []

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def test_every_selector_of_every_rule_is_scoped_to_the_application() -> None:
    rules = cos.alert_rules(SRC / "prometheus_alert_rules", TOPOLOGY)
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(exprs) == 4
    for expr in exprs:
        selectors = _selectors(expr)  # also proves the expression still parses
        assert selectors, expr
        for selector in selectors:
            matchers = {m.name: m.value for m in selector.matchers.matchers}
            assert {k: matchers.get(k) for k in WANTED} == WANTED, expr


def test_alerts_carry_topology_labels_and_group_names() -> None:
    rules = cos.alert_rules(SRC / "prometheus_alert_rules", TOPOLOGY)
    for group in rules["groups"]:
        assert group["name"].startswith("lab_00000000_microk8s_")
        for rule in group["rules"]:
            assert WANTED.items() <= rule["labels"].items()
            assert rule["labels"]["severity"]


def test_without_topology_the_placeholder_leaves_valid_promql() -> None:
    rules = cos.alert_rules(SRC / "prometheus_alert_rules")
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert "%%" not in rule["expr"]
            assert _selectors(rule["expr"])
