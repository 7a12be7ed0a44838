"""The example manifests shipped with beskar7 are valid."""

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from beskar7.api import kinds
from beskar7.api.machine import Beskar7Machine
from beskar7.api.physicalhost import PhysicalHost
from beskar7.api.validation import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def documents(name: str) -> list[Any]:
    return [d for d in YAML(typ="safe").load_all((EXAMPLES / name).read_text()) if d]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_document_validates(name: str) -> None:
    for document in documents(name):
        kind = kinds.kind_of(document)
        assert validate(kind, document)["metadata"] == document["metadata"]


def test_physical_host_example_references_its_credentials_secret() -> None:
    secret, host_obj = documents("physicalhost.yaml")
    stored = validate(kinds.SECRET, secret)
    assert set(stored["data"]) == {"username", "password"}
    host = PhysicalHost.from_obj(host_obj)
    assert host.spec.redfish_connection.credentials_secret_ref == secret["metadata"]["name"]
    assert host.spec.redfish_connection.address.startswith("http://127.0.0.1:8000/redfish/v1/")
    assert host.metadata.namespace == secret["metadata"]["namespace"]


def test_machine_example_has_hardware_requirements() -> None:
    (machine_obj,) = documents("machine.yaml")
    machine = Beskar7Machine.from_obj(validate(kinds.BESKAR7_MACHINE, machine_obj))
    requirements = machine.spec.hardware_requirements
    assert requirements is not None
    assert requirements.min_cpu_cores and requirements.min_memory_gb and requirements.min_disk_gb
