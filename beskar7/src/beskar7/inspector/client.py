"""The callback API on :8082: report, wait for the go-ahead, report a failure."""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import quote

from beskar7.inspector.deadline import BootstrapError, Deadline, ReportError, backoff
from beskar7.inspector.settings import Settings

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30.0
FAILURE_ATTEMPTS = 3
FAILURE_TIMEOUT = 10.0
FAILURE_PAUSE = 2.0
MAX_REASON = 256


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry the bearer token to another address."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def opener(*, redirects: bool) -> urllib.request.OpenerDirector:
    """An opener that ignores proxy variables (the API is on the provisioning network)."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if not redirects:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)


class UnreachableError(Exception):
    """No HTTP answer: refused, reset, timed out, DNS..."""


def endpoint(settings: Settings, kind: str) -> str:
    """`<api>/api/v1/<kind>/<namespace>/<host>`."""
    namespace, host = quote(settings.namespace, safe=""), quote(settings.host, safe="")
    return f"{settings.api}/api/v1/{kind}/{namespace}/{host}"


class Client:
    """Calls the API with `Authorization: Bearer <token>`; `once` means one attempt per step."""

    def __init__(self, settings: Settings, deadline: Deadline, *, once: bool = False) -> None:
        self.settings = settings
        self.deadline = deadline
        self.once = once
        self._opener = opener(redirects=False)

    def request(
        self, method: str, url: str, body: bytes | None = None, *, timeout: float | None = None
    ) -> tuple[int, bytes]:
        """(status, body) for any HTTP answer; UnreachableError when there is none."""
        headers = {"Authorization": f"Bearer {self.settings.token}", "Accept": "*/*"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        limit = timeout or max(0.5, min(REQUEST_TIMEOUT, self.deadline.remaining()))
        try:
            with self._opener.open(request, timeout=limit) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return int(error.code), bytes(error.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UnreachableError(self.settings.redact(str(reason))) from None

    def post_report(self, report: dict[str, object]) -> None:
        """POST the report until a 2xx; retry unreachable/5xx/429 with backoff, else ReportError."""
        url = endpoint(self.settings, "inspection")
        body = json.dumps(report).encode()
        delays = backoff(self.settings.retry_delay, self.settings.retry_cap)
        while True:
            try:
                status, _ = self.request("POST", url, body)
            except UnreachableError as exc:
                problem = f"API unreachable: {exc}"
            else:
                if 200 <= status < 300:
                    log.info("report accepted (HTTP %d)", status)
                    return
                problem = f"HTTP {status}"
                if status != 429 and status < 500:
                    raise ReportError(f"report rejected by {url}: {problem}")
            delay = next(delays)
            log.warning("report not delivered (%s); next try in %.1fs", problem, delay)
            if self.once or not self.deadline.pause(delay):
                raise ReportError(f"report not delivered to {url} in time: {problem}")

    def wait_handoff(self) -> str:
        """POST the hand-off until 200 (404: not yet) and return the final OS's seed URL;
        401/403/other 4xx are fatal."""
        url = endpoint(self.settings, "handoff")
        while True:
            try:
                status, body = self.request("POST", url, b"{}")
            except UnreachableError as exc:
                problem = f"API unreachable: {exc}"
            else:
                if status == 200:
                    log.info("go-ahead received")
                    return _seed_url(body, url)
                problem = "not ready" if status == 404 else f"HTTP {status}"
                if status not in (404, 429) and status < 500:
                    raise BootstrapError(f"hand-off refused by {url}: {problem}")
            log.info("waiting for the go-ahead (%s)", problem)
            if self.once or not self.deadline.pause(self.settings.poll_interval):
                raise BootstrapError(f"no go-ahead from {url} in time: {problem}")

    def provision_failed(self, reason: str) -> bool:
        """Best effort, a few short tries even when the budget is spent; True if accepted."""
        url = endpoint(self.settings, "provision-failed")
        text = self.settings.redact(reason)[:MAX_REASON]
        body = json.dumps({"reason": text}).encode()
        for attempt in range(1, FAILURE_ATTEMPTS + 1):
            if attempt > 1:
                time.sleep(min(self.settings.retry_delay, FAILURE_PAUSE))
            try:
                status, _ = self.request("POST", url, body, timeout=FAILURE_TIMEOUT)
            except UnreachableError as exc:
                status, problem = 0, str(exc)
            else:
                problem = f"HTTP {status}"
            if 200 <= status < 300:
                log.info("failure reported: %s", text)
                return True
            log.warning("could not report the failure (try %d: %s)", attempt, problem)
            if self.once or (0 < status < 500 and status != 429):
                break
        return False


def _seed_url(body: bytes, url: str) -> str:
    """`seedURL` of a hand-off answer: an http(s) URL ending in `/`, else BootstrapError."""
    try:
        value = json.loads(body).get("seedURL")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise BootstrapError(f"the hand-off from {url} carries no seed URL")
    if not value.endswith("/") or any(char.isspace() or char == '"' for char in value):
        raise BootstrapError(f"the hand-off from {url} carries an unusable seed URL")
    return value
