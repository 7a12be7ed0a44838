"""MicroK8s snap and CLI operations, usable without a charm.

Snap operations go through charmlibs-snap (snapd's REST API); every other command is an
argv list with an absolute path, run through ``util.run``.
File paths are relative to ``root`` so that tests can point them at a temporary directory.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from charmlibs import snap

import metrics_rbac
import util

SNAP_NAME = "microk8s"
MICROK8S = "/snap/bin/microk8s"
KUBECTL = "/snap/microk8s/current/kubectl"
OPENSSL = "/usr/bin/openssl"
SNAP_DATA = Path("var/snap/microk8s/current")
METRICS_TLS = Path("var/snap/microk8s/common/charm-metrics")
KUBELET_CONFIG = "/var/snap/microk8s/current/credentials/kubelet.config"
CLUSTER_AGENT_PORT = 25000
API_SERVER_PORT = 16443
CERT_ANCHOR = "#MOREIPS"
_VERSION = re.compile(r"v?(\d+\.\d+\.\d+\S*)")
_IP = re.compile(r"^[0-9.]+$|:")
logger = logging.getLogger(__name__)


def install(channel: str) -> None:
    """Install the classic MicroK8s snap from ``channel`` (the snap's default if empty)."""
    _retrying(lambda: snap.install(SNAP_NAME, channel or None, classic=True))


def refresh(channel: str) -> None:
    """Refresh the MicroK8s snap, moving it to ``channel`` if given."""
    snap.refresh(SNAP_NAME, channel or None, classic=True)


def remove() -> None:
    """Remove the MicroK8s snap and its data."""
    snap.remove(SNAP_NAME, purge=True)


def restart_containerd() -> None:
    """Restart containerd so that it reads its environment and registry files again."""
    snap.restart(SNAP_NAME, "daemon-containerd")


def _retrying(operation: Callable[[], object], attempts: int = 3, delay: float = 2.0) -> None:
    """Run a snap operation, retrying failures the store may cause (downloads, timeouts)."""
    for attempt in range(1, attempts + 1):
        try:
            operation()
            return
        except (snap.ChangeError, snap.TimeoutError) as e:
            logger.warning("snap operation failed (attempt %d/%d): %s", attempt, attempts, e)
            if attempt == attempts:
                raise
            time.sleep(delay)


def add_node(token: str, ttl: int) -> None:
    """Register a join ``token`` valid for ``ttl`` seconds."""
    argv = [MICROK8S, "add-node", "--token", token, "--token-ttl", str(ttl)]
    util.run(argv, attempts=3, secret=token)


def join(url: str, *, worker: bool) -> None:
    """Join the cluster behind ``url`` (``<address>:25000/<token>``)."""
    token = url.rsplit("/", 1)[-1]
    util.run([MICROK8S, "join", url] + (["--worker"] if worker else []), attempts=3, secret=token)


def remove_node(hostname: str) -> None:
    """Remove a departed node from the cluster."""
    util.run([MICROK8S, "remove-node", hostname, "--force"])


def wait_ready(timeout: int = 30) -> bool:
    """Wait (at most ``timeout`` seconds) for MicroK8s to be ready; return whether it is."""
    try:
        util.run([MICROK8S, "status", "--wait-ready", "--timeout", str(timeout)])
    except subprocess.CalledProcessError:
        return False
    return True


def node_ready(hostname: str) -> bool:
    """Return True if the node's Ready condition is True (read with the kubelet's credentials)."""
    jsonpath = '{.status.conditions[?(@.type=="Ready")].status}'
    argv = [KUBECTL, "--kubeconfig", KUBELET_CONFIG, "get", "node", hostname]
    try:
        return util.run(argv + ["-o", f"jsonpath={jsonpath}"]).strip() == "True"
    except subprocess.CalledProcessError:
        return False


def nodes() -> set[str] | None:
    """Return the names of the cluster's nodes (control plane only); None if unreadable."""
    argv = [MICROK8S, "kubectl", "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"]
    try:
        return set(util.run(argv).split())
    except subprocess.CalledProcessError:
        return None


def version() -> str:
    """Return the MicroK8s version, e.g. ``1.31.1``, or "" when unknown."""
    try:
        match = _VERSION.search(util.run([MICROK8S, "version"]))
    except subprocess.CalledProcessError:
        return ""
    return match.group(1) if match else ""


def config(address: str) -> str:
    """Return the admin kubeconfig, with the API server reached at ``address``."""
    text = util.run([MICROK8S, "config"])
    host = f"[{address}]" if ":" in address else address
    return re.sub(r"server: https://\S+", f"server: https://{host}:{API_SERVER_PORT}", text)


def set_addon(addon: str, enabled: bool) -> None:
    """Enable or disable a MicroK8s addon."""
    util.run([MICROK8S, "enable" if enabled else "disable", addon], attempts=3)


def kubectl(*args: str) -> str:
    """Run ``microk8s kubectl`` with the admin credentials."""
    return util.run([MICROK8S, "kubectl", *args])


def ensure_extra_sans(sans: list[str], root: Path = Path("/")) -> bool:
    """Add ``sans`` to the API server certificate template; refresh the certificate if changed."""
    lines = [f"{'IP' if _IP.search(s) else 'DNS'}.{100 + i} = {s}" for i, s in enumerate(sans)]
    changed = util.ensure_block(
        root / SNAP_DATA / "certs/csr.conf.template", lines, anchor=CERT_ANCHOR
    )
    if changed:
        util.run([MICROK8S, "refresh-certs", "-e", "server.crt"])
    return changed


def ensure_cert_reissue(enabled: bool, root: Path = Path("/")) -> bool:
    """Allow or stop automatic certificate reissue (a lock file disables it)."""
    lock = root / SNAP_DATA / "var/lock/no-cert-reissue"
    return util.remove_file(lock) if enabled else util.ensure_file(lock, "")


def ensure_etc_hosts(entries: Mapping[str, str], root: Path = Path("/")) -> bool:
    """Keep ``hostname -> address`` entries for cluster members in /etc/hosts."""
    lines = [f"{address} {hostname}" for hostname, address in sorted(entries.items())]
    return util.ensure_block(root / "etc/hosts", lines)


def hostname() -> str:
    """Return this machine's hostname, the name its Kubernetes node gets."""
    return socket.gethostname()


def issue_client_cert(user: str, root: Path = Path("/")) -> tuple[str, str]:
    """Sign a client certificate for ``user`` with the cluster CA; return (cert, key) PEM."""
    certs = root / SNAP_DATA / "certs"
    with tempfile.TemporaryDirectory() as tmp:
        key, csr, crt = (
            str(Path(tmp) / name) for name in ("client.key", "client.csr", "client.crt")
        )
        util.run([OPENSSL, "genrsa", "-out", key, "2048"])
        util.run([OPENSSL, "req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={user}"])
        serial = str(secrets.randbits(63))
        ca = ["-CA", str(certs / "ca.crt"), "-CAkey", str(certs / "ca.key"), "-set_serial", serial]
        util.run([OPENSSL, "x509", "-req", "-in", csr, *ca, "-days", "3650", "-out", crt])
        return Path(crt).read_text(), Path(key).read_text()


def ensure_metrics_tls(cert: str, key: str, root: Path = Path("/")) -> tuple[str, str]:
    """Write the metrics client certificate and key (mode 0600); return their paths.

    Nothing is written until both are known.
    """
    folder = root / METRICS_TLS
    if cert and key:
        util.ensure_file(folder / "client.crt", cert, mode=0o600)
        util.ensure_file(folder / "client.key", key, mode=0o600)
    return str(folder / "client.crt"), str(folder / "client.key")


def ensure_metrics_rbac(user: str, root: Path = Path("/")) -> bool:
    """Bind the metrics reader role to ``user``; apply only when the manifest changed.

    The manifest is kept beside the metrics certificate; it is removed again when the
    apply fails, so that the next hook retries.
    """
    path = root / METRICS_TLS / "rbac.yaml"
    if not util.ensure_file(path, metrics_rbac.manifest(user)):
        return False
    try:
        util.run([MICROK8S, "kubectl", "apply", "-f", str(path)], attempts=3)
    except subprocess.CalledProcessError:
        util.remove_file(path)
        raise
    return True
