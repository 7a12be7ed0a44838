"""Action handlers: thin adapters from Juju actions to hub admin operations."""

from __future__ import annotations

import datetime
import json
import logging
import re
from typing import TYPE_CHECKING

import ops
import pydantic

import admin_secret
import beszel
import first_user
import hub_admin
from beszel_api import BackupInProgressError, HubError
from s3 import plan_backups

if TYPE_CHECKING:
    from charm import BeszelCharm

logger = logging.getLogger(__name__)

_BACKUP_KEY = re.compile(r"^@?[a-z0-9_-]+\.zip$")
# Quotes and backslashes are kept out: the e-mail ends up in a PocketBase filter string.
_EMAIL = re.compile(r"^[^@\s'\"\\]+@[^@\s'\"\\]+$")


class CreateAgentTokenParams(pydantic.BaseModel):
    """Parameters of ``create-agent-token``."""

    description: str = pydantic.Field(default="", max_length=200)
    owner: str = ""

    @pydantic.field_validator("owner")
    @classmethod
    def _owner_is_email(cls, value: str) -> str:
        if value and not _EMAIL.match(value):
            raise ValueError("owner must be the e-mail of a hub user")
        return value


class RestoreBackupParams(pydantic.BaseModel):
    """Parameters of ``restore-backup``; ``confirm`` guards against accidents."""

    name: str
    confirm: bool = False

    @pydantic.field_validator("name")
    @classmethod
    def _name_is_backup_key(cls, value: str) -> str:
        if not _BACKUP_KEY.match(value):
            raise ValueError("name must be a backup key such as pb_backup_x.zip")
        return value


class HubActions(ops.Object):
    """Observes the charm's actions; each one runs against the local hub as superuser."""

    def __init__(self, charm: BeszelCharm) -> None:
        super().__init__(charm, "actions")
        self.charm = charm
        on = charm.on
        charm.framework.observe(on.get_admin_url_action, self._on_get_admin_url)
        charm.framework.observe(on.create_agent_token_action, self._on_create_agent_token)
        charm.framework.observe(on.backup_now_action, self._on_backup_now)
        charm.framework.observe(on.list_backups_action, self._on_list_backups)
        charm.framework.observe(on.restore_backup_action, self._on_restore_backup)
        charm.framework.observe(on.rotate_admin_password_action, self._on_rotate_password)

    def _ready(self, event: ops.ActionEvent) -> bool:
        """Fail the action unless this unit can administer the hub."""
        if self.charm.config_or_none() is None:
            event.fail("the charm config is invalid; fix it first (see juju status)")
        elif not self.charm.unit.is_leader():
            event.fail("run this action on the leader unit")
        elif not self.charm.container.can_connect():
            event.fail("the beszel container is not reachable yet")
        else:
            return True
        return False

    def _on_get_admin_url(self, event: ops.ActionEvent) -> None:
        config = self.charm.config_or_none()
        if config is None:
            event.fail("the charm config is invalid; fix it first (see juju status)")
            return
        url = self.charm.hub_url(config)
        results = {"url": url, "admin-url": url + beszel.ADMIN_UI_PATH}
        credentials = admin_secret.read(self.charm.model)
        if credentials is not None:
            results["admin-email"] = credentials.email
            results["credentials-secret-id"] = credentials.secret_id or ""
        user = first_user.read(self.charm.model)
        if user is not None:
            results["user-email"] = user.email
            results["user-secret-id"] = user.secret_id or ""
        event.set_results(results)

    def _on_create_agent_token(self, event: ops.ActionEvent) -> None:
        params = event.load_params(CreateAgentTokenParams, errors="fail")
        config = self.charm.config_or_none()
        if not self._ready(event) or config is None:
            return
        try:
            with self.charm.hub_session() as client:
                issued = hub_admin.issue_agent_token(client, params.owner)
        except HubError as exc:
            event.fail(f"could not create the agent token: {exc}")
            return
        hub_url = self.charm.hub_url(config)
        logger.info("issued a universal agent token (%s)", params.description or "no description")
        event.set_results(
            {
                "token": issued.token,
                "hub-url": hub_url,
                "hub-key": issued.hub_key,
                "description": params.description,
                "owner": params.owner or hub_admin.AGENT_OWNER_EMAIL,
                "instructions": beszel.agent_instructions(hub_url, issued.hub_key, issued.token),
            }
        )

    def _on_backup_now(self, event: ops.ActionEvent) -> None:
        config = self.charm.config_or_none()
        if not self._ready(event) or config is None:
            return
        target, _ = plan_backups(self.charm.s3.credentials(), config)
        now = datetime.datetime.now(datetime.timezone.utc)
        name = beszel.backup_name(now)
        try:
            with self.charm.hub_session() as client:
                client.create_backup(name)
        except BackupInProgressError:
            event.fail("another backup or restore is already running; try again later")
            return
        except HubError as exc:
            event.fail(f"backup failed: {exc}")
            return
        path = beszel.backup_path(name, target.bucket if target else None)
        event.set_results({"backup-path": path, "backup-name": name, "timestamp": now.isoformat()})

    def _on_list_backups(self, event: ops.ActionEvent) -> None:
        if not self._ready(event):
            return
        try:
            with self.charm.hub_session() as client:
                backups = client.list_backups()
        except HubError as exc:
            event.fail(f"listing backups failed: {exc}")
            return
        listing = [{"key": b.key, "size": b.size, "modified": b.modified} for b in backups]
        event.set_results({"backups": json.dumps(listing), "count": len(listing)})

    def _on_restore_backup(self, event: ops.ActionEvent) -> None:
        params = event.load_params(RestoreBackupParams, errors="fail")
        if not params.confirm:
            event.fail("restore replaces all hub data; re-run with confirm=true")
            return
        if not self._ready(event):
            return
        try:
            with self.charm.hub_session() as client:
                client.restore_backup(params.name)
        except BackupInProgressError:
            event.fail("another backup or restore is already running; try again later")
            return
        except HubError as exc:
            event.fail(f"restore failed: {exc}")
            return
        event.set_results({"restored": params.name})

    def _on_rotate_password(self, event: ops.ActionEvent) -> None:
        if not self._ready(event):
            return
        try:
            fresh = admin_secret.rotate(self.charm.model, self.charm.apply_superuser)
        except HubError as exc:
            event.fail(f"password rotation failed: {exc}")
            return
        event.set_results(
            {"admin-email": fresh.email, "credentials-secret-id": fresh.secret_id or ""}
        )
