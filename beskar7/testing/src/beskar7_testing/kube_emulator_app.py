"""The API emulator's HTTP side: the Kubernetes REST paths of namespaced kinds over a Store.

See kube_emulator.KubeEmulator for what is emulated and what is not.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from beskar7.api.errors import StoreError
from beskar7.api.kinds import Kind, Obj
from beskar7.store import selectors
from beskar7.store.merge_patch import merge_diff
from beskar7.store.protocol import Store
from beskar7_testing.kube_emulator_status import (
    UNKNOWN_FORMAT,
    ApiStatusError,
    bad_request,
    from_store_error,
    not_found_path,
)
from beskar7_testing.kube_emulator_watch import WatchStreams

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
BUILTIN_GROUPS = frozenset({"", "coordination.k8s.io"})
"""Groups compiled into the API server: their lists carry items without apiVersion/kind and
their DELETE answers a Status rather than the object (custom resources behave otherwise)."""
_ITEM_METHODS = ["GET", "PUT", "PATCH", "DELETE"]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    content_type: str


@dataclass
class Target:
    """What a request addresses: the kind, and the namespace and name where the path has them."""

    kind: Kind
    namespace: str | None
    name: str = ""

    @property
    def ns(self) -> str:
        return self.namespace or ""


Handler = Callable[[Request, Target], Awaitable[Response]]


def _json(obj: Obj, code: int = 200) -> Response:
    return JSONResponse(obj, status_code=code)


def _failure(failure: ApiStatusError) -> Response:
    return JSONResponse(failure.body, status_code=failure.code)


async def _object_body(request: Request) -> Obj:
    content_type = request.headers.get("content-type", JSON).split(";")[0].strip()
    if content_type not in (JSON, "*/*", ""):
        raise ApiStatusError(415, "UnsupportedMediaType", UNKNOWN_FORMAT.replace(MERGE_PATCH, JSON))
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise bad_request("the request body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.setdefault("metadata", {}), dict):
        raise bad_request("the request body is not a JSON object with object metadata")
    return body


async def _merge_patch(request: Request) -> Obj:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != MERGE_PATCH:
        raise ApiStatusError(415, "UnsupportedMediaType", UNKNOWN_FORMAT)
    try:
        patch = json.loads(await request.body())
    except ValueError:
        raise bad_request("the patch is not valid JSON") from None
    if not isinstance(patch, dict):
        raise bad_request("a merge patch of an object must be a JSON object")
    return patch


def _check_type(body: Obj, kind: Kind) -> None:
    if not body.get("kind") or not body.get("apiVersion"):
        raise bad_request("Object 'Kind' or 'apiVersion' is missing in the request body")
    if body["apiVersion"] != kind.api_version or body["kind"] != kind.kind:
        raise bad_request(
            f"the API version and kind in the data ({body['apiVersion']}, {body['kind']}) do not"
            f" match the expected ones ({kind.api_version}, {kind.kind})"
        )


def _check_identity(body: Obj, target: Target) -> None:
    """The body of a PUT names the object of the URL (filled in where it is left out)."""
    _check_type(body, target.kind)
    meta = body["metadata"]
    if meta.setdefault("namespace", target.ns) != target.ns:
        raise bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    if meta.setdefault("name", target.name) != target.name:
        raise bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL"
            f" ({target.name})"
        )


def _selector(query: Any) -> selectors.Selector:
    if query.get("fieldSelector"):
        raise bad_request("field selectors are not supported by this emulator")
    if query.get("dryRun"):
        raise bad_request("dry runs are not supported by this emulator")
    try:
        return selectors.parse(query.get("labelSelector") or None)
    except ValueError as exc:
        raise bad_request(f"unable to parse requirement: {exc}") from None


def _timeout(query: Any) -> float | None:
    value = query.get("timeoutSeconds")
    try:
        return float(value) if value else None
    except ValueError:
        raise bad_request(f"timeoutSeconds must be a number, not {value!r}") from None


class EmulatorApi:
    """The ASGI app (`app()`) and its state: the store, open watches, the request log."""

    def __init__(self, open_store: Callable[[], Store], kinds: Iterable[Kind]) -> None:
        self._open_store = open_store
        self._kinds = tuple(kinds)
        self._store: Store | None = None
        self.watches = WatchStreams(lambda: self.store)
        self.requests: list[RecordedRequest] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the emulator is not serving")
        return self._store

    def app(self) -> ASGIApp:
        routes = [Route("/version", self._version)]
        for prefix in ("/api/{version}", "/apis/{group}/{version}"):
            collection = prefix + "/namespaces/{namespace}/{plural}"
            routes += [
                Route(prefix + "/{plural}", self._endpoint(self._collection), methods=["GET"]),
                Route(collection, self._endpoint(self._collection), methods=["GET", "POST"]),
                Route(collection + "/{name}", self._endpoint(self._item), methods=_ITEM_METHODS),
                Route(
                    collection + "/{name}/status",
                    self._endpoint(self._status),
                    methods=["GET", "PUT", "PATCH"],
                ),
            ]
        app = Starlette(
            routes=routes,
            lifespan=self._lifespan,
            exception_handlers={404: self._no_route, 405: self._no_route, Exception: self._bug},
        )
        return self._recording(app)

    # -- plumbing ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.loop = asyncio.get_running_loop()
        self._store = self._open_store()
        try:
            yield
        finally:
            await self.watches.end_all()
            await self._store.close()

    def _recording(self, app: ASGIApp) -> ASGIApp:
        async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = dict(scope["headers"])
                self.requests.append(
                    RecordedRequest(
                        scope["method"],
                        scope["path"],
                        scope["query_string"].decode(),
                        headers.get(b"content-type", b"").decode(),
                    )
                )
            await app(scope, receive, send)

        return recorded

    async def _no_route(self, request: Request, exc: Exception) -> Response:
        if getattr(exc, "status_code", 404) == 405:
            message = f"the server does not allow this method ({request.method}) on the resource"
            return _failure(ApiStatusError(405, "MethodNotAllowed", message, {}))
        return _failure(not_found_path())

    async def _bug(self, request: Request, exc: Exception) -> Response:
        _log.error("emulator bug on %s %s", request.method, request.url.path, exc_info=exc)
        return _failure(ApiStatusError(500, "InternalError", "Internal error occurred"))

    def _target(self, request: Request) -> Target:
        params = request.path_params
        group, version, plural = params.get("group", ""), params["version"], params["plural"]
        for kind in self._kinds:
            if (kind.group, kind.version, kind.plural) == (group, version, plural):
                return Target(kind, params.get("namespace"), params.get("name", ""))
        raise not_found_path()

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                target = self._target(request)
            except ApiStatusError as failure:
                return _failure(failure)
            try:
                return await handler(request, target)
            except ApiStatusError as failure:
                return _failure(failure)
            except StoreError as error:
                return _failure(from_store_error(error, target.kind, target.name))

        return endpoint

    async def _version(self, request: Request) -> Response:
        return _json({"major": "1", "minor": "31", "gitVersion": "v1.31.0-beskar7-emulator"})

    # -- resources ---------------------------------------------------------------------------

    async def _collection(self, request: Request, target: Target) -> Response:
        if request.method == "POST":
            return await self._create(request, target)
        selector = _selector(request.query_params)
        if request.query_params.get("watch") in ("true", "1"):
            query = request.query_params
            version = query.get("resourceVersion") or None
            return self.watches.open(
                target.kind, target.namespace, selector, version, _timeout(query)
            )
        listing = await self.store.list(target.kind, target.namespace, str(selector) or None)
        items = listing.items
        if target.kind.group in BUILTIN_GROUPS:
            items = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in items]
        kind = target.kind
        body = {
            "apiVersion": kind.api_version,
            "kind": f"{kind.kind}List",
            "metadata": {"resourceVersion": listing.resource_version},
            "items": items,
        }
        return _json(body)

    async def _create(self, request: Request, target: Target) -> Response:
        _selector(request.query_params)  # refuses dryRun
        body = await _object_body(request)
        _check_type(body, target.kind)
        meta = body["metadata"]
        target.name = str(meta.get("name") or meta.get("generateName") or "")
        if meta.setdefault("namespace", target.ns) != target.ns:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the"
                " request"
            )
        return _json(await self.store.create(body), 201)

    async def _item(self, request: Request, target: Target) -> Response:
        kind, ns, name = target.kind, target.ns, target.name
        if request.method == "GET":
            return _json(await self.store.get(kind, ns, name))
        _selector(request.query_params)  # refuses dryRun
        if request.method == "PUT":
            body = await _object_body(request)
            _check_identity(body, target)
            return _json(await self.store.update(body))
        if request.method == "PATCH":
            patch = await _merge_patch(request)
            return _json(await self.store.patch(kind, ns, name, patch))
        before = await self.store.get(kind, ns, name)
        after = await self.store.delete(kind, ns, name)
        if after is not None:
            return _json(after, 202)
        if kind.group not in BUILTIN_GROUPS:
            return _json(before)
        uid = before["metadata"].get("uid", "")
        details = {"name": name, "group": kind.group, "kind": kind.plural, "uid": uid}
        success = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
        return _json({**success, "details": details})

    async def _status(self, request: Request, target: Target) -> Response:
        kind, ns, name = target.kind, target.ns, target.name
        if not kind.status_subresource:
            raise not_found_path()
        if request.method == "GET":
            return _json(await self.store.get(kind, ns, name))
        _selector(request.query_params)  # refuses dryRun
        if request.method == "PATCH":
            patch = await _merge_patch(request)
            status_patch: Obj = {k: patch[k] for k in ("status",) if k in patch}
            version = (patch.get("metadata") or {}).get("resourceVersion")
        else:  # PUT replaces the status: sent as the merge patch from the current one
            body = await _object_body(request)
            _check_identity(body, target)
            current = await self.store.get(kind, ns, name)
            version = body["metadata"].get("resourceVersion")
            status_patch = {"status": merge_diff(current.get("status"), body.get("status"))}
            version = version or current["metadata"]["resourceVersion"]
        if version:
            status_patch["metadata"] = {"resourceVersion": version}
        return _json(await self.store.patch_status(kind, ns, name, status_patch))
