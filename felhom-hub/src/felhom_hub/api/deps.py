"""Typed access to what the app was built with (settings, database, clock)."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from felhom_hub.config import Settings
from felhom_hub.store import Database


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


Db = Annotated[Database, Depends(_db)]
AppSettings = Annotated[Settings, Depends(_settings)]
Now = Annotated[datetime, Depends(_now)]
