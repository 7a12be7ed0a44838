"""The Debian archive over plain HTTP: Release files, Packages indexes and .debs, with a cache.

Integrity: every Packages.xz is checked against the SHA256 list of its suite's InRelease, and
every .deb against the SHA256 of its index entry (or of the lock file). InRelease's OpenPGP
signature is checked with `gpgv` and Debian's archive keyring when both are installed; the
manifest records whether it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import lzma
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from beskar7.image.index import Package, parse_packages

log = logging.getLogger(__name__)

DEBIAN = "http://deb.debian.org/debian"
SECURITY = "http://security.debian.org/debian-security"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
TIMEOUT = 60.0
TRIES = 3


@dataclasses.dataclass(frozen=True)
class Suite:
    base_url: str
    name: str
    component: str = "main"
    architecture: str = "amd64"

    @property
    def index_path(self) -> str:
        return f"{self.component}/binary-{self.architecture}/Packages.xz"


def bookworm(debian: str = DEBIAN, security: str = SECURITY) -> list[Suite]:
    """bookworm main, -updates and -security: the newest kernel comes from the last two."""
    return [
        Suite(debian, "bookworm"),
        Suite(debian, "bookworm-updates"),
        Suite(security, "bookworm-security"),
    ]


class DownloadError(Exception):
    """A file could not be fetched, or its checksum is not the one the archive lists."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, destination: Path, sha256: str | None = None) -> Path:
    """Download `url` to `destination` (atomic rename), retried; checked when `sha256` is given.

    An existing file with the right checksum is reused without any network.
    """
    if sha256 is not None and destination.is_file() and sha256_of(destination) == sha256:
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    error = ""
    for attempt in range(TRIES):
        if attempt:
            time.sleep(2.0 * attempt)
        try:
            _download(url, destination)
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
            continue
        if sha256 is None or sha256_of(destination) == sha256:
            return destination
        error = f"sha256 mismatch (want {sha256})"
        destination.unlink()
    raise DownloadError(f"{url}: {error}")


def _download(url: str, destination: Path) -> None:
    log.info("downloading %s", url)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as handle:
        partial = Path(handle.name)
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
                shutil.copyfileobj(response, handle, 1 << 20)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(destination)


def release_hashes(text: str) -> dict[str, tuple[str, int]]:
    """The SHA256 section of a Release/InRelease file: {path: (sha256, size)}."""
    hashes: dict[str, tuple[str, int]] = {}
    inside = False
    for line in text.splitlines():
        if not line.startswith(" "):
            inside = line.strip() == "SHA256:"
            continue
        parts = line.split()
        if inside and len(parts) == 3:
            hashes[parts[2]] = (parts[0], int(parts[1]))
    return hashes


def verify_signature(path: Path) -> bool:
    """gpgv against Debian's keyring: True when verified, False when gpgv or the keyring is
    missing; DownloadError when the signature is bad."""
    gpgv = shutil.which("gpgv")
    if gpgv is None or not KEYRING.is_file():
        return False
    done = subprocess.run(
        [gpgv, "--keyring", str(KEYRING), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise DownloadError(f"{path.name}: bad signature: {done.stderr.strip()[-300:]}")
    return True


def load_suite(suite: Suite, cache: Path) -> tuple[list[Package], bool]:
    """The suite's packages, and whether its InRelease signature was verified."""
    folder = cache / "indexes" / suite.name
    inrelease = fetch(f"{suite.base_url}/dists/{suite.name}/InRelease", folder / "InRelease.new")
    signed = verify_signature(inrelease)
    inrelease.replace(folder / "InRelease")
    hashes = release_hashes((folder / "InRelease").read_text(encoding="utf-8"))
    if suite.index_path not in hashes:
        raise DownloadError(f"{suite.name}: InRelease lists no {suite.index_path}")
    sha256, _ = hashes[suite.index_path]
    url = f"{suite.base_url}/dists/{suite.name}/{suite.index_path}"
    compressed = fetch(url, folder / suite.index_path.replace("/", "_"), sha256)
    text = lzma.decompress(compressed.read_bytes()).decode("utf-8", errors="replace")
    return parse_packages(text, base_url=suite.base_url, suite=suite.name), signed


def fetch_debs(packages: list[Package], cache: Path) -> dict[str, Path]:
    """Every package's .deb in `cache/debs/` (reused when its SHA256 matches): {name: path}."""
    return {
        package.name: fetch(
            package.url, cache / "debs" / Path(package.filename).name, package.sha256
        )
        for package in packages
    }
