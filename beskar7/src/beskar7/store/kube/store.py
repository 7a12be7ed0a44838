"""The Store protocol over a Kubernetes API server.

Objects travel as plain dicts through lightkube's HTTP connection (kubeconfig or in-cluster
service account: server URL, TLS and authentication). Requests are built here rather than through
lightkube's typed resources so that one code path serves every kind, core group included, and so
that the raw answer stays visible: DELETE tells "still there, finalizers pending" (202) from
"gone" (200), and watch ERROR events carry the Status to map.

Patches are JSON merge patches (`application/merge-patch+json`), the one type CRDs and built-in
kinds both accept; status goes through the `/status` subresource where the kind has one.
Validation is left to the API server (CRD schemas).
"""

import asyncio
import json
import os
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import lightkube
from lightkube.config.kubeconfig import SERVICE_ACCOUNT, KubeConfig
from lightkube.core.exceptions import ConfigError

from beskar7.api.errors import ConflictError, UnavailableError
from beskar7.api.kinds import Kind, Obj, kind_of
from beskar7.store.kube.errors import error_from_response, error_from_status
from beskar7.store.protocol import EventType, LabelSelector, ObjectList, WatchEvent
from beskar7.store.selectors import to_string

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
WATCH_SECONDS = 300
"""Server-side lifetime of one watch request; the watch then resumes where it stopped."""
_EVENT_TYPES: frozenset[str] = frozenset({"ADDED", "MODIFIED", "DELETED"})


def collection_path(kind: Kind, namespace: str | None) -> str:
    """`api/v1/namespaces/ns/secrets`, `apis/g/v/namespaces/ns/plural`, or across namespaces
    without the `namespaces/ns` part (relative to the server URL, which may carry a prefix)."""
    base = f"apis/{kind.group}/{kind.version}" if kind.group else f"api/{kind.version}"
    if namespace and kind.namespaced:
        base = f"{base}/namespaces/{quote(namespace, safe='')}"
    return f"{base}/{kind.plural}"


def object_path(kind: Kind, namespace: str, name: str, subresource: str = "") -> str:
    path = f"{collection_path(kind, namespace)}/{quote(name, safe='')}"
    return f"{path}/{subresource}" if subresource else path


def in_cluster() -> bool:
    """Whether this process runs in a pod with a service account (in-cluster config usable)."""
    return (
        bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        and (Path(SERVICE_ACCOUNT) / "token").is_file()
    )


async def connect(kubeconfig: Path | None = None) -> "KubernetesStore":
    """A store on the cluster of `kubeconfig` (its current context), else the in-cluster config."""
    try:
        if kubeconfig is not None:
            config = KubeConfig.from_file(kubeconfig)
        else:
            config = KubeConfig.from_service_account()
    except ConfigError as exc:
        where = kubeconfig or "the in-cluster service account"
        raise UnavailableError(f"no usable Kubernetes configuration in {where}: {exc}") from exc
    return KubernetesStore(lightkube.AsyncClient(config))


def _typed(kind: Kind, obj: Any) -> Obj:
    """A returned object with apiVersion and kind (lists of built-in kinds leave them out)."""
    if not isinstance(obj, dict):
        raise UnavailableError(f"the Kubernetes API answered a {type(obj).__name__}, not an object")
    obj.setdefault("apiVersion", kind.api_version)
    obj.setdefault("kind", kind.kind)
    return obj


def _what(kind: Kind, namespace: str | None, name: str = "") -> str:
    where = f"{namespace}/{name}" if namespace else name
    return f"{kind.kind} {where}".rstrip()


