"""The files a sushy-tools emulator instance runs from: config, htpasswd, TLS certificate."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt


class EmulatorError(RuntimeError):
    """The emulator could not be prepared, started or read."""


@dataclass(frozen=True)
class FakeSystem:
    """One system of the fake driver: its Redfish Id is the uuid."""

    uuid: str
    name: str
    mac: str
    power_state: str = "Off"

    def config(self, notify: bool) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "power_state": self.power_state,
            "external_notifier": notify,
            "nics": [{"mac": self.mac}],
        }


def fake_systems(
    count: int, *, first: int = 0, prefix: str = "host", power_state: str = "Off"
) -> list[FakeSystem]:
    """`count` systems with stable uuids, names (host-000) and MACs (52:54:00:xx:xx:xx)."""
    systems = []
    for i in range(first, first + count):
        mac = f"52:54:00:{(i >> 16) & 0xFF:02x}:{(i >> 8) & 0xFF:02x}:{i & 0xFF:02x}"
        uuid = f"b7e00000-0000-4000-8000-{i:012d}"
        systems.append(FakeSystem(uuid, f"{prefix}-{i:03d}", mac, power_state))
    return systems


def write_htpasswd(path: Path, username: str, password: str) -> None:
    """An htpasswd line with a cheap bcrypt hash: the emulator checks it on every request."""
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{username}:{digest}\n")
    path.chmod(0o600)


def write_self_signed_cert(directory: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for `host` (IP SAN) made with the openssl CLI: (cert, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise EmulatorError("TLS needs the openssl command, which is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    san = f"IP:{host}" if host.replace(".", "").isdigit() or ":" in host else f"DNS:{host}"
    cmd = [
        openssl, "req", "-x509", "-nodes", "-days", "7",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-keyout", str(key), "-out", str(cert),
        "-subj", f"/CN={host}", "-addext", f"subjectAltName={san},DNS:localhost",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise EmulatorError(f"openssl could not make a certificate: {done.stderr.strip()[-300:]}")
    key.chmod(0o600)
    return cert, key


def write_config(path: Path, settings: dict[str, Any]) -> None:
    """The emulator's config: a Python file of UPPER_CASE assignments (Flask from_pyfile)."""
    lines = ['"""sushy-emulator config written by beskar7_testing.emulator."""']
    lines += [f"{key} = {value!r}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
