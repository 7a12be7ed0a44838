"""The metrics reader role and binding, checked the way Kubernetes RBAC decides.

``allowed`` follows the RBAC authorizer's rule matching (rbac/v1 semantics: a rule grants
a request when its verbs match and either its nonResourceURLs match the path, ``*`` only
as a final prefix wildcard, or its apiGroups/resources match, ``resource/subresource``
for subresources) and the kubelet's request mapping (``/metrics`` and below →
``nodes/metrics``, other paths → ``nodes/proxy``). Real clusters cannot run here; the
integration test checks the same scrapes on one.
"""

from __future__ import annotations

from typing import Any

import yaml

import cos
import metrics_rbac
from observability import METRICS_USER

TLS = cos.TlsFiles("/c", "/k")


def _url_matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return pattern == path


def _rule_allows(rule: dict[str, Any], request: dict[str, str]) -> bool:
    if request["verb"] not in rule.get("verbs", []) and "*" not in rule.get("verbs", []):
        return False
    if "path" in request:
        return any(_url_matches(p, request["path"]) for p in rule.get("nonResourceURLs", []))
    groups, resources = rule.get("apiGroups", []), rule.get("resources", [])
    return request["group"] in groups and request["resource"] in resources


def allowed(objects: list[dict[str, Any]], user: str, request: dict[str, str]) -> bool:
    """Whether a ClusterRoleBinding in ``objects`` grants ``user`` the request."""
    roles = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ClusterRole"}
    for binding in (o for o in objects if o["kind"] == "ClusterRoleBinding"):
        subjects = [(s["kind"], s["name"]) for s in binding["subjects"]]
        role = roles.get(binding["roleRef"]["name"])
        if ("User", user) in subjects and role is not None:
            if any(_rule_allows(rule, request) for rule in role["rules"]):
                return True
    return False


def _request_for(job: dict[str, Any]) -> dict[str, str]:
    """What the authorizer is asked when the scraper GETs this job's target."""
    port = int(job["static_configs"][0]["targets"][0].rsplit(":", 1)[1])
    path = job["metrics_path"]
    if port == cos.KUBELET_PORT:  # kubelet: a SubjectAccessReview for a node subresource
        sub = "metrics" if path == "/metrics" or path.startswith("/metrics/") else "proxy"
        return {"verb": "get", "group": "", "resource": f"nodes/{sub}"}
    return {"verb": "get", "path": path}


def test_every_scrape_job_is_allowed_for_the_certificate_user() -> None:
    objects = list(yaml.safe_load_all(metrics_rbac.manifest(METRICS_USER)))
    jobs = cos.scrape_jobs("node-0", True, TLS)
    assert len(jobs) == 7
    for job in jobs:
        assert allowed(objects, METRICS_USER, _request_for(job)), job["job_name"]


def test_nothing_beyond_metrics_is_granted() -> None:
    objects = metrics_rbac.objects(METRICS_USER)
    assert not allowed(objects, METRICS_USER, {"verb": "get", "path": "/api/v1/secrets"})
    assert not allowed(objects, METRICS_USER, {"verb": "list", "group": "", "resource": "pods"})
    assert not allowed(objects, "someone-else", {"verb": "get", "path": "/metrics"})


def test_evaluator_denies_without_a_binding() -> None:
    """The check above would catch a missing binding: the role alone grants nothing."""
    role_only = [o for o in metrics_rbac.objects(METRICS_USER) if o["kind"] == "ClusterRole"]
    assert not allowed(role_only, METRICS_USER, {"verb": "get", "path": "/metrics"})


def test_manifest_is_two_labelled_objects() -> None:
    kinds = [o["kind"] for o in yaml.safe_load_all(metrics_rbac.manifest("u"))]
    assert kinds == ["ClusterRole", "ClusterRoleBinding"]
    for o in metrics_rbac.objects("u"):
        assert o["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "microk8s-charm"}
