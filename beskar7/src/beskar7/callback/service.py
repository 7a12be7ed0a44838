"""The callback server's operations, free of HTTP: each returns what to answer or raises a
`CallbackError` carrying the status code and an opaque message.

Token-checked operations answer `UnauthorizedError` identically for a wrong, expired, missing or
other host's token and for a host that does not exist, and change nothing. Tokens, bootstrap
data and report contents are never logged.
"""

import logging
from dataclasses import dataclass
from typing import Any

from beskar7.api.machine import OSFamily
from beskar7.api.meta import format_time
from beskar7.api.physicalhost import HostState, PhysicalHost
from beskar7.api.protocol import REVOKED_AT_PROVISIONED, Annotation
from beskar7.callback import boot, hosts, reports, tokens
from beskar7.callback.ratelimit import RateLimiter
from beskar7.callback.settings import CallbackSettings, Clock
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

BOOT_PATH = ("api", "v1", "boot")


class CallbackError(Exception):
    status = 500
    detail = "internal error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail:
            self.detail = detail


class BadRequestError(CallbackError):
    status = 400
    detail = "bad request"


class UnauthorizedError(CallbackError):
    status = 401
    detail = "unauthorized"


class NotReadyError(CallbackError):
    status = 404
    detail = "not found"


class NotExpectingError(CallbackError):
    status = 409
    detail = "not expecting a report"


class PausedError(CallbackError):
    status = 503
    detail = "paused; retry later"


class TooLargeError(CallbackError):
    status = 413
    detail = "request body too large"


class TooManyRequestsError(CallbackError):
    status = 429
    detail = "too many requests"

    def __init__(self, retry_after: float) -> None:
        super().__init__()
        self.retry_after = retry_after


class UnprocessableError(CallbackError):
    status = 422
    detail = "unprocessable"


@dataclass(frozen=True)
class Caller:
    """A host that presented its current token: the inspection token, or (`report`) the final
    OS's report token."""

    host: PhysicalHost
    token: str
    report: bool = False


@dataclass(frozen=True)
class BootAnswer:
    """An iPXE script: the boot itself (found) or the opaque wait-and-retry (not found)."""

    found: bool
    script: str


