#!/usr/bin/env python3
"""Juju charm for the Beszel Hub on Kubernetes: event wiring and status."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import ops

import admin_secret
import beszel
import first_user
import hub_admin
from actions import HubActions
from beszel_api import HubClient, HubError, HubUnavailableError
from config import BeszelConfig, describe_error
from ingress import IngressRequirer
from oauth import OAuthClient
from s3 import S3Requirer, plan_backups

logger = logging.getLogger(__name__)

STARTUP_WAIT_SECONDS = 15.0
STANDBY_STATUS = "standby: one hub per application runs on the leader; remove this unit"


class BeszelCharm(ops.CharmBase):
    """Runs the hub with Pebble and keeps its PocketBase settings in line with Juju."""

    def __init__(self, framework: ops.Framework) -> None:
        super().__init__(framework)
        self.container = self.unit.get_container(beszel.CONTAINER)
        self.ingress = IngressRequirer(self)
        self.s3 = S3Requirer(self)
        self.oauth = OAuthClient(self)
        self.actions = HubActions(self)
        self._config_error: str | None = None
        self._hub_problem: str | None = None
        self._hub_unreachable = False
        on = self.on
        for event in (
            on.beszel_pebble_ready,
            on.config_changed,
            on.upgrade_charm,
            on.leader_elected,
            on.update_status,
            on.beszel_data_storage_attached,
            on.beszel_pebble_check_failed,
            on.beszel_pebble_check_recovered,
            on.secret_changed,
            self.oauth.requirer.on.oauth_info_changed,
            self.oauth.requirer.on.oauth_info_removed,
        ):
            framework.observe(event, self._reconcile)
        for endpoint in ("ingress", "s3-credentials", "oauth"):
            framework.observe(on[endpoint].relation_joined, self._reconcile)
            framework.observe(on[endpoint].relation_changed, self._reconcile)
            framework.observe(on[endpoint].relation_broken, self._reconcile)
        framework.observe(on.collect_unit_status, self._on_collect_status)

    # -- converge ---------------------------------------------------------------

    def _reconcile(self, _: ops.EventBase) -> None:
        """Bring workload, relations and hub settings in line; status comes later."""
        config = self.config_or_none()
        if config is None or not self._storage_attached() or not self.container.can_connect():
            return  # collect-status reports why
        if not self.unit.is_leader():
            self._stand_by(config)
            return
        restarted = self._ensure_layer(config)
        self.unit.set_ports(config.port)
        self.ingress.publish(config.port)
        self.s3.request_bucket(config.s3_bucket)
        redirect_uri = beszel.oauth_redirect_uri(self.public_url(config))
        if self.oauth.related and redirect_uri:
            self.oauth.register(redirect_uri)
        self._set_workload_version()
        self._configure_hub(config, restarted)

    def _stand_by(self, config: BeszelConfig) -> None:
        """Non-leader units run no hub: each hub has its own SQLite database (README)."""
        layer = ops.pebble.Layer(beszel.pebble_layer(config.port, {}, serve=False))  # type: ignore[arg-type]
        planned = self.container.get_plan().services.get(beszel.SERVICE)
        if planned is None or planned.to_dict() != layer.services[beszel.SERVICE].to_dict():
            self.container.add_layer(beszel.LAYER, layer, combine=True)
        if self._service_running():
            self.container.stop(beszel.SERVICE)
            logger.info("stopped the hub: only the leader unit runs one")
        self.unit.set_ports()
        self.ingress.withdraw()

    def _ensure_layer(self, config: BeszelConfig) -> bool:
        """Apply the layer; restart only when it changed. Returns True on a restart."""
        # OAuth-only login is switched on once the OIDC client really exists.
        oidc_ready = self._oauth_url_ok(config) and self.oauth.provider() is not None
        env = beszel.hub_environment(self.public_url(config), oidc_ready)
        layer = ops.pebble.Layer(beszel.pebble_layer(config.port, env))  # type: ignore[arg-type]
        plan = self.container.get_plan()
        current = (plan.services.get(beszel.SERVICE), plan.checks.get(beszel.CHECK))
        wanted = (layer.services[beszel.SERVICE], layer.checks[beszel.CHECK])
        if [c.to_dict() if c else None for c in current] == [w.to_dict() for w in wanted]:
            if self._service_running():
                return False
            logger.info("hub service is not running; starting it")
        else:
            self.container.add_layer(beszel.LAYER, layer, combine=True)
            logger.info("Pebble layer changed; hub (re)started on port %d", config.port)
        self.container.replan()
        return True

    def _set_workload_version(self) -> None:
        try:
            output, _ = self.container.exec(beszel.VERSION_COMMAND).wait_output()
        except (ops.pebble.Error, OSError):
            return
        version = beszel.parse_version(output)
        if version:
            self.unit.set_workload_version(version)

    def _configure_hub(self, config: BeszelConfig, restarted: bool) -> None:
        self._hub_problem = None
        try:
            with self.hub_session(wait=restarted) as client:
                hub_admin.apply_settings(client, self._desired_settings(config))
                first_user.ensure(self.model, client)
        except HubUnavailableError:
            self._hub_unreachable = True
        except HubError as exc:
            self._hub_problem = str(exc)
            logger.warning("configuring the hub failed: %s", exc)

    def _desired_settings(self, config: BeszelConfig) -> hub_admin.HubSettings:
        s3, _ = plan_backups(self.s3.credentials(), config)
        oidc = self.oauth.provider() if self._oauth_url_ok(config) else None
        return hub_admin.HubSettings(config.log_level.slog_level, s3, oidc)

    # -- hub access (also used by actions) -----------------------------------------

    @contextlib.contextmanager
    def hub_session(self, wait: bool = False) -> Iterator[HubClient]:
        """Leader only: a superuser session over localhost, creating the superuser if needed."""
        config = self.config_or_none()
        port = config.port if config else 8090
        credentials = admin_secret.ensure(self.model)
        client = HubClient(f"http://localhost:{port}")
        try:
            if not self._wait_healthy(client, STARTUP_WAIT_SECONDS if wait else 0.0):
                raise HubUnavailableError("Beszel Hub is not answering /api/health")
            try:
                client.login(credentials.email, credentials.password)
            except HubUnavailableError:
                raise
            except HubError:
                self.apply_superuser(credentials)
                client.login(credentials.email, credentials.password)
            yield client
        finally:
            client.close()

    @staticmethod
    def _wait_healthy(client: HubClient, timeout: float) -> bool:
        # Bounded: only right after a (re)start, so first configuration needs no extra hook.
        deadline = time.monotonic() + timeout
        while not client.is_healthy():
            if time.monotonic() >= deadline:
                return False
            time.sleep(1.0)
        return True

    def apply_superuser(self, credentials: admin_secret.AdminCredentials) -> None:
        """Create or update the PocketBase superuser through the hub CLI."""
        command = beszel.superuser_upsert_command(credentials.email, credentials.password)
        try:
            self.container.exec(command, timeout=60).wait_output()
        except ops.pebble.ExecError as exc:
            # The command line carries the password: report only the exit code.
            raise HubError(f"superuser upsert failed with exit code {exc.exit_code}") from None
        except ops.pebble.Error as exc:
            raise HubError(f"superuser upsert failed: {type(exc).__name__}") from None

    def public_url(self, config: BeszelConfig) -> str | None:
        """Where users reach the hub: ingress URL, else https://<external-hostname>."""
        return beszel.public_url(self.ingress.url, config.external_hostname)

    def hub_url(self, config: BeszelConfig) -> str:
        """The public URL, else the in-cluster Service URL."""
        fallback = beszel.service_url(self.app.name, self.model.name, config.port)
        return self.public_url(config) or fallback

    def config_or_none(self) -> BeszelConfig | None:
        """The validated config, or None (the reason is kept for collect-status)."""
        try:
            return self.load_config(BeszelConfig)
        except ValueError as exc:
            self._config_error = describe_error(exc)
            return None

    # -- status ----------------------------------------------------------------------

    def _storage_attached(self) -> bool:
        return bool(self.model.storages[beszel.STORAGE])

    def _oauth_url_ok(self, config: BeszelConfig) -> bool:
        return beszel.oauth_redirect_uri(self.public_url(config)) is not None

    def _service_running(self) -> bool:
        try:
            service = self.container.get_services(beszel.SERVICE).get(beszel.SERVICE)
        except (ops.pebble.Error, ops.ModelError):
            return False
        return service is not None and service.is_running()

    def _hub_healthy(self) -> bool:
        try:
            check = self.container.get_checks(beszel.CHECK).get(beszel.CHECK)
        except (ops.pebble.Error, ops.ModelError):
            return False
        if check is None or not self._service_running():
            return False
        # Pebble reports a new check as "up" before it ever ran; Pebble >= 1.23 counts
        # successes, so there "up" only counts once /api/health has answered.
        passed = check.successes is None or check.successes > 0
        return check.status == ops.pebble.CheckStatus.UP and passed

    def _on_collect_status(self, event: ops.CollectStatusEvent) -> None:
        config = self.config_or_none()
        if config is None:
            event.add_status(ops.BlockedStatus(self._config_error or "invalid config"))
        if not self._storage_attached():
            event.add_status(ops.BlockedStatus(f"storage {beszel.STORAGE} is not attached"))
        s3_problem = plan_backups(self.s3.credentials(), config)[1] if config else None
        if s3_problem:
            event.add_status(ops.BlockedStatus(s3_problem))
        if config and self.oauth.related and not self._oauth_url_ok(config):
            event.add_status(
                ops.BlockedStatus("oauth needs an https ingress or external-hostname")
            )
        if not self.unit.is_leader():
            event.add_status(ops.BlockedStatus(STANDBY_STATUS))
        if not self.container.can_connect():
            event.add_status(ops.WaitingStatus("waiting for Pebble"))
        elif not self._hub_healthy():
            event.add_status(ops.WaitingStatus("waiting for Beszel Hub health check"))
        elif self._hub_unreachable:
            event.add_status(ops.WaitingStatus("waiting for Beszel Hub API"))
        if self._hub_problem:
            event.add_status(ops.MaintenanceStatus(f"configuring Beszel Hub: {self._hub_problem}"))
        event.add_status(ops.ActiveStatus("Beszel Hub is ready"))


if __name__ == "__main__":  # pragma: nocover
    ops.main(BeszelCharm)
