"""The RBAC objects that let the metrics client certificate's user scrape (no charm concerns).

With the ``rbac`` addon the API server authorises requests with RBAC, and the kubelet
asks the API server (SubjectAccessReview) about each request it serves. The scraper
authenticates as the certificate's common name; without a binding every scrape gets 403.

- API server: ``GET /metrics`` is a non-resource URL.
- Kubelet: ``/metrics`` and everything under it maps to ``nodes/metrics``; paths it does
  not name specially map to ``nodes/proxy``.
"""

from __future__ import annotations

from typing import Any

import yaml

NAME = "microk8s-charm-metrics"
MANAGED_BY = {"app.kubernetes.io/managed-by": "microk8s-charm"}


def objects(user: str) -> list[dict[str, Any]]:
    """A ClusterRole for reading metrics and a ClusterRoleBinding of it to ``user``."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": NAME, "labels": dict(MANAGED_BY)},
        "rules": [
            {"nonResourceURLs": ["/metrics", "/metrics/*"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["nodes/metrics", "nodes/proxy"], "verbs": ["get"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": NAME, "labels": dict(MANAGED_BY)},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }
    return [role, binding]


def manifest(user: str) -> str:
    """The objects as a multi-document YAML manifest for ``kubectl apply -f``."""
    return yaml.safe_dump_all(objects(user), sort_keys=True)
