"""Image names, the engine choice and the build command line (no engine needed)."""

import re
from pathlib import Path

import pytest

from deploy.images import (
    IMAGES_ENV,
    BuildOptions,
    Engine,
    ImageError,
    Service,
    build_command,
    coordinates,
    default_ca_bundle,
    find_engine,
    parse_coordinates,
    parse_services,
    push_command,
)


def test_the_images_env_names_every_image() -> None:
    where = coordinates(IMAGES_ENV)
    assert where.ref(Service.BESKAR7) == f"{where.registry}/beskar7:{where.tag}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("REGISTRY=ghcr.io/x\n", "missing TAG"),
        ("REGISTRY=ghcr.io/x\nTAG=v1\nTAG=v2\n", ":3: expected"),
        ("REGISTRY=https://ghcr.io/x\nTAG=v1\n", "not host[:port][/path]"),
        ("REGISTRY=ghcr.io/x\nTAG=v1 beta\n", "not a valid image tag"),
        ("REGISTRY=ghcr.io/x\nTAG=v1\nPUSH=yes\n", ":3: expected"),
    ],
)
def test_a_bad_images_env_is_an_error_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(ImageError, match=re.escape(message)):
        parse_coordinates(text)


def test_comments_and_a_registry_with_a_port_are_fine() -> None:
    where = parse_coordinates("# x\n\nREGISTRY=127.0.0.1:5000/admin\nTAG=v0.3.1\n")
    assert where.ref(Service.CONTROLLER) == "127.0.0.1:5000/admin/felhom-controller:v0.3.1"


def test_podman_is_preferred_then_docker_then_an_error() -> None:
    assert find_engine(lambda name: f"/usr/bin/{name}") is Engine.PODMAN
    docker_only = find_engine(lambda name: "/usr/bin/docker" if name == "docker" else None)
    assert docker_only is Engine.DOCKER
    with pytest.raises(ImageError, match="neither podman nor docker"):
        find_engine(lambda name: None)


def test_a_podman_build_keeps_the_healthcheck_and_passes_base_and_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    options = BuildOptions(base="localhost/base:1", ca_bundle=ca, revision="abc")
    command = build_command(Engine.PODMAN, Service.HUB, "r/felhom-hub:t", options)
    assert command[:2] == ["podman", "build"]
    assert command[command.index("--format") + 1] == "docker"  # OCI would drop HEALTHCHECK
    assert command[command.index("-f") + 1].endswith("deploy/felhom-hub/Containerfile")
    args = [command[i + 1] for i, a in enumerate(command) if a == "--build-arg"]
    assert args == ["VERSION=0.1.0", "REVISION=abc", "BASE=localhost/base:1"]
    assert f"id=ca,src={ca}" in command


def test_a_plain_docker_build_uses_the_containerfiles_defaults() -> None:
    command = build_command(Engine.DOCKER, Service.BESKAR7, "b:t", BuildOptions())
    assert "--format" not in command and "--secret" not in command
    assert not any(a.startswith("BASE=") for a in command)
    assert Path(command[-1]) == Path(__file__).resolve().parents[2]  # the repository root


def test_the_ca_bundle_is_ssl_cert_file_else_the_system_bundle(tmp_path: Path) -> None:
    system = tmp_path / "system.crt"
    missing = {"SSL_CERT_FILE": str(tmp_path / "none")}
    assert default_ca_bundle(missing, system) is None  # neither file exists
    system.write_text("x")
    assert default_ca_bundle(missing, system) == system
    (tmp_path / "ca").write_text("x")
    assert default_ca_bundle({"SSL_CERT_FILE": str(tmp_path / "ca")}, system) == tmp_path / "ca"


def test_services_are_all_by_default_and_unknown_names_fail() -> None:
    assert parse_services([]) == list(Service)
    assert parse_services(["beskar7"]) == [Service.BESKAR7]
    with pytest.raises(ImageError, match="known: felhom-hub, felhom-controller, beskar7"):
        parse_services(["felhom"])


def test_a_push_to_a_plain_http_registry_skips_tls_with_podman_only() -> None:
    assert push_command(Engine.PODMAN, "r/x:t") == ["podman", "push", "r/x:t"]
    insecure = push_command(Engine.PODMAN, "r/x:t", tls_verify=False)
    assert insecure == ["podman", "push", "--tls-verify=false", "r/x:t"]
    assert push_command(Engine.DOCKER, "r/x:t", tls_verify=False) == ["docker", "push", "r/x:t"]
