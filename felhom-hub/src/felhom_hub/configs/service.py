"""The config actions the dashboard offers (seed "Customer Actions"), as one object over the
database, the vault and an HTTP client. A failed action raises :class:`ActionError` with a
message for the page and leaves the hub's store as it was."""

from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import Connection

from felhom_hub.config import Settings
from felhom_hub.configs import controller, records
from felhom_hub.configs.diff import DiffRow, diff_yaml
from felhom_hub.configs.extract import PullError, extract
from felhom_hub.configs.generate import generate
from felhom_hub.configs.merge import TemplateError
from felhom_hub.configs.model import Credentials, StoredConfig
from felhom_hub.configs.template import Template, current
from felhom_hub.configs.vault import SealedError, Vault
from felhom_hub.store import Database, configs, registry, templates


class ActionError(Exception):
    """The action did not happen; the message says why (and holds no secret)."""


@dataclass(frozen=True, slots=True)
class Generated:
    text: str
    template: Template


@dataclass(frozen=True, slots=True)
class Target:
    stored: StoredConfig
    url: str | None
    generated: Generated


def _load(conn: Connection, vault: Vault, customer_id: str) -> StoredConfig:
    try:
        stored = records.load(conn, vault, customer_id)
    except SealedError:
        raise ActionError(
            "this config was sealed with a key the hub no longer has (configs.secret_keys)"
        ) from None
    if stored is None:
        raise ActionError("this customer has no config (it is a manual customer)")
    return stored


@dataclass
class ConfigService:
    settings: Settings
    db: Database
    vault: Vault
    http: httpx.AsyncClient

    @property
    def timeout(self) -> float:
        return self.settings.configs.controller_timeout.total_seconds()

    def render(self, stored: StoredConfig, template: Template | None) -> Generated:
        if template is None:
            raise ActionError("no template: neither a fetched one nor felhom-controller's example")
        try:
            text = generate(template.text, stored, hub_url=self.settings.configs.hub_url)
        except TemplateError as exc:
            raise ActionError(str(exc)) from None
        return Generated(text, template)

    async def generated(self, customer_id: str) -> Generated:
        def read(conn: Connection) -> tuple[StoredConfig, Template | None]:
            return _load(conn, self.vault, customer_id), current(templates.get(conn))

        stored, template = await self.db.reading(read)
        return self.render(stored, template)

    async def _target(self, customer_id: str) -> Target:
        def read(conn: Connection) -> tuple[StoredConfig, Template | None, str | None]:
            stored = _load(conn, self.vault, customer_id)
            url = configs.controller_url(conn, customer_id=customer_id)
            return stored, current(templates.get(conn)), url

        stored, template, url = await self.db.reading(read)
        return Target(stored, url, self.render(stored, template))

    async def live(self, target: Target) -> str:
        keys = target.stored.credentials.keys_to_try()
        try:
            return await controller.fetch_config(self.http, target.url, keys, self.timeout)
        except controller.ControllerError as exc:
            raise ActionError(f"Could not read the controller's config: {exc}") from None

    async def diff(self, customer_id: str) -> list[DiffRow]:
        target = await self._target(customer_id)
        live = await self.live(target)
        try:
            return diff_yaml(target.generated.text, live)
        except TemplateError as exc:
            raise ActionError(str(exc)) from None

    async def push(self, customer_id: str, now: datetime) -> str:
        target = await self._target(customer_id)
        credentials = target.stored.credentials
        try:
            digest = await controller.apply_config(
                self.http,
                target.url,
                credentials.keys_to_try(),
                self.timeout,
                target.generated.text,
            )
        except controller.ControllerError as exc:
            if exc.failure is controller.Failure.TIMEOUT:  # it may still have applied it
                message = f"Push unconfirmed: {exc}; Show Diff tells whether it applied"
                raise ActionError(message) from None
            raise ActionError(f"Push failed, nothing was applied: {exc}") from None
        if credentials.previous_api_key:  # the node has the new key now
            settled = Credentials(credentials.api_key, credentials.session_secret)
            await self.db.writing(
                lambda conn: records.update_credentials(
                    conn, self.vault, customer_id, settled, now=now
                )
            )
        return f"Config pushed; the controller applied it (sha256 {digest[:12]})."

    async def pull(self, customer_id: str, now: datetime) -> str:
        target = await self._target(customer_id)
        live = await self.live(target)
        try:
            pulled = extract(live, target.generated.template.text, target.stored)
        except (PullError, TemplateError) as exc:
            raise ActionError(f"Pull failed, nothing was changed: {exc}") from None
        changed = len(
            diff_yaml(self.render(pulled, target.generated.template).text, target.generated.text)
        )
        await self.db.writing(lambda conn: records.save(conn, self.vault, pulled, now=now))
        return f"Config pulled from the controller; {changed} key(s) changed in the hub."

    async def update(self, customer_id: str) -> str:
        target = await self._target(customer_id)
        image = self.settings.registry.image
        state = await self.db.reading(lambda conn: registry.state(conn, image=image))
        if state is None or state.newest is None:
            raise ActionError("No newer version known: the registry check has found none yet.")
        keys = target.stored.credentials.keys_to_try()
        try:
            await controller.start_update(self.http, target.url, keys, self.timeout, state.newest)
        except controller.ControllerError as exc:
            raise ActionError(f"Update not started: {exc}") from None
        return f"The controller started updating to {state.newest}."
