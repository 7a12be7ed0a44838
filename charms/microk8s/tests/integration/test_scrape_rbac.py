"""With ``rbac=true`` the metrics certificate's user may scrape the API server and kubelet.

Runs on a real machine model (see conftest.py); skipped here like the other integration tests.
"""

from __future__ import annotations

from pathlib import Path

import jubilant

APP = "microk8s-rbac"
TLS = "/var/snap/microk8s/common/charm-metrics"


def _status_code(juju: jubilant.Juju, url: str) -> str:
    command = (
        f"curl -sk -o /dev/null -w '%{{http_code}}' --cert {TLS}/client.crt "
        f"--key {TLS}/client.key {url}"
    )
    return juju.exec(command, unit=f"{APP}/0").stdout.strip()


def test_scrapes_pass_rbac(juju: jubilant.Juju, charm: Path) -> None:
    juju.deploy(charm, APP, config={"rbac": True}, force=True)
    juju.deploy("grafana-agent", channel="latest/stable")
    juju.integrate(f"{APP}:cos-agent", "grafana-agent")
    juju.wait(lambda s: jubilant.all_active(s, APP))

    assert _status_code(juju, "https://localhost:16443/metrics") == "200"
    assert _status_code(juju, "https://localhost:10250/metrics") == "200"
    assert _status_code(juju, "https://localhost:10250/metrics/cadvisor") == "200"
    # The same user may not read anything else.
    assert _status_code(juju, "https://localhost:16443/api/v1/secrets") == "403"
