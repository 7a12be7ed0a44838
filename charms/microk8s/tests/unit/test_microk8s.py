"""Tests for microk8s: the exact argv of every command and the files it manages."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from charmlibs import snap

import microk8s
from fake_snapd import FakeSnapd
from runner import FakeRunner

M = "/snap/bin/microk8s"
INSTALL_131 = {"action": "install", "channel": "1.31/stable", "classic": True}


def test_install_uses_the_classic_snap_and_channel(snapd: FakeSnapd) -> None:
    microk8s.install("1.31/stable")

    assert snapd.installed["microk8s"]["tracking-channel"] == "1.31/stable"
    assert snapd.installed["microk8s"]["confinement"] == "classic"
    assert ("POST", "/v2/snaps/microk8s", INSTALL_131) in snapd.requests


def test_install_without_channel_uses_the_snap_default(snapd: FakeSnapd) -> None:
    microk8s.install("")

    assert snapd.installed["microk8s"]["tracking-channel"] == "latest/stable"
    posts = [r for r in snapd.requests if r[0] == "POST"]
    assert posts == [("POST", "/v2/snaps/microk8s", {"action": "install", "classic": True})]


def test_install_retries_a_failed_download(snapd: FakeSnapd) -> None:
    snapd.failing_changes = 1

    microk8s.install("")

    assert "microk8s" in snapd.installed
    assert len([r for r in snapd.requests if r[0] == "POST"]) == 2


def test_install_gives_up_after_three_failed_changes(snapd: FakeSnapd) -> None:
    snapd.failing_changes = 3

    with pytest.raises(snap.ChangeError):
        microk8s.install("")

    assert "microk8s" not in snapd.installed


def test_install_from_a_missing_channel_fails_clearly(snapd: FakeSnapd) -> None:
    with pytest.raises(snap.ChannelNotAvailableError):
        microk8s.install("0.1/edge")


def test_refresh_moves_to_the_channel(snapd: FakeSnapd) -> None:
    microk8s.install("1.31/stable")

    microk8s.refresh("1.32/stable")

    assert snapd.installed["microk8s"]["tracking-channel"] == "1.32/stable"


def test_refresh_in_the_same_channel_without_update_is_fine(snapd: FakeSnapd) -> None:
    microk8s.install("1.31/stable")

    microk8s.refresh("")

    assert snapd.installed["microk8s"]["tracking-channel"] == "1.31/stable"


def test_remove_purges_the_snap(snapd: FakeSnapd) -> None:
    microk8s.install("")

    microk8s.remove()

    assert snapd.installed == {}
    assert ("POST", "/v2/snaps/microk8s", {"action": "remove", "purge": True}) in snapd.requests


def test_restart_containerd_restarts_the_snap_service(snapd: FakeSnapd) -> None:
    microk8s.install("")

    microk8s.restart_containerd()

    assert snapd.restarted == ["microk8s.daemon-containerd"]


def test_add_node_passes_token_and_ttl(runner: FakeRunner) -> None:
    microk8s.add_node("abc", 7200)

    assert runner.calls == [[M, "add-node", "--token", "abc", "--token-ttl", "7200"]]


@pytest.mark.parametrize(
    ("worker", "tail"), [(False, []), (True, ["--worker"])], ids=["control-plane", "worker"]
)
def test_join_adds_worker_flag_only_for_workers(
    runner: FakeRunner, worker: bool, tail: list[str]
) -> None:
    microk8s.join("10.0.0.1:25000/abc", worker=worker)

    assert runner.calls == [[M, "join", "10.0.0.1:25000/abc", *tail]]


@pytest.mark.parametrize(
    ("command", "call"),
    [
        ("join", lambda: microk8s.join("10.0.0.1:25000/s3cr3t", worker=False)),
        ("add-node", lambda: microk8s.add_node("s3cr3t", 60)),
    ],
)
def test_a_failing_command_never_reveals_the_join_token(
    runner: FakeRunner, command: str, call: Callable[[], None]
) -> None:
    runner.failures[(M, command)] = 3

    with pytest.raises(subprocess.CalledProcessError) as raised:
        call()

    assert "s3cr3t" not in str(raised.value)
    assert len(runner.calls) == 3  # retried, then raised


def test_remove_node_forces_removal(runner: FakeRunner) -> None:
    microk8s.remove_node("node-2")

    assert runner.calls == [[M, "remove-node", "node-2", "--force"]]


def test_wait_ready_is_bounded_and_reports_failure(runner: FakeRunner) -> None:
    runner.failures[(M, "status")] = 1

    assert microk8s.wait_ready(30) is False
    assert runner.calls == [[M, "status", "--wait-ready", "--timeout", "30"]]
    assert microk8s.wait_ready(30) is True


@pytest.mark.parametrize(("out", "ready"), [("True", True), ("False", False), ("", False)])
def test_node_ready_reads_the_ready_condition(runner: FakeRunner, out: str, ready: bool) -> None:
    runner.outputs[(microk8s.KUBECTL,)] = out

    assert microk8s.node_ready("node-0") is ready
    assert runner.calls[0][:6] == [
        microk8s.KUBECTL,
        "--kubeconfig",
        "/var/snap/microk8s/current/credentials/kubelet.config",
        "get",
        "node",
        "node-0",
    ]


def test_node_ready_is_false_when_the_api_is_unreachable(runner: FakeRunner) -> None:
    runner.failures[(microk8s.KUBECTL,)] = 1

    assert microk8s.node_ready("node-0") is False


def test_nodes_lists_node_names_or_none_on_failure(runner: FakeRunner) -> None:
    runner.outputs[(M, "kubectl")] = "node-0 node-1"

    assert microk8s.nodes() == {"node-0", "node-1"}
    runner.failures[(M, "kubectl")] = 1
    assert microk8s.nodes() is None


def test_version_parses_the_cli_output(runner: FakeRunner) -> None:
    runner.outputs[(M, "version")] = "MicroK8s v1.31.1 revision 7229\n"

    assert microk8s.version() == "1.31.1"
    assert runner.calls == [[M, "version"]]


def test_version_is_unknown_when_microk8s_fails(runner: FakeRunner) -> None:
    runner.failures[(M, "version")] = 1

    assert microk8s.version() == ""


def test_config_points_the_server_at_the_given_address(runner: FakeRunner) -> None:
    runner.outputs[(M, "config")] = "clusters:\n- cluster:\n    server: https://127.0.0.1:16443\n"

    assert "server: https://10.1.2.3:16443" in microk8s.config("10.1.2.3")
    assert "server: https://[fd00::1]:16443" in microk8s.config("fd00::1")


@pytest.mark.parametrize(("enabled", "verb"), [(True, "enable"), (False, "disable")])
def test_set_addon_enables_or_disables(runner: FakeRunner, enabled: bool, verb: str) -> None:
    microk8s.set_addon("hostpath-storage", enabled)

    assert runner.calls == [[M, verb, "hostpath-storage"]]


def test_kubectl_runs_with_admin_credentials(runner: FakeRunner) -> None:
    microk8s.kubectl("uncordon", "node-1")

    assert runner.calls == [[M, "kubectl", "uncordon", "node-1"]]


def _csr_template(root: Path) -> Path:
    path = root / "var/snap/microk8s/current/certs/csr.conf.template"
    path.parent.mkdir(parents=True)
    path.write_text("[ alt_names ]\nDNS.1 = kubernetes\n#MOREIPS\n\n[ v3_ext ]\n")
    return path


def test_ensure_extra_sans_writes_ip_and_dns_entries_and_refreshes(
    runner: FakeRunner, tmp_path: Path
) -> None:
    path = _csr_template(tmp_path)

    assert microk8s.ensure_extra_sans(["10.0.0.5", "k8s.example"], root=tmp_path) is True

    assert "#MOREIPS\n# begin managed by microk8s charm\nIP.100 = 10.0.0.5\n" in path.read_text()
    assert "DNS.101 = k8s.example\n# end managed by microk8s charm" in path.read_text()
    assert runner.calls == [[M, "refresh-certs", "-e", "server.crt"]]


def test_ensure_extra_sans_unchanged_does_not_refresh(runner: FakeRunner, tmp_path: Path) -> None:
    _csr_template(tmp_path)
    microk8s.ensure_extra_sans(["10.0.0.5"], root=tmp_path)
    runner.calls.clear()

    assert microk8s.ensure_extra_sans(["10.0.0.5"], root=tmp_path) is False
    assert runner.calls == []


def test_ensure_cert_reissue_toggles_the_lock_file(tmp_path: Path) -> None:
    lock = tmp_path / "var/snap/microk8s/current/var/lock/no-cert-reissue"

    assert microk8s.ensure_cert_reissue(False, root=tmp_path) is True
    assert lock.exists()
    assert microk8s.ensure_cert_reissue(True, root=tmp_path) is True
    assert not lock.exists()


def test_ensure_etc_hosts_keeps_a_sorted_marker_block(tmp_path: Path) -> None:
    hosts = tmp_path / "etc/hosts"
    hosts.parent.mkdir()
    hosts.write_text("127.0.0.1 localhost\n")

    microk8s.ensure_etc_hosts({"node-b": "10.0.0.2", "node-a": "10.0.0.1"}, root=tmp_path)

    assert hosts.read_text() == (
        "127.0.0.1 localhost\n# begin managed by microk8s charm\n"
        "10.0.0.1 node-a\n10.0.0.2 node-b\n# end managed by microk8s charm\n"
    )
    assert microk8s.ensure_etc_hosts({}, root=tmp_path) is True
    assert hosts.read_text() == "127.0.0.1 localhost\n"


def test_issue_client_cert_signs_with_the_cluster_ca(runner: FakeRunner, tmp_path: Path) -> None:
    def write_out(argv: list[str]) -> None:
        Path(argv[argv.index("-out") + 1]).write_text(argv[1])

    runner.side_effects[("/usr/bin/openssl",)] = write_out

    cert, key = microk8s.issue_client_cert("metrics", root=tmp_path)

    assert (cert, key) == ("x509", "genrsa")
    assert [c[1] for c in runner.calls] == ["genrsa", "req", "x509"]
    assert "/CN=metrics" in runner.calls[1]
    ca = str(tmp_path / "var/snap/microk8s/current/certs/ca.crt")
    assert runner.calls[2][runner.calls[2].index("-CA") + 1] == ca


def test_ensure_metrics_tls_writes_private_files(tmp_path: Path) -> None:
    cert_file, key_file = microk8s.ensure_metrics_tls("CERT", "KEY", root=tmp_path)

    assert Path(cert_file).read_text() == "CERT"
    assert Path(key_file).read_text() == "KEY"
    assert Path(key_file).stat().st_mode & 0o777 == 0o600


def test_ensure_metrics_tls_writes_nothing_before_the_secret_is_shared(tmp_path: Path) -> None:
    cert_file, _ = microk8s.ensure_metrics_tls("", "", root=tmp_path)

    assert cert_file.endswith("charm-metrics/client.crt")
    assert not Path(cert_file).exists()


def test_commands_raise_when_they_keep_failing(runner: FakeRunner) -> None:
    runner.failures[(M, "remove-node")] = 1

    with pytest.raises(subprocess.CalledProcessError):
        microk8s.remove_node("node-2")


def test_ensure_metrics_rbac_applies_the_manifest_once(runner: FakeRunner, tmp_path: Path) -> None:
    assert microk8s.ensure_metrics_rbac("metrics-user", root=tmp_path)
    assert not microk8s.ensure_metrics_rbac("metrics-user", root=tmp_path)

    path = tmp_path / "var/snap/microk8s/common/charm-metrics/rbac.yaml"
    assert runner.calls == [[M, "kubectl", "apply", "-f", str(path)]]
    assert "name: metrics-user" in path.read_text()


def test_ensure_metrics_rbac_retries_on_the_next_hook_after_a_failure(
    runner: FakeRunner, tmp_path: Path
) -> None:
    runner.failures[(M, "kubectl")] = 3

    with pytest.raises(subprocess.CalledProcessError):
        microk8s.ensure_metrics_rbac("metrics-user", root=tmp_path)

    assert microk8s.ensure_metrics_rbac("metrics-user", root=tmp_path)
    assert len(runner.calls) == 4
