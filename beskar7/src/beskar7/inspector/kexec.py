"""The final OS's kernel command line and the kexec calls that boot it."""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
from pathlib import Path

from beskar7.inspector.deadline import KexecError
from beskar7.inspector.osfamily import CLOUD_INIT, config_parameter, seed_config_url
from beskar7.inspector.settings import Settings

log = logging.getLogger(__name__)

KEXEC_TIMEOUT = 300.0


def _quoted(name: str, value: str) -> str:
    """`name=value`, double-quoted when the value has blanks (the kernel's own quoting)."""
    return f'{name}="{value}"' if any(char.isspace() for char in value) else f"{name}={value}"


def final_cmdline(settings: Settings, seed: str) -> str:
    """Consoles kept + the OS family's config parameter (`beskar7.config`, else the seed) +
    where the final OS finds its meta-data and reports. Never the inspector's bearer token:
    /proc/cmdline is world-readable; the seed's secret is single-use and short-lived."""
    words = list(settings.consoles)
    family = settings.os_family or (None if settings.config else CLOUD_INIT)
    parameter = config_parameter(family, settings.config or seed_config_url(family, seed))
    if parameter is not None:
        name, _, value = parameter.partition("=")
        words.append(_quoted(name, value))
    words += [
        _quoted("beskar7.seed", seed),
        _quoted("beskar7.api", settings.api),
        _quoted("beskar7.namespace", settings.namespace),
        _quoted("beskar7.host", settings.host),
    ]
    return " ".join(words)


def kexec_commands(
    settings: Settings, kernel: Path | str, initrd: Path | str | None, seed: str
) -> list[list[str]]:
    """[[kexec --load ...], [kexec --exec]] (argument lists)."""
    load = ["kexec", "--load", str(kernel)]
    if initrd is not None:
        load += ["--initrd", str(initrd)]
    load += ["--command-line", final_cmdline(settings, seed)]
    return [load, ["kexec", "--exec"]]


def shown(settings: Settings, command: list[str]) -> str:
    """A command as a shell line with the token redacted: safe to print and log."""
    return settings.redact(shlex.join(command))


def run_kexec(settings: Settings, commands: list[list[str]], *, path: str | None = None) -> None:
    """Load, then execute. On real hardware `--exec` does not return; KexecError on failure."""
    executable = shutil.which("kexec", path=path)
    if executable is None:
        raise KexecError("kexec not found on PATH")
    for command in commands:
        log.info("running %s", shown(settings, command))
        try:
            done = subprocess.run(
                [executable, *command[1:]],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=KEXEC_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise KexecError(f"kexec {command[1]} could not run: {type(exc).__name__}") from None
        if done.returncode != 0:
            detail = settings.redact(done.stderr.strip())[-200:]
            raise KexecError(f"kexec {command[1]} failed (exit {done.returncode}): {detail}")
    log.info("kexec --exec returned")
