"""What each built image is: non-root, a HEALTHCHECK, OCI labels, no build tools."""

import json

import pytest

from deploy.images import Service
from deploy.podman import READ_ONLY, Podman

pytestmark = pytest.mark.slow

ENTRYPOINTS = {
    Service.HUB: (["felhom-hub"], ["serve"]),
    Service.CONTROLLER: (["felhom-controller"], ["run"]),
    Service.BESKAR7: (["beskar7"], ["manager"]),
}
PROBE = (
    "import os, shutil, sys; print(json.dumps({'tools': [t for t in ('uv', 'pip', 'gcc', 'cc') "
    "if shutil.which(t)], 'left': [p for p in ('/opt/uv', '/src', '/wheels', '/opt/ca.pem') "
    "if os.path.exists(p)], 'prefix': sys.prefix}))"
)


@pytest.mark.parametrize("service", list(Service))
def test_the_image_runs_as_a_user_with_a_healthcheck_and_labels(
    service: Service, podman: Podman, images: dict[Service, str]
) -> None:
    (config,) = json.loads(podman("image", "inspect", images[service]))
    settings = config["Config"]
    assert settings["User"] == "65532:65532"
    assert (settings["Entrypoint"], settings["Cmd"]) == ENTRYPOINTS[service]
    assert config["Healthcheck"]["Test"][0] == "CMD"  # podman keeps it beside Config
    labels = settings["Labels"]
    assert labels["org.opencontainers.image.title"] == service.value
    assert labels["org.opencontainers.image.version"] == service.version
    assert labels["org.opencontainers.image.revision"] == "test"


@pytest.mark.parametrize("service", list(Service))
def test_the_final_stage_has_no_build_tools_and_no_build_secret(
    service: Service, podman: Podman, images: dict[Service, str]
) -> None:
    printed = podman(
        "run",
        "--rm",
        *READ_ONLY,
        "--entrypoint",
        "python3",
        images[service],
        "-c",
        "import json; " + PROBE,
    )
    assert json.loads(printed) == {"tools": [], "left": [], "prefix": "/opt/venv"}
