"""``/metrics`` in the Prometheus text format: requests by route and status, reports ingested,
rejected requests by reason, the database's size and its storage state.

Each app has its own registry, so several hubs in one process (tests) do not share counters.
The endpoint needs no key and names no customer.
"""

import time
from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from felhom_hub.store import Database

router = APIRouter(tags=["health"])

REJECTION_REASONS = {
    400: "bad_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "body_timeout",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
    507: "storage_full",
}


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "felhom_hub_http_requests", "HTTP requests", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "felhom_hub_http_request_seconds", "request duration", ["route"], registry=r
        )
        self.rejected = Counter(
            "felhom_hub_rejected_requests", "requests refused, by reason", ["reason"], registry=r
        )
        self.reports_ingested = Counter("felhom_hub_reports_ingested", "reports stored", registry=r)
        self.database_bytes = Gauge(
            "felhom_hub_database_bytes", "database and WAL size on disk", registry=r
        )
        self.storage_ok = Gauge(
            "felhom_hub_storage_ok", "1 when the database is usable, else 0", registry=r
        )

    def watch(self, db: Database) -> None:
        self.database_bytes.set_function(db.size_bytes)
        self.storage_ok.set_function(lambda: 0.0 if db.fault else 1.0)


class MetricsMiddleware:
    """Counts every answer by route template (never the raw path: ids would explode labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        began = time.perf_counter()

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - began)
            if status in REJECTION_REASONS:
                self.metrics.rejected.labels(REJECTION_REASONS[status]).inc()


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics; no authentication, no customer names."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
