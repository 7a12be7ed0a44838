"""A Debian base image made with mmdebstrap, for machines that reach no image registry.

The Containerfiles take their base as ``ARG BASE`` (python slim by default). CI reaches Debian's
package mirror but no registry, so it makes a minimal bookworm root with Python 3.11 here and
imports it as ``localhost/metalfleet-base:bookworm-<key>``; all three images build on it. The tar is
cached (``~/.cache/metalfleet`` or $METALFLEET_CACHE), keyed by the mmdebstrap command, so a
machine makes it once (about 20 s).
"""

import hashlib
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from deploy.images import ImageError

BASE_REPOSITORY = "localhost/metalfleet-base"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
"""python3-venv: the build stage makes venvs; ca-certificates: HTTPS to a hub or registry."""
EXCLUDED = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*")
"""Left out of the root: documentation and translations (keeps the images small)."""


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("METALFLEET_CACHE"):
        return Path(env["METALFLEET_CACHE"])
    xdg = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "metalfleet"


def mmdebstrap_command(target: Path) -> list[str]:
    options = [f"--dpkgopt=path-exclude={pattern}" for pattern in EXCLUDED]
    include = ",".join(PACKAGES)
    return ["mmdebstrap", "--variant=minbase", f"--include={include}", *options, SUITE, str(target)]


def key() -> str:
    """A short hash of the mmdebstrap command: a changed package list makes a new base."""
    return hashlib.sha256(" ".join(mmdebstrap_command(Path("-"))).encode()).hexdigest()[:12]


def base_image() -> str:
    return f"{BASE_REPOSITORY}:{SUITE}-{key()}"


def tarball(folder: Path) -> Path:
    return folder / f"debian-{SUITE}-python-{key()}.tar"


def make_tarball(folder: Path, timeout: float = 600) -> Path:
    """The cached tar, made first when missing (written beside it, then renamed)."""
    target = tarball(folder)
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.tar")
    try:
        done = subprocess.run(
            mmdebstrap_command(partial), capture_output=True, text=True, timeout=timeout
        )
    except FileNotFoundError:
        raise ImageError("mmdebstrap is not installed (Debian package 'mmdebstrap')") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ImageError(f"mmdebstrap failed: {done.stderr.strip()[-2000:]}")
    partial.rename(target)
    return target


def ensure_base(engine: Sequence[str], folder: Path | None = None) -> str:
    """The base image in the engine's storage (imported from the cached tar if missing)."""
    name = base_image()
    exists = subprocess.run(
        [*engine, "image", "inspect", name], capture_output=True, timeout=60, check=False
    )
    if exists.returncode == 0:
        return name
    tar = make_tarball(folder or cache_dir())
    done = subprocess.run(
        [*engine, "import", str(tar), name],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise ImageError(f"importing {tar} failed: {done.stderr.strip()[-2000:]}")
    return name
