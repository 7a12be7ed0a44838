"""Tests for containerd: proxy environment block, registry hosts.toml and certificates."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import containerd

ARGS = "var/snap/microk8s/current/args"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_ensure_proxy_writes_set_variables_in_a_marker_block(tmp_path: Path) -> None:
    env = tmp_path / ARGS / "containerd-env"
    env.parent.mkdir(parents=True)
    env.write_text("ulimit -n 65536\n")

    assert containerd.ensure_proxy("http://p:3128", "", "10.0.0.0/8", root=tmp_path) is True

    assert env.read_text() == (
        "ulimit -n 65536\n# begin managed by microk8s charm\n"
        "HTTP_PROXY=http://p:3128\nNO_PROXY=10.0.0.0/8\n# end managed by microk8s charm\n"
    )
    assert containerd.ensure_proxy("http://p:3128", "", "10.0.0.0/8", root=tmp_path) is False


def test_ensure_proxy_with_nothing_set_removes_the_block(tmp_path: Path) -> None:
    containerd.ensure_proxy("http://p:3128", "", "", root=tmp_path)

    assert containerd.ensure_proxy("", "", "", root=tmp_path) is True
    assert (tmp_path / ARGS / "containerd-env").read_text() == ""


def test_parse_registries_defaults_host_to_the_url_host() -> None:
    (registry,) = containerd.parse_registries('[{"url": "https://reg.example:5000"}]')

    assert registry.host == "reg.example:5000"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "not valid JSON"),
        ('{"url": "x"}', "JSON list of objects"),
        ('[{"url": "ftp://x"}]', "registry 1: url must be http"),
        ('[{"url": "https://x", "colour": 1}]', "unknown registry keys: colour"),
        ('[{"host": "x"}]', "registry 1: url is required"),
        ('[{"url": "https://x"}, {"url": "https://y", "username": "u"}]', "registry 2: user"),
        ('[{"url": "https://x", "ca_file": "%%%"}]', "ca_file is not base64"),
        ('[{"url": "https://bob:pw@x"}]', "url must not hold credentials"),
    ],
)
def test_parse_registries_rejects_invalid_input(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        containerd.parse_registries(text)


@pytest.mark.parametrize(
    "url", ["https://bob:hunter2@reg.example", "ftp://bob:hunter2@reg", "hunter2"]
)
def test_registry_errors_never_quote_the_url(url: str) -> None:
    # The message becomes the unit's Blocked status.
    with pytest.raises(ValueError) as raised:
        containerd.parse_registries(json.dumps([{"url": url, "password": "hunter2"}]))

    assert "hunter2" not in str(raised.value)


def test_ensure_registries_writes_hosts_toml_and_certificates(tmp_path: Path) -> None:
    spec = {
        "url": "https://reg.example:5000",
        "username": "alice",
        "password": "s3cret",
        "ca_file": _b64("CA PEM"),
        "cert_file": _b64("CERT PEM"),
        "key_file": _b64("KEY PEM"),
        "skip_verify": True,
        "override_path": True,
    }
    registries = containerd.parse_registries(json.dumps([spec]))

    assert containerd.ensure_registries(registries, root=tmp_path) is True

    folder = tmp_path / ARGS / "certs.d/reg.example:5000"
    assert (folder / "ca.crt").read_text() == "CA PEM"
    assert (folder / "client.key").read_text() == "KEY PEM"
    assert (folder / "client.key").stat().st_mode & 0o777 == 0o600
    basic = _b64("alice:s3cret")
    assert (folder / "hosts.toml").read_text() == (
        'server = "https://reg.example:5000"\n\n'
        '[host."https://reg.example:5000"]\n'
        'capabilities = ["pull", "resolve"]\n'
        f'ca = "{folder / "ca.crt"}"\n'
        f'client = [["{folder / "client.crt"}", "{folder / "client.key"}"]]\n'
        "skip_verify = true\n"
        "override_path = true\n\n"
        '[host."https://reg.example:5000".header]\n'
        f'authorization = "Basic {basic}"\n'
    )


def test_ensure_registries_is_idempotent(tmp_path: Path) -> None:
    registries = containerd.parse_registries('[{"url": "http://mirror:80", "host": "docker.io"}]')
    containerd.ensure_registries(registries, root=tmp_path)

    assert containerd.ensure_registries(registries, root=tmp_path) is False
    hosts = (tmp_path / ARGS / "certs.d/docker.io/hosts.toml").read_text()
    assert hosts == 'server = "http://mirror:80"\n\n[host."http://mirror:80"]\n' + (
        'capabilities = ["pull", "resolve"]\n'
    )