class KubernetesStore:
    """`Store` on a Kubernetes API server, dict in and dict out, for every kind of api/kinds.py."""

    def __init__(self, client: lightkube.AsyncClient) -> None:
        self._client = client
        # lightkube's configured HTTP client: base URL, TLS and auth from the kubeconfig.
        self._http: httpx2.AsyncClient = client._client._client
        self.namespace: str = client.namespace or "default"
        """Where `create` puts objects whose metadata has no namespace."""
        self._pending_starts: set[asyncio.Future[str]] = set()

    async def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Obj | None = None,
        params: dict[str, str] | None = None,
        content_type: str = JSON,
    ) -> tuple[int, Obj]:
        if method != "GET" and self._pending_starts:
            await asyncio.wait(list(self._pending_starts))  # see watch()
        headers = {"Accept": JSON}
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        try:
            resp = await self._http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx2.HTTPError as exc:
            raise UnavailableError(f"{method} {path}: Kubernetes API unreachable: {exc}") from exc
        if resp.status_code >= 400:
            raise error_from_response(resp.status_code, resp.content, what)
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UnavailableError(f"{method} {path}: the answer is not a JSON object")
        return resp.status_code, data

    async def get(self, kind: Kind, namespace: str, name: str) -> Obj:
        path = object_path(kind, namespace, name)
        _, obj = await self._request("GET", path, _what(kind, namespace, name))
        return _typed(kind, obj)

    async def list(
        self, kind: Kind, namespace: str | None = None, labels: LabelSelector = None
    ) -> ObjectList:
        params: dict[str, str] = {}
        if labels:
            params["labelSelector"] = to_string(labels)
        result = ObjectList()
        version = ""
        while True:  # follows `continue` tokens, should the server paginate on its own
            path = collection_path(kind, namespace)
            _, data = await self._request("GET", path, _what(kind, namespace), params=params)
            result.items.extend(_typed(kind, item) for item in data.get("items") or [])
            meta = data.get("metadata") or {}
            version = version or str(meta.get("resourceVersion") or "")
            if not meta.get("continue"):
                break
            params["continue"] = str(meta["continue"])
        result.resource_version = version or "0"
        return result

    async def create(self, obj: Obj) -> Obj:
        kind = kind_of(obj)
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or self.namespace
        if kind.namespaced and not meta.get("namespace"):
            obj = {**obj, "metadata": {**meta, "namespace": namespace}}
        name = meta.get("name") or meta.get("generateName") or ""
        path = collection_path(kind, namespace)
        _, created = await self._request("POST", path, _what(kind, namespace, name), body=obj)
        return _typed(kind, created)

    async def update(self, obj: Obj) -> Obj:
        kind = kind_of(obj)
        meta = obj.get("metadata") or {}
        namespace, name = meta.get("namespace") or self.namespace, str(meta.get("name") or "")
        if not meta.get("resourceVersion"):
            # Built-in kinds would take it unconditionally, CRDs refuse it as invalid: the
            # Store contract wants a Conflict for every kind.
            raise ConflictError(f"{_what(kind, namespace, name)}: update needs resourceVersion")
        path = object_path(kind, namespace, name)
        _, updated = await self._request("PUT", path, _what(kind, namespace, name), body=obj)
        return _typed(kind, updated)

    async def patch(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        return await self._patch(kind, object_path(kind, namespace, name), namespace, name, patch)

    async def patch_status(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        """Through `/status` where the kind has that subresource; otherwise status is an
        ordinary part of the object and only it (plus resourceVersion) is patched."""
        if kind.status_subresource:
            path = object_path(kind, namespace, name, "status")
            return await self._patch(kind, path, namespace, name, patch)
        only: Obj = {k: v for k, v in patch.items() if k == "status"}
        version = (patch.get("metadata") or {}).get("resourceVersion")
        if version:
            only["metadata"] = {"resourceVersion": version}
        return await self.patch(kind, namespace, name, only)

    async def _patch(self, kind: Kind, path: str, namespace: str, name: str, patch: Obj) -> Obj:
        what = _what(kind, namespace, name)
        _, obj = await self._request("PATCH", path, what, body=patch, content_type=MERGE_PATCH)
        return _typed(kind, obj)

    async def delete(self, kind: Kind, namespace: str, name: str) -> Obj | None:
        path = object_path(kind, namespace, name)
        code, body = await self._request("DELETE", path, _what(kind, namespace, name))
        if body.get("kind") == "Status":
            return None
        meta = body.get("metadata") or {}
        # 202: deletion accepted but pending (finalizers); 200: gone. Some servers answer 200
        # with the still-present object, recognisable by its deletionTimestamp and finalizers.
        if code == 202 or (meta.get("deletionTimestamp") and meta.get("finalizers")):
            return _typed(kind, body)
        return None

    def watch(
        self, kind: Kind, namespace: str | None = None, resource_version: str | None = None
    ) -> AsyncIterator[WatchEvent]:
        """Changes after `resource_version`; with None, after "now" as fixed when watch() is
        called: that version is asked for at once, and writes this store makes afterwards
        wait for the answer, so none of them can slip in before the watch's start."""
        if resource_version is not None:
            return self._follow(kind, namespace, resource_version)
        start = asyncio.ensure_future(self._current_version(kind, namespace))
        self._pending_starts.add(start)
        start.add_done_callback(_settle_start)
        start.add_done_callback(self._pending_starts.discard)
        return self._follow(kind, namespace, start)

    async def _follow(
        self, kind: Kind, namespace: str | None, start: "str | asyncio.Future[str]"
    ) -> AsyncIterator[WatchEvent]:
        version = start if isinstance(start, str) else await start
        while True:  # each request ends after WATCH_SECONDS; resume from the last version seen
            seen = 0
            async with aclosing(self._watch_request(kind, namespace, version)) as events:
                async for event_type, obj in events:
                    seen += 1
                    version = str(obj.get("metadata", {}).get("resourceVersion") or version)
                    if event_type in _EVENT_TYPES:
                        yield WatchEvent(_event_type(event_type), _typed(kind, obj))
            if not seen:
                await asyncio.sleep(0.5)  # a server closing watches at once is not spun on

    async def _current_version(self, kind: Kind, namespace: str | None) -> str:
        path = collection_path(kind, namespace)
        params = {"limit": "1"}
        _, data = await self._request("GET", path, _what(kind, namespace), params=params)
        return str((data.get("metadata") or {}).get("resourceVersion") or "0")

    async def _watch_request(
        self, kind: Kind, namespace: str | None, version: str
    ) -> AsyncGenerator[tuple[str, Obj], None]:
        """One watch request's events as (type, object); ERROR events raise their error."""
        path = collection_path(kind, namespace)
        what = _what(kind, namespace)
        params = {
            "watch": "true",
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_SECONDS),
        }
        timeout = httpx2.Timeout(10.0, read=WATCH_SECONDS + 30.0)
        request = self._http.build_request(
            "GET", path, params=params, headers={"Accept": JSON}, timeout=timeout
        )
        try:
            resp = await self._http.send(request, stream=True)
        except httpx2.HTTPError as exc:
            raise UnavailableError(f"watch {what}: Kubernetes API unreachable: {exc}") from exc
        try:
            if resp.status_code >= 400:
                raise error_from_response(resp.status_code, await resp.aread(), what)
            async for line in resp.aiter_lines():
                if line.strip():
                    yield _parse_event(line, what)
        except httpx2.HTTPError as exc:
            raise UnavailableError(f"watch {what}: connection lost: {exc}") from exc
        finally:
            await resp.aclose()

    async def close(self) -> None:
        await self._client.close()


def _settle_start(start: "asyncio.Future[str]") -> None:
    """Retrieve a failed start's error: the watch that needed it raises it when iterated."""
    if not start.cancelled():
        start.exception()


def _event_type(name: str) -> EventType:
    if name == "ADDED":
        return "ADDED"
    return "MODIFIED" if name == "MODIFIED" else "DELETED"


def _parse_event(line: str, what: str) -> tuple[str, Obj]:
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
        raise UnavailableError(f"watch {what}: not a watch event")
    event_type, obj = str(event.get("type")), event["object"]
    if event_type == "ERROR":
        code = obj.get("code")
        raise error_from_status(obj, code if isinstance(code, int) else 500, what)
    return event_type, obj
