"""Reaching a PhysicalHost's BMC: its credentials Secret, one Redfish look at the system and
the actions a reconcile's plan calls for, all in one session.

Every failure becomes a `Failure` with an upstream condition reason and a message safe to
show (no credential ever appears in it).
"""

import logging

from beskar7.api.capi import Secret
from beskar7.api.crds import MOVE_LABEL
from beskar7.api.errors import NotFoundError, StoreError
from beskar7.api.kinds import SECRET
from beskar7.api.physicalhost import (
    MISSING_CREDENTIALS,
    MISSING_SECRET_DATA,
    PASSWORD_KEY,
    REDFISH_CONNECTION_FAILED,
    REDFISH_QUERY_FAILED,
    SECRET_GET_FAILED,
    SECRET_NOT_FOUND,
    USERNAME_KEY,
    PhysicalHost,
)
from beskar7.controllers.host.data import (
    FAILURE_REASONS,
    ActionResult,
    Failure,
    Observation,
    Plan,
    RedfishAction,
)
from beskar7.redfish import (
    REACHING_THE_BMC,
    Credentials,
    PowerOperation,
    PowerState,
    RedfishClient,
    RedfishConnect,
    RedfishError,
)
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)


class CredentialsError(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


async def read_credentials(store: Store, namespace: str, secret_name: str) -> Credentials:
    """The username and password from the host's credentials Secret."""
    if not secret_name:
        raise CredentialsError(Failure(MISSING_CREDENTIALS, "no credentialsSecretRef is set"))
    try:
        secret = Secret.from_obj(await store.get(SECRET, namespace, secret_name))
    except NotFoundError:
        message = f'credentials Secret "{secret_name}" not found in namespace "{namespace}"'
        raise CredentialsError(Failure(SECRET_NOT_FOUND, message)) from None
    except StoreError as exc:
        message = f'could not read credentials Secret "{secret_name}": {exc.reason}'
        raise CredentialsError(Failure(SECRET_GET_FAILED, message)) from None
    await _label_for_move(store, secret)
    username, password = secret.text(USERNAME_KEY), secret.text(PASSWORD_KEY)
    missing = [k for k, v in ((USERNAME_KEY, username), (PASSWORD_KEY, password)) if not v]
    if missing or username is None or password is None:
        keys = " and ".join(f'"{k}"' for k in missing)
        message = f'credentials Secret "{secret_name}" has no {keys} key'
        raise CredentialsError(Failure(MISSING_SECRET_DATA, message))
    return Credentials(username, password)


async def _label_for_move(store: Store, secret: Secret) -> None:
    """`clusterctl move` carries a Secret no Cluster owns only when it is labelled (clusterctl
    provider contract); without its BMC credentials a moved host could not be managed."""
    meta = secret.metadata
    if MOVE_LABEL in meta.labels:
        return
    patch = {"metadata": {"labels": {MOVE_LABEL: ""}, "resourceVersion": meta.resource_version}}
    try:
        await store.patch(SECRET, meta.namespace, meta.name, patch)
    except StoreError as exc:  # a concurrent write or no permission: try again next time
        log.info("Secret %s/%s not labelled for move: %s", meta.namespace, meta.name, exc)


def failure_of(exc: RedfishError) -> Failure:
    """The condition reason for a Redfish failure: connecting vs. querying."""
    if exc.error_type in REACHING_THE_BMC:
        return Failure(REDFISH_CONNECTION_FAILED, str(exc))
    return Failure(REDFISH_QUERY_FAILED, str(exc))


async def open_bmc(
    host: PhysicalHost, credentials: Credentials, connect: RedfishConnect, timeout: float
) -> RedfishClient:
    conn = host.spec.redfish_connection
    client: RedfishClient = await connect(
        conn.address,
        credentials,
        insecure_skip_verify=conn.insecure_skip_verify,
        timeout=timeout,
    )
    return client


async def observe(
    host: PhysicalHost, credentials: Credentials, connect: RedfishConnect, timeout: float
) -> Observation:
    """One look at the host's system: facts, power state and addresses, or why it failed."""
    try:
        client = await open_bmc(host, credentials, connect, timeout)
    except RedfishError as exc:
        return Observation(failure=failure_of(exc))
    try:
        info = await client.system_info()
        addresses = await client.network_addresses()
    except RedfishError as exc:
        return Observation(failure=failure_of(exc))
    finally:
        await client.close()
    return Observation(info=info, addresses=tuple(addresses))


async def visit(
    host: PhysicalHost,
    credentials: Credentials,
    connect: RedfishConnect,
    timeout: float,
    plan: Plan,
) -> tuple[Observation, tuple[ActionResult, ...]]:
    """Look at the system, then run the plan's actions; no action runs when the look failed."""
    try:
        client = await open_bmc(host, credentials, connect, timeout)
    except RedfishError as exc:
        return Observation(failure=failure_of(exc)), ()
    try:
        try:
            info = await client.system_info()
            addresses = await client.network_addresses()
        except RedfishError as exc:
            return Observation(failure=failure_of(exc)), ()
        seen = Observation(info=info, addresses=tuple(addresses))
        return seen, await run_actions(client, plan, info.power_state)
    finally:
        await client.close()


async def run_actions(
    client: RedfishClient, plan: Plan, power_state: str | None
) -> tuple[ActionResult, ...]:
    """Each action in turn; a strict plan stops at the first failure."""
    results: list[ActionResult] = []
    for action in plan.actions:
        try:
            operation = await _run(client, action, power_state)
        except RedfishError as exc:
            results.append(ActionResult(action, Failure(FAILURE_REASONS[action], str(exc))))
            if plan.strict:
                break
        else:
            results.append(ActionResult(action, operation=operation))
    return tuple(results)


async def _run(client: RedfishClient, action: RedfishAction, power_state: str | None) -> str | None:
    """Run one action; the power operation it sent, if any."""
    if action == RedfishAction.CLEAR_BOOT_OVERRIDE:
        await client.clear_boot_override()
    elif action == RedfishAction.SET_PXE_ONCE:
        await client.set_pxe_once()
    elif action == RedfishAction.POWER_ON:
        if power_state == PowerState.ON:
            await client.reset()
            return PowerOperation.FORCE_RESTART
        await client.power_on()
        return PowerOperation.POWER_ON
    elif await client.power_state() != PowerState.OFF:
        await client.force_off()
        return PowerOperation.POWER_OFF
    return None
