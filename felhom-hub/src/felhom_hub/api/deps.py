"""Typed access to what the app was built with (settings, database, clock).

All dependencies are `async def`: FastAPI runs plain `def` dependencies in a thread pool,
which costs more than the work they do.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from felhom_hub.config import Settings
from felhom_hub.store import Database


async def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


Db = Annotated[Database, Depends(_db)]
AppSettings = Annotated[Settings, Depends(_settings)]
Now = Annotated[datetime, Depends(_now)]


@dataclass(frozen=True, slots=True)
class Writes:
    """The database, the settings and this request's time as one dependency, for the ingest
    routes: FastAPI spends ~15 us per dependency per request, and a report is the hub's
    hottest path (``bench/README.md``)."""

    db: Database
    settings: Settings
    now: datetime


async def _writes(request: Request) -> Writes:
    state = request.app.state
    return Writes(state.db, state.settings, state.clock())


WriteContext = Annotated[Writes, Depends(_writes)]
