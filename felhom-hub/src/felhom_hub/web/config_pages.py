"""The config form pages: ``/configs/new`` and ``/configs/{id}/edit`` (validated, inline errors,
CSRF); creating a config shows its credentials once."""

from typing import Any

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.api.fields import CUSTOMER_ID_PATTERN
from felhom_hub.configs import accounts, records
from felhom_hub.configs.accounts import ConfigExistsError, Issued
from felhom_hub.configs.model import ManagedConfig, StoredConfig
from felhom_hub.configs.vault import SealedError, Vault
from felhom_hub.events import EventType
from felhom_hub.store import deadman
from felhom_hub.web.common import checked_form, forbidden, redirect, render, to_login
from felhom_hub.web.config_form import FormErrors, parse, values_of, values_posted
from felhom_hub.web.guard import Visitor, visitor

router = APIRouter(include_in_schema=False)
EMPTY = {"cooldown_hours": 6, "events": set(), "expect_restic": "", "expect_dbdump": ""}


def setup_commands(request: Request, customer_id: str) -> str:
    """What to run on a fresh node to fetch its controller.yaml and start the controller."""
    base = request.app.state.settings.configs.hub_url or str(request.base_url).rstrip("/")
    return (
        "install -d -m 700 /etc/felhom\n"
        'curl -fsS -H "X-Retrieval-Password: <retrieval password>" \\\n'
        f"  {base}/api/v1/config/{customer_id} -o /etc/felhom/controller.yaml\n"
        "chmod 600 /etc/felhom/controller.yaml\n"
        "felhom-controller --config /etc/felhom/controller.yaml run"
    )


def _form(
    request: Request,
    who: Visitor,
    values: dict[str, Any],
    errors: FormErrors,
    *,
    editing: str | None,
    status: int = 200,
) -> Response:
    context = {
        "v": {**EMPTY, **values},
        "errors": errors,
        "editing": editing,
        "event_types": list(EventType),
        "id_pattern": CUSTOMER_ID_PATTERN.strip("^$"),
    }
    return render(request, who, "config_form.html", context, status)


def issued_page(request: Request, who: Visitor, issued: Issued, title: str) -> Response:
    context = {
        "issued": issued,
        "title": title,
        "setup": setup_commands(request, issued.customer_id),
    }
    return render(request, who, "config_credentials.html", context)


@router.get("/configs/new")
async def new_form(request: Request) -> Response:
    who = visitor(request)
    if not who.operator:
        return to_login(request)
    return _form(
        request,
        who,
        {"customer_id": request.query_params.get("customer_id", "")},
        FormErrors(),
        editing=None,
    )


@router.post("/configs/new")
async def create(request: Request) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    customer_id = form.get("customer_id", "").strip()
    config, errors = parse(form, customer_id)
    if config is None:
        return _form(request, who, values_posted(form), errors, editing=None, status=400)
    vault: Vault = request.app.state.vault
    now = request.app.state.clock()
    try:

        def write(conn: Connection) -> Issued:
            issued = accounts.create(conn, vault, config, now=now)
            _rearm(request, conn)
            return issued

        issued = await request.app.state.db.writing(write)
    except ConfigExistsError:
        errors = FormErrors(customer_id="this customer already has a config; edit it instead")
        return _form(request, who, values_posted(form), errors, editing=None, status=409)
    return issued_page(request, who, issued, "Config created")


async def _stored(request: Request, customer_id: str) -> StoredConfig | str | None:
    """The stored config, None without one, or why it cannot be opened."""
    vault: Vault = request.app.state.vault
    try:
        found: StoredConfig | None = await request.app.state.db.reading(
            lambda conn: records.load(conn, vault, customer_id)
        )
    except SealedError:
        return "This config was sealed with a key the hub no longer has (configs.secret_keys)."
    return found


def _missing(request: Request, who: Visitor, problem: str | None) -> Response:
    message = problem or "This customer has no config; create one first."
    return render(request, who, "error.html", {"title": "No config", "message": message}, 404)


@router.get("/configs/{customer_id}/edit")
async def edit_form(request: Request, customer_id: str) -> Response:
    who = visitor(request)
    if not who.operator:
        return to_login(request)
    stored = await _stored(request, customer_id)
    if not isinstance(stored, StoredConfig):
        return _missing(request, who, stored)
    return _form(request, who, values_of(stored.config), FormErrors(), editing=customer_id)


@router.post("/configs/{customer_id}/edit")
async def save(request: Request, customer_id: str) -> Response:
    who, form = await checked_form(request)
    if form is None:
        return forbidden(request, who)
    if not who.operator:
        return to_login(request)
    stored = await _stored(request, customer_id)
    if not isinstance(stored, StoredConfig):
        return _missing(request, who, stored)
    config, errors = parse(form, customer_id, keep=stored)
    if config is None:
        values = {**values_posted(form), "customer_id": customer_id}
        return _form(request, who, values, errors, editing=customer_id, status=400)
    await _save(request, config)
    return redirect(f"/customers/{customer_id}")


async def _save(request: Request, config: ManagedConfig) -> None:
    vault: Vault = request.app.state.vault
    now = request.app.state.clock()

    def write(conn: Connection) -> None:
        records.update_config(conn, vault, config, now=now)
        _rearm(request, conn)

    await request.app.state.db.writing(write)


def _rearm(request: Request, conn: Connection) -> None:
    """A changed stale threshold takes effect at once (as on start-up and unblock)."""
    default = request.app.state.settings.alerting.stale_threshold
    deadman.rearm_all(conn, default_threshold=default)
