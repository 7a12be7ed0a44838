"""Replacing the controller's own container with one of a newer image, as Watchtower does,
through the Engine API (Docker or podman).

:func:`replace_container` pulls the image, creates ``<name>-next`` with the old container's
configuration and the new image, renames the old one to ``<name>-old`` and the new one to
``<name>``, and starts it; any failure before the start undoes the renames and removes the new
container. The old container is stopped last (if the caller runs in it, that ends the caller),
and the new controller, finding the pending-update record in its state directory, removes
``<name>-old`` and reports ``controller_updated`` (:func:`finish_update`).
"""

import base64
import json
import logging
from pathlib import Path
from typing import Any

from felhom_controller.collect.containers import EngineClient, EngineError
from felhom_controller.files import read_json, write_atomic

log = logging.getLogger(__name__)
PENDING = "pending-update.json"


def _auth_header(username: str, token: str) -> dict[str, str]:
    if not username:
        return {}
    data = json.dumps({"username": username, "password": token}).encode()
    return {"X-Registry-Auth": base64.urlsafe_b64encode(data).decode()}


def pull(engine: EngineClient, reference: str, username: str = "", token: str = "") -> None:
    repository, _, tag = reference.rpartition(":")
    progress = engine.request(
        "POST",
        "/images/create",
        None,
        _auth_header(username, token),
        fromImage=repository,
        tag=tag,
    )
    for line in progress if isinstance(progress, list) else [progress or {}]:
        if isinstance(line, dict) and line.get("error"):
            raise EngineError(f"pull of {reference} failed: {str(line['error'])[:300]}")


def _create_body(old: dict[str, Any], image: str) -> dict[str, Any]:
    """The old container's configuration with the new image. podman's inspect names ulimits
    ``RLIMIT_NOFILE`` where its own create (like Docker's) expects ``nofile``."""
    body = dict(old["Config"])
    body["Image"] = image
    host = dict(old.get("HostConfig") or {})
    host["Ulimits"] = [
        {**limit, "Name": str(limit["Name"]).lower().removeprefix("rlimit_")}
        for limit in host.get("Ulimits") or []
    ]
    body["HostConfig"] = host
    return body


def replace_container(engine: EngineClient, name: str, image: str) -> str:
    """Start a container of ``image`` in place of ``name``; the new container's id."""
    old = engine.get(f"/containers/{name}/json")
    created = engine.request(
        "POST", "/containers/create", _create_body(old, image), None, name=f"{name}-next"
    )
    new_id = str(created["Id"])
    renamed = False
    try:
        engine.request("POST", f"/containers/{old['Id']}/rename", name=f"{name}-old")
        renamed = True
        engine.request("POST", f"/containers/{new_id}/rename", name=name)
        engine.request("POST", f"/containers/{new_id}/start")
    except EngineError:
        engine.request("DELETE", f"/containers/{new_id}", force="true")
        if renamed:
            engine.request("POST", f"/containers/{old['Id']}/rename", name=name)
        raise
    return new_id


def record_pending(state_dir: Path, old_version: str, new_tag: str) -> None:
    record = {"from": old_version, "to": new_tag}
    write_atomic(state_dir / PENDING, json.dumps(record).encode())


def retire_old(engine: EngineClient, name: str) -> None:
    """Stop and remove ``<name>-old`` (gone already is fine)."""
    try:
        engine.request("POST", f"/containers/{name}-old/stop", t="10")
    except EngineError as exc:
        log.info("stopping %s-old: %s", name, exc)
    try:
        engine.request("DELETE", f"/containers/{name}-old", force="true")
    except EngineError as exc:
        log.info("removing %s-old: %s", name, exc)


def finish_update(state_dir: Path, engine: EngineClient, name: str) -> dict[str, str] | None:
    """In the new controller: remove the old container; the pending record, if there was one."""
    path = state_dir / PENDING
    record = read_json(path, {})
    if not record:
        return None
    retire_old(engine, name)
    path.unlink(missing_ok=True)
    return {"from": str(record.get("from")), "to": str(record.get("to"))}
