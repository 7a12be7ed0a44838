"""Builds the FastAPI application from settings, a database and a clock (all injectable)."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from felhom_hub import __version__
from felhom_hub.api import config, errors, fleet, health, history, ingest, maintenance, metrics
from felhom_hub.api.limits import KeyLimiter
from felhom_hub.api.payloads import EventIn, InfraBackupIn, NotifyIn, PreferencesIn
from felhom_hub.api.report_schema import Report
from felhom_hub.clock import Clock, utcnow
from felhom_hub.config import Settings
from felhom_hub.configs.reseal import reseal_at_start
from felhom_hub.configs.service import ConfigService
from felhom_hub.configs.vault import vault_for
from felhom_hub.jobs.loop import JobMetrics
from felhom_hub.jobs.services import Services
from felhom_hub.storage import open_database
from felhom_hub.store import Database, deadman
from felhom_hub.web.install import install as install_dashboard

BODY_MODELS = (Report, EventIn, InfraBackupIn, NotifyIn, PreferencesIn)


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock = utcnow,
    run_jobs: bool = True,
) -> FastAPI:
    database = db or open_database(settings.storage, settings.server.data_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database.migrate()
        with database.write() as conn:  # thresholds may have changed since the last run
            deadman.rearm_all(conn, default_threshold=settings.alerting.stale_threshold)
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=30) as http:
            services = Services(settings, database, clock, JobMetrics(app.state.metrics.registry))
            services.http = http
            app.state.config_service = ConfigService(settings, database, app.state.vault, http)
            work: list[Coroutine[Any, Any, Any]] = [health.probe(database, stop)]
            work.append(anyio.to_thread.run_sync(reseal_at_start, database, app.state.vault))
            if run_jobs:
                work.extend(services.coroutines(stop))
            tasks = [asyncio.create_task(job) for job in work]
            yield
            stop.set()
            await asyncio.gather(*tasks)
        database.dispose()

    app = FastAPI(
        title="felhom-hub",
        version=__version__,
        summary="Fleet hub: nodes push reports, events and infrastructure backups.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.clock = clock
    app.state.vault = vault_for(settings)
    app.state.limiter = KeyLimiter(
        settings.api.rate_limit_per_minute, settings.api.daily_bytes_per_key
    )
    app.state.metrics = metrics.Metrics()
    app.state.metrics.watch(database)
    errors.install(app, server=settings.server)
    app.add_middleware(metrics.MetricsMiddleware, metrics=app.state.metrics)
    routers = (ingest, fleet, config, history, maintenance, health, metrics)
    for module in routers:
        app.include_router(module.router)
    install_dashboard(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the request-body schemas the ingest routes parse themselves."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in BODY_MODELS:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        app.openapi_schema = document
    return app.openapi_schema