class CallbackService:
    def __init__(self, store: Store, settings: CallbackSettings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.limiter = RateLimiter(settings.boot_rate, settings.boot_burst)

    def rate_limit(self, client: str) -> None:
        """Raise TooManyRequestsError unless `client` may ask for a boot script now."""
        wait = self.limiter.acquire(client, self.clock().timestamp())
        if wait > 0:
            raise TooManyRequestsError(wait)

    # -- boot ------------------------------------------------------------------------------

    async def boot(self, base: str, namespace: str, name: str, raw_mac: str | None) -> BootAnswer:
        mac = boot.normalize_mac(raw_mac)
        retry_url = boot.path_url(base, *BOOT_PATH, namespace, name, mac=mac)
        script = await self._render(base, namespace, name, mac, retry_url)
        if script is None:
            return BootAnswer(False, boot.waiting_script(retry_url))
        return BootAnswer(True, script)

    async def boot_by_mac(self, base: str, raw_mac: str | None) -> BootAnswer:
        mac = boot.normalize_mac(raw_mac)
        retry_url = base + boot.BY_MAC_PATH + (f"?mac={mac}" if mac else "")
        waiting = BootAnswer(False, boot.waiting_script(retry_url))
        if mac is None:
            return waiting
        found = await hosts.hosts_by_boot_mac(self.store, mac)
        if len(found) != 1:
            if found:
                names = ", ".join(sorted(_name(h) for h in found))
                log.error("boot MAC %s matches several inspecting hosts: %s", mac, names)
            return waiting
        meta = found[0].metadata
        script = await self._render(base, meta.namespace, meta.name, mac, retry_url)
        return waiting if script is None else BootAnswer(True, script)

    async def _render(
        self, base: str, namespace: str, name: str, mac: str | None, retry_url: str
    ) -> str | None:
        """Mint a token, render, store the token's hash (replacing any older one); None when
        the host may not boot now or its script cannot be rendered safely."""
        rendered: list[str] = []

        async def decide(host: PhysicalHost) -> hosts.Annotations | None:
            target = await hosts.boot_target(self.store, host)
            if target is None or await hosts.paused(self.store, host):
                return None
            now = self.clock()
            token, record = tokens.issue(now, self.settings.token_lifetime)
            try:
                rendered[:] = [self._script(base, target, token, mac, retry_url)]
            except boot.RenderError as e:
                log.error("refusing to render the boot script of host %s: %s", _name(host), e)
                return None
            return {Annotation.BOOTSTRAP_TOKEN: record.to_annotation()}

        if await hosts.annotate_host(self.store, namespace, name, decide) is None:
            return None
        log.info("handed the inspection boot script to host %s/%s", namespace, name)
        return rendered[0]

    def _script(
        self, base: str, target: hosts.BootTarget, token: str, mac: str | None, retry_url: str
    ) -> str:
        spec = target.machine.spec
        params = boot.BootParams(
            api=base,
            token=token,
            namespace=target.host.metadata.namespace,
            host=target.host.metadata.name,
            inspection_image=spec.inspection_image,
            target=spec.target_os_image,
            timeout=int(self.settings.inspection_timeout),
            console=self.settings.console,
            config=spec.configuration_url,
            os_family=_os_family(spec.os_family, spec.configuration_url),
            mac=mac,
        )
        return boot.render_boot_script(params, retry_url)

    # -- token-checked callbacks -----------------------------------------------------------

    async def authorize(
        self, namespace: str, name: str, token: str | None, *, report: bool = False
    ) -> Caller:
        """The host, when `token` is its current, unexpired inspection token or, with `report`,
        its report token; refused for every token once the host is provisioned."""
        host = await hosts.get_host(self.store, namespace, name)
        if host is not None and token is not None:
            if self._token_ok(host, token, Annotation.BOOTSTRAP_TOKEN):
                return Caller(host, token)
            if report and self._token_ok(host, token, Annotation.REPORT_TOKEN):
                return Caller(host, token, report=True)
        self._token_ok(None, token, Annotation.BOOTSTRAP_TOKEN)  # the same work whatever is wrong
        raise UnauthorizedError()

    def _token_ok(self, host: PhysicalHost | None, token: str | None, key: Annotation) -> bool:
        text = host.metadata.annotations.get(key) if host else None
        valid = tokens.verify(token, tokens.parse_record(text), self.clock())
        return valid and host is not None and not provisioned(host)

    def caller_ok(self, current: PhysicalHost, caller: Caller) -> bool:
        """Whether the caller's token is still the current host's (and it is not provisioned)."""
        key = Annotation.REPORT_TOKEN if caller.report else Annotation.BOOTSTRAP_TOKEN
        return self._token_ok(current, caller.token, key)

    async def annotate(self, caller: Caller, annotations: hosts.Annotations) -> None:
        """Write `annotations` while the caller's token is still the host's token (checked
        again on every attempt)."""

        async def decide(current: PhysicalHost) -> hosts.Annotations | None:
            return annotations if self.caller_ok(current, caller) else None

        await self._not_paused(caller.host)
        meta = caller.host.metadata
        if await hosts.annotate_host(self.store, meta.namespace, meta.name, decide) is None:
            raise UnauthorizedError()

    async def _not_paused(self, host: PhysicalHost) -> None:
        """A paused host's state is not changed: 503, the caller retries later."""
        if await hosts.paused(self.store, host):
            raise PausedError()

    async def accept_report(self, caller: Caller, data: dict[str, Any]) -> None:
        """Protocol step 4 (api/protocol.py): ConfigMap `<host>-inspection-result`, then
        `inspection-result-ref`."""
        host = caller.host
        if host.status.state != HostState.INSPECTING:
            raise NotExpectingError()
        await self._not_paused(host)
        try:
            report = reports.validate_report(data, self.clock())
        except reports.BodyError as e:
            raise BadRequestError(str(e)) from None
        name = await hosts.save_report(self.store, host, reports.report_json(report))
        await self.annotate(caller, {Annotation.INSPECTION_RESULT_REF: name})
        log.info("accepted the inspection report of host %s", _name(host))

    @staticmethod
    def parse_body(body: bytes) -> dict[str, Any]:
        try:
            return reports.parse_object(body)
        except reports.BodyError as e:
            raise BadRequestError(str(e)) from None

    @staticmethod
    def envelope(data: dict[str, Any]) -> tuple[str, str]:
        try:
            return reports.envelope(data)
        except reports.BodyError as e:
            raise BadRequestError(str(e)) from None

    async def bootstrap(self, caller: Caller) -> bytes:
        """Protocol step 6 (api/protocol.py): the bootstrap data once the host's machine is
        Provisioning."""
        data = await hosts.bootstrap_data(self.store, caller.host)
        if data is None:
            raise NotReadyError()
        log.info("handed bootstrap data to host %s", _name(caller.host))
        return data

    async def provisioned(self, caller: Caller, body: bytes) -> None:
        """Protocol step 7: the request, and every token of the host revoked in the same write.
        An optional `{"message": ...}` from the final OS is logged (sanitized)."""
        try:
            message = reports.provisioned_message(body)
        except reports.BodyError as e:
            raise BadRequestError(str(e)) from None
        stamp = format_time(self.clock().replace(microsecond=0))
        revoked: hosts.Annotations = dict.fromkeys(REVOKED_AT_PROVISIONED)
        await self.annotate(caller, {Annotation.PROVISIONED_REQUEST: stamp, **revoked})
        shown = f": {message}" if message else ""
        log.info("host %s reports its operating system is up%s", _name(caller.host), shown)

    async def provision_failed(self, caller: Caller, body: bytes) -> None:
        try:
            reason = reports.failure_reason(body)
        except reports.BodyError as e:
            raise BadRequestError(str(e)) from None
        await self.annotate(caller, {Annotation.PROVISION_FAILED_REQUEST: reason})
        log.warning("host %s reports a failed deployment: %s", _name(caller.host), reason)


def _name(host: PhysicalHost) -> str:
    return f"{host.metadata.namespace}/{host.metadata.name}"


def provisioned(host: PhysicalHost) -> bool:
    """Ready, or its final OS already reported provisioned: no callback is taken any more."""
    annotations = host.metadata.annotations
    return host.status.state == HostState.READY or Annotation.PROVISIONED_REQUEST in annotations


def _os_family(family: OSFamily | None, config_url: str | None) -> str:
    """The family whose kernel parameter carries the configuration URL: as given, else Kairos
    (upstream beskar7's OS) when there is a URL, so upstream manifests keep working, else the
    generic cloud-init family reading beskar7's own NoCloud seed."""
    if family is not None:
        return family.value
    return OSFamily.KAIROS.value if config_url else OSFamily.CLOUD_INIT.value
