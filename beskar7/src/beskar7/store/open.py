"""Choosing a store: Kubernetes when a kubeconfig or in-cluster config is there, else embedded."""

from pathlib import Path

from beskar7.api.validation import validate
from beskar7.store.embedded.store import EmbeddedStore
from beskar7.store.kube import store as kube
from beskar7.store.protocol import Store

DEFAULT_STORE = Path("var/beskar7.db")


async def open_store(store_path: Path | None, kubeconfig: Path | None) -> Store:
    """The Kubernetes API of `kubeconfig` (or of the pod we run in, unless a store path was given
    explicitly), else the embedded store at `store_path` (default ./var/beskar7.db)."""
    if kubeconfig is not None:
        return await kube.connect(kubeconfig)
    if store_path is None and kube.in_cluster():
        return await kube.connect(None)
    return EmbeddedStore(store_path or DEFAULT_STORE, validate=validate)
