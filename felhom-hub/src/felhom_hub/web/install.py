"""Wiring the dashboard into the hub's FastAPI app."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from felhom_hub.config import Settings
from felhom_hub.web import actions, auth_routes, config_actions, config_pages, maintenance, pages
from felhom_hub.web.guard import web_state
from felhom_hub.web.render import STATIC


def install(app: FastAPI, settings: Settings) -> None:
    app.state.web = web_state(settings)
    # maintenance and config routes before actions: their POST /customers/{id}/… would else be
    # taken for an action
    routers = [auth_routes.router, pages.router, maintenance.router]
    routers += [config_pages.router, config_actions.router, actions.router]
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
