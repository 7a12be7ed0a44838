"""The config actions on the customer page (seed "Customer Actions"): push, pull, diff, trigger
update, create config from a report, regenerate credentials; and the page's config panel."""

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.configs import accounts, records
from felhom_hub.configs.accounts import ConfigExistsError, Credential
from felhom_hub.configs.diff import MASK, Change, masked
from felhom_hub.configs.model import Credentials, StoredConfig
from felhom_hub.configs.service import ActionError, ConfigService
from felhom_hub.configs.template import current
from felhom_hub.configs.vault import SealedError
from felhom_hub.store import registry, reports, templates
from felhom_hub.store.registry import RegistryState
from felhom_hub.store.templates import TemplateState
from felhom_hub.web.common import checked_form, forbidden, render, to_login
from felhom_hub.web.config_pages import issued_page, setup_commands
from felhom_hub.web.guard import Visitor, visitor

router = APIRouter(include_in_schema=False)


class ConfigAction(StrEnum):
    PUSH = "push-config"
    PULL = "pull-config"
    UPDATE = "trigger-update"


TITLES = {
    ConfigAction.PUSH: "Push Config",
    ConfigAction.PULL: "Pull Config",
    ConfigAction.UPDATE: "Trigger Update",
}


def _result(
    request: Request, who: Visitor, customer_id: str, title: str, message: str, ok: bool
) -> Response:
    context = {"customer_id": customer_id, "title": title, "message": message, "ok": ok}
    return render(request, who, "config_result.html", context, 200 if ok else 502)


async def _run(
    service: ConfigService, action: ConfigAction, customer_id: str, now: datetime
) -> str:
    if action is ConfigAction.PUSH:
        return await service.push(customer_id, now)
    if action is ConfigAction.PULL:
        return await service.pull(customer_id, now)
    return await service.update(customer_id)


def _action_route(action: ConfigAction) -> None:
    async def act(request: Request, customer_id: str) -> Response:
        who, form = await checked_form(request)
        if form is None:
            return forbidden(request, who)
        if not who.operator:
            return to_login(request)
        service: ConfigService = request.app.state.config_service
        try:
            message = await _run(service, action, customer_id, request.app.state.clock())
        except ActionError as exc:
            return _result(request, who, customer_id, TITLES[action], str(exc), ok=False)
        return _result(request, who, customer_id, TITLES[action], message, ok=True)

    router.add_api_route(f"/customers/{{customer_id}}/{action.value}", act, methods=["POST"])


for _action in ConfigAction:
    _action_route(_action)


@router.get("/customers/{customer_id}/config-diff")
async def config_diff(request: Request, customer_id: str) -> Response:
    who = visitor(request)
    if not who.operator:
        return to_login(request)
    service: ConfigService = request.app.state.config_service
    try:
        rows = await service.diff(customer_id)
    except ActionError as exc:
        return _result(request, who, customer_id, "Show Diff", str(exc), ok=False)
    shown = [
        {
            "key": r.key,
            "change": r.change.value,
            "old": None if r.change is Change.ADDED else _shown(r.old),
            "new": None if r.change is Change.REMOVED else _shown(r.new),
        }
        for r in rows
    ]
    return render(request, who, "config_diff.html", {"customer_id": customer_id, "rows": shown})


def _shown(value: object) -> str:
    """A value as JSON text: strings quoted (so "1" and 1 differ), null for an empty key."""
    return json.dumps(value, ensure_ascii=False, default=str)


@router.post("/customers/{customer_id}/create-config")
async def create_config(request: Request, customer_id: str) -> Response:
    """A managed config from the latest report; its credentials shown once, then the form."""
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    vault, now = request.app.state.vault, request.app.state.clock()

    def create(conn: Connection) -> accounts.Issued:
        latest = reports.latest(conn, customer_id=customer_id)
        config = accounts.from_report(customer_id, {} if latest is None else latest[1])
        return accounts.create(conn, vault, config, now=now)

    try:
        issued = await request.app.state.db.writing(create)
    except ConfigExistsError:
        message = "This customer already has a config."
        return _result(request, who, customer_id, "Create Config", message, ok=False)
    except ValueError:
        message = "This customer id cannot have a config (letters, digits, . _ -; at most 64)."
        return _result(request, who, customer_id, "Create Config", message, ok=False)
    return issued_page(request, who, issued, "Config created from the latest report")


@router.post("/customers/{customer_id}/regenerate/{which}")
async def regenerate(request: Request, customer_id: str, which: str) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    if which not in {c.value for c in Credential}:
        message = f"Unknown credential {which!r}."
        return render(request, who, "error.html", {"title": "Not found", "message": message}, 404)
    vault, now = request.app.state.vault, request.app.state.clock()
    try:
        issued = await request.app.state.db.writing(
            lambda conn: accounts.regenerate(conn, vault, customer_id, Credential(which), now=now)
        )
    except SealedError:
        issued = None
    if issued is None:
        message = "This customer has no config (or its config cannot be opened)."
        return _result(request, who, customer_id, "Regenerate", message, ok=False)
    return issued_page(request, who, issued, "New credential")


@dataclass(frozen=True, slots=True)
class ConfigPanel:
    """The customer page's config section."""

    stored: StoredConfig | None
    problem: str | None
    preview: str | None
    template_source: str | None
    template_error: str | None
    newest_version: str | None
    setup: str

    @property
    def key_pending(self) -> bool:
        return self.stored is not None and bool(self.stored.credentials.previous_api_key)


def _without_credentials(source: str) -> str:
    """A template URL as pages show it: no user info, query or fragment (tokens live there)."""
    parts = urlsplit(source)
    if not parts.scheme:
        return source
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def masked_copy(stored: StoredConfig) -> StoredConfig:
    """The config with every secret replaced by MASK, for the YAML preview."""
    config = stored.config.model_copy(
        update={
            "tokens": {name: MASK for name in stored.config.tokens},
            "overrides": masked("overrides", stored.config.overrides),
        }
    )
    return StoredConfig(config, Credentials(MASK, MASK))


async def config_panel(request: Request, customer_id: str) -> ConfigPanel:
    service: ConfigService = request.app.state.config_service
    image = request.app.state.settings.registry.image
    setup = setup_commands(request, customer_id)

    def read(
        conn: Connection,
    ) -> tuple[StoredConfig | None, str | None, TemplateState | None, RegistryState | None]:
        state, found = templates.get(conn), registry.state(conn, image=image)
        try:
            return records.load(conn, service.vault, customer_id), None, state, found
        except SealedError:
            problem = "This config was sealed with a key the hub no longer has."
            return None, problem, state, found

    stored, problem, state, found = await request.app.state.db.reading(read)
    template = current(state)
    newest = found.newest if found else None
    preview = None
    if stored is not None:
        try:
            preview = service.render(masked_copy(stored), template).text
        except ActionError as exc:
            problem = str(exc)
    source = _without_credentials(template.source) if template else None
    error = template.error if template else (state.error if state else None)
    return ConfigPanel(stored, problem, preview, source, error, newest, setup)
