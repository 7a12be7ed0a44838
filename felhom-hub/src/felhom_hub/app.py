"""Builds the FastAPI application from settings, a database and a clock (all injectable)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from felhom_hub import __version__
from felhom_hub.api import errors, fleet, health, ingest
from felhom_hub.clock import Clock, utcnow
from felhom_hub.config import Settings
from felhom_hub.jobs.prune import PruneResult, prune
from felhom_hub.jobs.schedule import run_daily
from felhom_hub.store import Database


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock = utcnow,
    run_jobs: bool = True,
) -> FastAPI:
    database = db or Database(settings.server.database_path)

    def daily_prune(now: datetime) -> PruneResult:
        return prune(database, now=now, retention=settings.retention)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        database.migrate()
        stop = asyncio.Event()
        jobs = []
        if run_jobs:
            at = settings.retention.prune_schedule
            jobs.append(asyncio.create_task(run_daily("prune", at, daily_prune, clock, stop)))
        yield
        stop.set()
        await asyncio.gather(*jobs)
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
    errors.install(app, max_body_bytes=settings.server.max_body_bytes)
    app.include_router(ingest.router)
    app.include_router(fleet.router)
    app.include_router(health.router)

    return app
