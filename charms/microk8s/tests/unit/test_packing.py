"""The packed charm's closure: what charmcraft's uv plugin installs, dispatched for real.

``charmcraft pack`` needs an Ubuntu base or LXD, neither of which runs here. The uv plugin
runs ``uv sync --frozen --no-dev --no-editable`` into the charm's ``venv`` and ships
``src/`` beside it; this test does the same in a fresh directory, then dispatches a hook
through a ``dispatch`` script like charmcraft's, with Juju's hook tools answered by a small
recorder (an invalid ``role`` keeps the hook away from the snap, which cannot run here).
A runtime import missing from ``[project].dependencies`` fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CHARM_ROOT = Path(__file__).resolve().parents[2]
HOOK_TOOLS = {
    # tool: what it prints (JSON where ops asks for --format=json)
    "config-get": json.dumps({"role": "bogus"}),
    "storage-list": "[]",
    "network-get": "{}",
    "relation-ids": "[]",
    "is-leader": "false",
    "juju-log": "",
    "status-set": "",
    "status-get": '{"message": "", "status": "unknown", "status-data": {}}',
    "application-version-set": "",
    "opened-ports": "[]",
}
RECORDER = """#!{python}
import json, os, sys
tool = os.path.basename(sys.argv[0])
with open(os.environ["HOOK_TOOL_LOG"], "a") as log:
    log.write(json.dumps([tool, *sys.argv[1:]]) + "\\n")
print(json.loads(os.environ["HOOK_TOOL_ANSWERS"])[tool])
"""


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    return uv


def _write_charm_yamls(root: Path) -> None:
    """As charmcraft packs a unified charmcraft.yaml: metadata, config and actions files."""
    unified = yaml.safe_load((CHARM_ROOT / "charmcraft.yaml").read_text())
    build_only = {"type", "base", "platforms", "parts", "config", "actions", "links"}
    metadata = {k: v for k, v in unified.items() if k not in build_only}
    (root / "metadata.yaml").write_text(yaml.safe_dump(metadata))
    (root / "config.yaml").write_text(yaml.safe_dump(unified["config"]))
    (root / "actions.yaml").write_text(yaml.safe_dump(unified["actions"]))


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A charm directory: venv from the lock (runtime dependencies only) plus src/."""
    root = tmp_path_factory.mktemp("charm")
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(CHARM_ROOT / name, root / name)
    _write_charm_yamls(root)
    shutil.copytree(CHARM_ROOT / "src", root / "src")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env["UV_PROJECT_ENVIRONMENT"] = str(root / "venv")
    command = [_uv(), "sync", "--frozen", "--no-dev", "--no-editable", "--quiet"]
    subprocess.run(command, cwd=root, env=env, check=True, timeout=300)
    dispatch = root / "dispatch"
    dispatch.write_text(
        "#!/bin/sh\n"
        'JUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=lib:src '
        "exec ./venv/bin/python ./src/charm.py\n"
    )
    dispatch.chmod(0o755)
    return root


def test_closure_has_no_test_tools(packed: Path) -> None:
    python = packed / "venv" / "bin" / "python"
    tools = ("pytest", "scenario", "mypy")
    probe = f"import importlib.util as u; print([m for m in {tools!r} if u.find_spec(m)])"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, timeout=60, check=True)
    assert done.stdout.decode().strip() == "[]"


def test_every_charm_module_imports_from_the_closure(packed: Path) -> None:
    python = packed / "venv" / "bin" / "python"
    modules = sorted(p.stem for p in (packed / "src").glob("*.py"))
    probe = f"import sys; sys.path.insert(0, 'src'); [__import__(m) for m in {modules!r}]"
    subprocess.run([str(python), "-c", probe], cwd=packed, timeout=60, check=True)


def test_dispatch_runs_a_hook_from_the_closure(packed: Path, tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    recorder = tools / "recorder"
    recorder.write_text(RECORDER.format(python=sys.executable))
    recorder.chmod(0o755)
    for tool in HOOK_TOOLS:
        (tools / tool).symlink_to(recorder)
    log = tmp_path / "calls.jsonl"
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "HOOK_TOOL_LOG": str(log),
        "HOOK_TOOL_ANSWERS": json.dumps(HOOK_TOOLS),
        "JUJU_DISPATCH_PATH": "hooks/update-status",
        "JUJU_UNIT_NAME": "microk8s/1",
        "JUJU_MODEL_NAME": "lab",
        "JUJU_MODEL_UUID": "00000000-0000-4000-8000-000000000000",
        "JUJU_VERSION": "3.6.12",
        "JUJU_CHARM_DIR": str(packed),
    }
    done = subprocess.run(
        [str(packed / "dispatch")], cwd=packed, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    status = [c for c in calls if c[0] == "status-set"]
    assert status, calls
    assert status[-1][1:4] == ["--application=False", "blocked", "--"]
    assert "role" in status[-1][4]
