"""Typed access to what the app was built with (settings, database, clock).

All dependencies are `async def`: FastAPI runs plain `def` dependencies in a thread pool,
which costs more than the work they do.
"""

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
