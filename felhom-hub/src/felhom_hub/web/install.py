"""Wiring the dashboard into the hub's FastAPI app."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from felhom_hub.config import Settings
from felhom_hub.web import actions, auth_routes, maintenance, pages
from felhom_hub.web.guard import web_state
from felhom_hub.web.render import STATIC


def install(app: FastAPI, settings: Settings) -> None:
    app.state.web = web_state(settings)
    # maintenance before actions: its POST /customers/{id}/maintenance would else be an action
    for router in (auth_routes.router, pages.router, maintenance.router, actions.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
