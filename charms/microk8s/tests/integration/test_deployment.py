"""The seed's deployment on real machines: 3 control-plane units, 3 workers, then scale down.

The tests run in order and share one model (see conftest.py for how to run them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import jubilant

CP, WORKER = "microk8s", "microk8s-worker"


def _nodes(juju: jubilant.Juju) -> dict[str, bool]:
    """Return ``node name -> Ready`` as the cluster sees it, asked on the leader."""
    out = juju.exec("microk8s kubectl get nodes -o json", unit=f"{CP}/leader").stdout
    ready = {}
    for item in json.loads(out)["items"]:
        conditions = {c["type"]: c["status"] for c in item["status"]["conditions"]}
        ready[item["metadata"]["name"]] = conditions.get("Ready") == "True"
    return ready


def _hostname(juju: jubilant.Juju, unit: str) -> str:
    return juju.exec("hostname", unit=unit).stdout.strip()


def _nodes_once_gone(juju: jubilant.Juju, gone: str, attempts: int = 30) -> dict[str, bool]:
    """Return the node list once ``gone`` has left it (the leader removes nodes on update)."""
    nodes = _nodes(juju)
    for _ in range(attempts):
        if gone not in nodes:
            break
        time.sleep(20)  # the leader retries removals on its next hook (update-status at worst)
        nodes = _nodes(juju)
    return nodes


def test_workers_wait_until_related(juju: jubilant.Juju, charm: Path) -> None:
    juju.deploy(charm, CP, num_units=3, force=True)
    juju.deploy(charm, WORKER, num_units=3, config={"role": "worker"}, force=True)

    status = juju.wait(lambda s: jubilant.all_waiting(s, WORKER) and jubilant.all_active(s, CP))

    for unit in status.apps[WORKER].units.values():
        assert unit.workload_status.message == "waiting for a microk8s relation"


def test_control_plane_forms_a_three_node_cluster(juju: jubilant.Juju) -> None:
    nodes = _nodes(juju)

    assert len(nodes) == 3
    assert all(nodes.values())


def test_related_workers_join_the_cluster(juju: jubilant.Juju) -> None:
    juju.integrate(f"{CP}:microk8s-provides", f"{WORKER}:microk8s")

    juju.wait(jubilant.all_active)

    nodes = _nodes(juju)
    assert len(nodes) == 6
    assert all(nodes.values())


def test_a_pod_is_scheduled_on_a_worker(juju: jubilant.Juju) -> None:
    worker_host = _hostname(juju, f"{WORKER}/0")
    overrides = json.dumps({"spec": {"nodeSelector": {"kubernetes.io/hostname": worker_host}}})
    leader = f"{CP}/leader"

    juju.exec(
        f"microk8s kubectl run probe --image=busybox --restart=Never --overrides='{overrides}'"
        " -- sleep 3600",
        unit=leader,
    )
    juju.exec("microk8s kubectl wait --for=condition=Ready pod/probe --timeout=600s", unit=leader)

    node = juju.exec("microk8s kubectl get pod probe -o jsonpath={.spec.nodeName}", unit=leader)
    assert node.stdout.strip() == worker_host


def _remove_last_unit(juju: jubilant.Juju, app: str) -> str:
    """Remove the highest-numbered unit of ``app``; return its node's hostname."""
    departing = max(juju.status().apps[app].units, key=lambda u: int(u.split("/")[1]))
    hostname = _hostname(juju, departing)
    juju.remove_unit(departing)
    juju.wait(lambda s: departing not in s.apps[app].units and jubilant.all_active(s))
    return hostname


def test_scale_down_removes_the_control_plane_node(juju: jubilant.Juju) -> None:
    hostname = _remove_last_unit(juju, CP)

    assert hostname not in _nodes_once_gone(juju, hostname)


def test_removed_worker_leaves_the_cluster(juju: jubilant.Juju) -> None:
    hostname = _remove_last_unit(juju, WORKER)

    assert hostname not in _nodes_once_gone(juju, hostname)
    assert len(_nodes(juju)) == 4


def test_role_change_blocks(juju: jubilant.Juju) -> None:
    juju.config(WORKER, {"role": "control-plane"})

    status = juju.wait(lambda s: jubilant.all_blocked(s, WORKER))

    unit = next(iter(status.apps[WORKER].units.values()))
    assert "role cannot change from worker to control-plane" in unit.workload_status.message
    juju.config(WORKER, {"role": "worker"})
    juju.wait(jubilant.all_active)
