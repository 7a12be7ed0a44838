"""The hub's ingest API as the controller sees it: POST a JSON body, classify the answer.

- 2xx: acknowledged;
- 429: retry after the hub's ``Retry-After`` (seconds or an HTTP date);
- 5xx, 408, 401, 403, 404 and network errors: retry with backoff (a wrong key or URL is fixed by the
  operator, and the message must survive until then);
- any other 4xx (400, 413, 415, 422…): the hub refuses the body itself, retrying cannot help —
  logged loudly and set aside.

The API key goes only into the Authorization header; it never appears in a log line or error.
"""

import email.utils
import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from felhom_controller import __version__

log = logging.getLogger(__name__)
RETRY_STATUSES = {401, 403, 404, 408}


class Outcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    RETRY = "retry"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    detail: str
    retry_after: float | None = None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, moment.timestamp() - now)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    text = str(detail) if detail is not None else response.text
    return f"{response.status_code}: {text[:500]}"


def classify(response: httpx.Response) -> Answer:
    status = response.status_code
    if 200 <= status < 300:
        return Answer(Outcome.ACKNOWLEDGED, str(status))
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return Answer(Outcome.RETRY, _detail(response), wait)
    if status >= 500 or status in RETRY_STATUSES:
        return Answer(Outcome.RETRY, _detail(response))
    return Answer(Outcome.REJECTED, _detail(response))


class HubClient:
    def __init__(self, url: str, api_key: str, timeout: float) -> None:
        headers = {"User-Agent": f"felhom-controller/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.url = url
        self._http = httpx.Client(base_url=url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, body: dict[str, Any]) -> Answer:
        try:
            response = self._http.post(path, json=body)
        except httpx.TimeoutException:
            return Answer(Outcome.RETRY, f"hub {self.url} timed out")
        except httpx.HTTPError as exc:
            return Answer(Outcome.RETRY, f"hub {self.url} unreachable: {type(exc).__name__}")
        return classify(response)

    def get(self, path: str) -> httpx.Response:
        return self._http.get(path)
