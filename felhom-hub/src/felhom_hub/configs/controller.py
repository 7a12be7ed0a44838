"""Calls to a felhom-controller's API (its api.py): read and apply controller.yaml, start an
update. Every failure becomes a :class:`ControllerError` whose message is fit for a page: it
names what went wrong, never a key or the file's content."""

import json
from enum import StrEnum

import httpx

DETAIL_LIMIT = 300


class Failure(StrEnum):
    NO_URL = "no_url"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    UNAUTHORIZED = "unauthorized"
    REFUSED = "refused"  # 400/409/422: the controller said no and changed nothing
    FAILED = "failed"  # any other answer


class ControllerError(Exception):
    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        detail = ""
    return str(detail)[:DETAIL_LIMIT]


def _raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status == 401:
        raise ControllerError(
            Failure.UNAUTHORIZED,
            "the controller refused the customer's API key (HTTP 401); the node may hold "
            "another key — fetch its config with the retrieval password on the node",
        )
    if status in (400, 409, 413, 422):
        raise ControllerError(
            Failure.REFUSED, f"the controller refused (HTTP {status}): {_detail(response)}"
        )
    if not 200 <= status < 300:
        raise ControllerError(Failure.FAILED, f"the controller answered HTTP {status}")


async def _call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    keys: list[str],
    timeout: float,
    content: bytes = b"",
) -> httpx.Response:
    """The first answer that is not a 401, trying each key (the node's older one first)."""
    response: httpx.Response | None = None
    for key in keys or [""]:
        headers = {"Authorization": f"Bearer {key}"}
        try:
            response = await client.request(
                method, url, content=content, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException:
            raise ControllerError(
                Failure.TIMEOUT, f"the controller did not answer within {timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ControllerError(
                Failure.UNREACHABLE, f"cannot reach the controller ({type(exc).__name__})"
            ) from None
        if response.status_code != 401:
            break
    assert response is not None
    _raise_for(response)
    return response


def _endpoint(base: str | None, path: str) -> str:
    if not base:
        raise ControllerError(
            Failure.NO_URL, "no controller URL yet: the controller sends it in its reports"
        )
    return base.rstrip("/") + path


async def fetch_config(
    client: httpx.AsyncClient, base: str | None, keys: list[str], timeout: float
) -> str:
    response = await _call(client, "GET", _endpoint(base, "/api/config"), keys, timeout)
    if not response.content.strip():
        raise ControllerError(Failure.FAILED, "the controller has no config file to show")
    return response.text


async def apply_config(
    client: httpx.AsyncClient, base: str | None, keys: list[str], timeout: float, body: str
) -> str:
    """The applied file's SHA-256, as the controller computed it."""
    url = _endpoint(base, "/api/config/apply")
    response = await _call(client, "POST", url, keys, timeout, body.encode())
    return str(response.json().get("digest", ""))


async def start_update(
    client: httpx.AsyncClient, base: str | None, keys: list[str], timeout: float, version: str
) -> None:
    url = _endpoint(base, "/api/update")
    body = json.dumps({"version": version}).encode()
    await _call(client, "POST", url, keys, timeout, body)
