"""The newest tag: a real registry (anonymous and with basic auth), and Gitea's bearer-token
challenge from a scripted loopback server (a real token-auth registry needs a JWT-signing
token service that no package provides)."""

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from felhom_controller.registry import (
    RegistryClient,
    RegistryError,
    is_newer,
    newest,
    parse_challenge,
)
from felhom_controller.testing.podman import IMAGE, Podman
from felhom_controller.testing.registry import Registry, available

REPO = "admin/felhom-controller"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, podman: Podman) -> Iterator[Registry]:
    reason = available()
    if reason:
        pytest.skip(reason)
    running = Registry(tmp_path_factory.mktemp("registry"), "gitea", "s3cret-token")
    running.start()
    for tag in ("v0.1.0", "v0.10.0", "v0.9.3", "latest"):
        podman.push(IMAGE, f"{running.address}/{REPO}:{tag}", creds="gitea:s3cret-token")
    yield running
    running.stop()


def test_newest_orders_versions_numerically() -> None:
    assert newest(["v0.1.0", "v0.10.0", "v0.9.3", "latest"]) == "v0.10.0"
    assert newest(["latest"]) is None
    assert is_newer("v0.10.0", "0.9.3") and not is_newer("v0.1.0", "0.1.0")


def test_tags_with_basic_auth_from_a_real_registry(registry: Registry) -> None:
    client = RegistryClient(registry.url, "gitea", "s3cret-token", timeout=10)
    assert newest(client.tags(REPO)) == "v0.10.0"


def test_wrong_credentials_are_an_error_without_the_secret(registry: Registry) -> None:
    client = RegistryClient(registry.url, "gitea", "wrong-secret", timeout=10)
    with pytest.raises(RegistryError) as caught:
        client.tags(REPO)
    assert "401" in str(caught.value) and "wrong-secret" not in str(caught.value)


@pytest.fixture
def gitea() -> Iterator[tuple[str, list[str]]]:
    """Gitea's flow: 401 + Bearer challenge, a token for basic auth, then the tags."""
    seen: list[str] = []
    expected_basic = "Basic " + base64.b64encode(b"gitea:s3cret-token").decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            auth = self.headers.get("Authorization", "")
            if self.path.startswith("/v2/token"):
                ok = auth == expected_basic and "scope=repository" in self.path
                self._answer(200 if ok else 401, {"token": "tok-123"} if ok else {})
            elif auth == "Bearer tok-123":
                self._answer(200, {"name": REPO, "tags": ["v1.2.0", "v1.10.1"]})
            else:
                challenge = (
                    f'Bearer realm="http://{self.headers["Host"]}/v2/token",'
                    f'service="container_registry",scope="repository:{REPO}:pull"'
                )
                self._answer(401, {}, {"WWW-Authenticate": challenge})

        def _answer(
            self, status: int, body: dict[str, object], headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_the_bearer_token_challenge(gitea: tuple[str, list[str]]) -> None:
    url, seen = gitea
    client = RegistryClient(url, "gitea", "s3cret-token", timeout=10)
    assert newest(client.tags(REPO)) == "v1.10.1"
    assert [path.split("?")[0] for path in seen] == [
        f"/v2/{REPO}/tags/list",
        "/v2/token",
        f"/v2/{REPO}/tags/list",
    ]


def test_a_challenge_header_parses() -> None:
    header = 'Bearer realm="https://git.example/v2/token",service="svc",scope="repository:a/b:pull"'
    assert parse_challenge(header) == {
        "realm": "https://git.example/v2/token",
        "service": "svc",
        "scope": "repository:a/b:pull",
    }
    assert parse_challenge('Basic realm="x"') == {}


def test_an_unreachable_registry_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="unreachable"):
        RegistryClient("http://127.0.0.1:9", "", "", timeout=2).tags(REPO)
