"""State-transition tests for COS: the cos-agent databag and the TLS secret that feeds it."""

from __future__ import annotations

import json

from ops import testing

from charm import MicroK8sCharm
from fake_workload import FakeMicroK8s
from states import app_data, stored, unit_data

Ctx = testing.Context[MicroK8sCharm]


def _cos() -> testing.Relation:
    return testing.Relation("cos-agent", remote_app_name="grafana-agent")


def test_leader_keeps_the_metrics_certificate_in_a_juju_secret(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    peer = testing.PeerRelation("peer")
    workers = testing.Relation("microk8s-provides", remote_app_name="microk8s-worker")
    state = testing.State(leader=True, relations={peer, workers}, stored_states={stored()})

    out = ctx.run(ctx.on.update_status(), state)

    (secret,) = out.secrets
    assert secret.tracked_content == {"cert": "CERT", "key": "KEY"}
    assert app_data(out, peer)["metrics_secret"] == secret.id
    assert app_data(out, workers)["metrics_secret"] == secret.id
    assert workload.named("issue_client_cert") == [("microk8s-charm-metrics",)]
    assert workload.named("ensure_metrics_rbac") == [("microk8s-charm-metrics",)]
    assert not any("KEY" in v for v in app_data(out, workers).values() if v != secret.id)


def test_leader_issues_the_certificate_only_once(ctx: Ctx, workload: FakeMicroK8s) -> None:
    secret = testing.Secret({"cert": "CERT", "key": "KEY"}, owner="app")
    peer = testing.PeerRelation("peer", local_app_data={"metrics_secret": secret.id})
    state = testing.State(
        leader=True, relations={peer}, secrets={secret}, stored_states={stored()}
    )

    ctx.run(ctx.on.update_status(), state)

    assert workload.named("issue_client_cert") == []


def test_cos_agent_databag_has_control_plane_jobs_and_no_key_material(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    secret = testing.Secret({"cert": "CERT", "key": "KEY"}, owner="app")
    peer = testing.PeerRelation("peer", local_app_data={"metrics_secret": secret.id})
    cos = _cos()
    state = testing.State(relations={peer, cos}, secrets={secret}, stored_states={stored()})

    out = ctx.run(ctx.on.relation_joined(cos), state)

    assert workload.named("ensure_metrics_tls") == [("CERT", "KEY")]
    raw = unit_data(out, cos)["config"]
    config = json.loads(raw)
    jobs = {job["job_name"]: job for job in config["metrics_scrape_jobs"]}
    assert {"apiserver", "kube-scheduler", "kube-controller-manager", "kubelet", "kube-proxy"} <= (
        set(jobs)
    )
    assert jobs["kubelet"]["tls_config"]["key_file"] == "/metrics/client.key"
    assert len(config["dashboards"]) == 1
    assert config["metrics_alert_rules"]["groups"]
    for group in config["metrics_alert_rules"]["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["juju_application"] == "microk8s"
            assert rule["labels"]["juju_model"] == out.model.name
            assert f'juju_model_uuid="{out.model.uuid}"' in rule["expr"]
    assert "KEY" not in raw.replace("key_file", "")


def test_worker_publishes_node_jobs_with_the_control_planes_secret(
    workload: FakeMicroK8s,
) -> None:
    ctx = testing.Context(MicroK8sCharm, app_name="microk8s-worker")
    secret = testing.Secret({"cert": "CERT", "key": "KEY"}, owner=None)
    control_plane = testing.Relation(
        "microk8s", remote_app_name="microk8s", remote_app_data={"metrics_secret": secret.id}
    )
    cos = _cos()
    state = testing.State(
        config={"role": "worker"},
        relations={control_plane, cos},
        secrets={secret},
        stored_states={stored(role="worker")},
    )

    out = ctx.run(ctx.on.update_status(), state)

    jobs = json.loads(unit_data(out, cos)["config"])["metrics_scrape_jobs"]
    assert "apiserver" not in {job["job_name"] for job in jobs}
    assert workload.named("ensure_metrics_tls") == [("CERT", "KEY")]


def test_nothing_is_published_without_a_cos_agent_relation(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    ctx.run(ctx.on.update_status(), testing.State(stored_states={stored()}))

    assert workload.named("ensure_metrics_tls") == []


def test_leader_creates_the_secret_and_scrapes_with_it_in_the_same_hook(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    peer = testing.PeerRelation("peer")
    cos = _cos()
    state = testing.State(leader=True, relations={peer, cos}, stored_states={stored()})

    out = ctx.run(ctx.on.relation_joined(cos), state)

    assert workload.named("ensure_metrics_tls") == [("CERT", "KEY")]
    raw = unit_data(out, cos)["config"]
    assert "KEY" not in raw.replace("key_file", "")
    assert "CERT" not in raw


def test_only_the_control_plane_leader_binds_the_metrics_user(
    ctx: Ctx, workload: FakeMicroK8s
) -> None:
    peer = testing.PeerRelation("peer")
    state = testing.State(leader=False, relations={peer}, stored_states={stored()})

    ctx.run(ctx.on.update_status(), state)

    assert workload.named("ensure_metrics_rbac") == []
