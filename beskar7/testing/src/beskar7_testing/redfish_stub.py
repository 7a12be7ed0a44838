"""A scripted Redfish BMC: a small document tree served by an `HttpPeer`, for shapes the
sushy-tools emulator cannot produce (IP addresses, missing actions, odd allowed values)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from beskar7_testing.peers import HttpPeer, Reply, Request

SYSTEMS = "/redfish/v1/Systems"


@dataclass
class StubSystem:
    """What the stub's one system looks like; change fields between calls to script a BMC."""

    id: str = "1"
    power_state: str | None = "Off"
    reset_types: list[str] | None = field(
        default_factory=lambda: ["On", "ForceOff", "GracefulShutdown", "ForceRestart"]
    )
    boot_targets: list[str] = field(default_factory=lambda: ["None", "Pxe", "Hdd"])
    nics: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"{SYSTEMS}/{self.id}"

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@odata.id": self.path,
            "Id": self.id,
            "Name": "stub",
            "Manufacturer": "Stub Inc.",
            "Model": "S1",
            "SerialNumber": "SN-1",
            "Status": {"State": "Enabled", "Health": "OK", "HealthRollup": "Warning"},
            "PowerState": self.power_state,
            "Boot": {
                "BootSourceOverrideEnabled": "Disabled",
                "BootSourceOverrideTarget": "None",
                "BootSourceOverrideTarget@Redfish.AllowableValues": self.boot_targets,
            },
            "EthernetInterfaces": {"@odata.id": f"{self.path}/EthernetInterfaces"},
        }
        if self.reset_types is not None:
            doc["Actions"] = {
                "#ComputerSystem.Reset": {
                    "target": f"{self.path}/Actions/ComputerSystem.Reset",
                    "ResetType@Redfish.AllowableValues": self.reset_types,
                }
            }
        return doc | self.extra

    def documents(self) -> dict[str, Any]:
        nics = f"{self.path}/EthernetInterfaces"
        docs: dict[str, Any] = {
            "/redfish/v1/": {"@odata.id": "/redfish/v1/", "Id": "RootService", "Name": "Stub",
                             "RedfishVersion": "1.6.0", "Systems": {"@odata.id": SYSTEMS}},
            SYSTEMS: {"@odata.id": SYSTEMS, "Name": "Systems", "Members@odata.count": 1,
                      "Members": [{"@odata.id": self.path}]},
            self.path: self.document(),
            nics: {"@odata.id": nics, "Name": "NICs",
                   "Members": [{"@odata.id": f"{nics}/{i}"} for i in range(len(self.nics))]},
        }  # fmt: skip
        for i, nic in enumerate(self.nics):
            docs[f"{nics}/{i}"] = {"@odata.id": f"{nics}/{i}", "Id": str(i)} | nic
        return docs


class RedfishStub:
    """Serves a `StubSystem` with basic auth; POST/PATCH answer 204 and are recorded."""

    def __init__(self, system: StubSystem, username: str, password: str) -> None:
        self.system = system
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._auth = f"Basic {token}"
        self.peer = HttpPeer(self.respond)
        self.stall = 0.0
        """Seconds every later request waits before being answered (a BMC gone slow)."""

    @property
    def url(self) -> str:
        return self.peer.url

    @property
    def requests(self) -> list[Request]:
        return self.peer.requests

    def writes(self) -> list[Request]:
        return [r for r in self.peer.requests if r.method in ("POST", "PATCH")]

    def respond(self, req: Request) -> Reply:
        if self.stall:
            time.sleep(self.stall)
        path = req.path.split("?", 1)[0]
        key = path if path == "/redfish/v1/" else path.rstrip("/")
        if key != "/redfish/v1/" and req.headers.get("Authorization") != self._auth:
            return Reply.json({"error": {"message": "unauthorized"}}, 401)
        if req.method in ("POST", "PATCH"):
            return Reply(204)
        doc = self.system.documents().get(key)
        if doc is None:
            return Reply.json({"error": {"message": f"{key} not found"}}, 404)
        return Reply.json(doc, ETag='"1"')

    def __enter__(self) -> RedfishStub:
        self.peer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.peer.__exit__(None, None, None)
