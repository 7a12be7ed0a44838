"""An in-process Kubernetes API server emulator on a real loopback port.

`KubeEmulator` serves the Kubernetes REST API of beskar7's kinds (api/kinds.py) over an
`EmbeddedStore`, so `KubernetesStore`, the CLI's `--kubeconfig` and anything else speaking HTTP
to an API server can be tested without a cluster:

    with KubeEmulator() as api:                 # or: async with KubeEmulator() as api
        api.write_kubeconfig(tmp_path / "kubeconfig")
        ...                                     # api.url, api.requests

What it emulates, as a real API server does:
- the paths of namespaced kinds, core group included: `/api/v1/namespaces/{ns}/{plural}[/{name}]`
  and `/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]`; lists and watches across
  namespaces at `/api/v1/{plural}` and `/apis/{group}/{version}/{plural}`;
- GET, list with `labelSelector`, POST (201), PUT with resourceVersion, PATCH with
  `application/merge-patch+json`, DELETE (202 and the object while finalizers hold it, else 200:
  the object for custom resources, a Success Status for built-in kinds), and the `/status`
  subresource (GET, PUT, PATCH) of kinds that have one (404 for the others);
- the store's semantics (store/protocol.py): resourceVersion conflicts, status only through
  `/status`, generation, finalizers and deletionTimestamp;
- `?watch=true` from a resourceVersion, newline-delimited JSON events, `timeoutSeconds`, and a
  too old version answered with 200 then an ERROR event carrying a 410 Expired Status; unset,
  the current objects come first as ADDED events; "0" ("start anywhere") starts at version 0
  while the change log reaches back there (a fresh store's lists say "0", never a real server's),
  else as unset;
- failures as `Status` bodies with the real codes, reasons and messages: 404 NotFound, 409
  AlreadyExists or Conflict, 410 Expired, 422 Invalid with `details.causes` (from the `validate`
  hook, standing in for a CRD schema), 400 BadRequest for a body whose kind, namespace or name
  does not match the URL, 415 UnsupportedMediaType for any other patch type;
- list items of built-in kinds without apiVersion/kind, as real servers send them.

What it does not: authentication and authorization (any credentials are accepted), discovery
(`/api`, `/apis`), cluster-scoped kinds, JSON patch, strategic merge patch and server-side
apply (all 415), field selectors and dry runs (400), pagination (`limit` is ignored: one page),
watch bookmarks, label-selector transitions in watches (objects leaving the selector are just no
longer reported), admission webhooks, garbage collection through ownerReferences, TLS, protobuf.
Where the store's rules are stricter than a real server's, the store wins: an update without
resourceVersion is a 409 Conflict for every kind (real servers: 422 for custom resources,
accepted for most built-in kinds).
"""

import asyncio
import copy
import json
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from tempfile import TemporaryDirectory
from types import TracebackType
from typing import Any

import uvicorn

from beskar7.api.kinds import ALL_KINDS, Kind, Obj
from beskar7.store.embedded.store import EmbeddedStore, Validator
from beskar7.store.protocol import Store
from beskar7_testing.kube_emulator_app import EmulatorApi, RecordedRequest

START_SECONDS = 10.0
CONTEXT = "beskar7-emulator"


class KubeEmulator:
    """A Kubernetes API server emulator serving on `host` (a free port unless `port` is given)
    from a background thread. `path` is the store's SQLite file (a temporary one by default);
    `validate(kind, obj)` is passed to `EmbeddedStore` and its InvalidError answers 422;
    `retention` is how many changes watches can reach back (older versions: 410 Expired)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        validate: Validator | None = None,
        kinds: Iterable[Kind] = ALL_KINDS,
        retention: int = 10_000,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._path = path
        self._validate = validate
        self._retention = retention
        self._kinds = tuple(kinds)
        self._host, self._port = host, port
        self._api = EmulatorApi(self._open_store, self._kinds)
        self._tmp: TemporaryDirectory[str] | None = None
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _open_store(self) -> Store:
        path = self._path
        if path is None:
            self._tmp = TemporaryDirectory(prefix="kube-emulator-")
            path = Path(self._tmp.name) / "store.db"
        return EmbeddedStore(
            path,
            validate=None if self._validate is None else self._validated,
            kinds=self._kinds,
            retention=self._retention,
            poll_interval=0.05,
        )

    def _validated(self, kind: Kind, obj: Obj) -> Obj:
        """The hook on a copy: the store must not see its own dict changed under it."""
        assert self._validate is not None
        return self._validate(kind, copy.deepcopy(obj))

    @property
    def url(self) -> str:
        if self._socket is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every HTTP request served so far (method, path, query string, content type)."""
        return list(self._api.requests)

    def clear_requests(self) -> None:
        self._api.requests.clear()

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> "KubeEmulator":
        """Serve from a background thread; returns once the port answers (or raises)."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self._socket = sock
        config = uvicorn.Config(
            self._api.app(),
            lifespan="on",
            log_config=None,
            log_level="warning",
            access_log=False,
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="kube-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the Kubernetes API emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """End open watches, stop serving, close the store and remove temporary files."""
        server, thread, loop = self._server, self._thread, self._api.loop
        if server is not None and thread is not None and thread.is_alive():
            if loop is not None and server.started:
                ending = asyncio.run_coroutine_threadsafe(self._api.watches.end_all(), loop)
                ending.result(timeout=5)
            server.should_exit = True
            thread.join(timeout=START_SECONDS)
        if self._socket is not None:
            self._socket.close()
        if self._tmp is not None:
            self._tmp.cleanup()
        self._server = self._thread = self._socket = self._tmp = None

    def __enter__(self) -> "KubeEmulator":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> "KubeEmulator":
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- clients -------------------------------------------------------------------------------

    def kubeconfig(self, namespace: str = "default") -> Obj:
        """A kubeconfig whose current context points at this emulator."""
        user: dict[str, Any] = {"token": "emulator"}  # accepted, never checked
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": CONTEXT, "cluster": {"server": self.url}}],
            "users": [{"name": CONTEXT, "user": user}],
            "contexts": [
                {
                    "name": CONTEXT,
                    "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
                }
            ],
            "current-context": CONTEXT,
        }

    def write_kubeconfig(self, path: Path, namespace: str = "default") -> Path:
        """Write `kubeconfig()` (JSON, which kubeconfig readers take as YAML) to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.kubeconfig(namespace), indent=2) + "\n")
        return path
