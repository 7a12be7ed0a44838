"""Download the target OS (a tar archive, or a kernel plus an optional initrd) and verify it."""

from __future__ import annotations

import hashlib
import http.client
import logging
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from beskar7.inspector.archive import extract, find_boot_files
from beskar7.inspector.client import REQUEST_TIMEOUT, opener
from beskar7.inspector.deadline import Deadline, TargetError, backoff
from beskar7.inspector.settings import Settings

log = logging.getLogger(__name__)

DOWNLOAD_ATTEMPTS = 3
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BootFiles:
    kernel: Path
    initrd: Path | None


class _RetryableError(Exception):
    pass


def fetch_target(settings: Settings, deadline: Deadline) -> BootFiles:
    """Download `beskar7.target`, check `beskar7.target-digest`, unpack it if it is a tar."""
    work = settings.state_dir / "target"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    download = work / "download"
    digest = download_file(settings.target, download, deadline, settings.max_target_bytes)
    if settings.target_digest and digest != settings.target_digest:
        raise TargetError(
            f"target digest mismatch: expected {settings.target_digest}, got {digest}"
        )
    if tarfile.is_tarfile(download):
        extract(download, work / "tree", max_bytes=settings.max_target_bytes)
        download.unlink()
        kernel, initrd = find_boot_files(work / "tree")
    else:
        kernel, initrd = download.rename(work / "kernel"), None
    if settings.target_initrd:
        initrd = work / "initrd"
        download_file(settings.target_initrd, initrd, deadline, settings.max_target_bytes)
    log.info("target ready: kernel %s, initrd %s", kernel, initrd or "none")
    return BootFiles(kernel=kernel, initrd=initrd)


def download_file(url: str, destination: Path, deadline: Deadline, max_bytes: int) -> str:
    """Save `url` to `destination`, retrying connection errors and 5xx; `sha256:<hex>`."""
    delays = backoff(1.0, 10.0)
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            return _download_once(url, destination, deadline, max_bytes)
        except _RetryableError as exc:
            log.warning("download of %s failed (try %d): %s", url, attempt, exc)
            if attempt == DOWNLOAD_ATTEMPTS or not deadline.pause(next(delays)):
                raise TargetError(f"download of {url} failed: {exc}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _download_once(url: str, destination: Path, deadline: Deadline, max_bytes: int) -> str:
    timeout = max(0.5, min(REQUEST_TIMEOUT, deadline.remaining()))
    try:
        with opener(redirects=True).open(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise TargetError(f"{url} is {length} bytes, more than {max_bytes}")
            return _save(response, destination, deadline, max_bytes)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code >= 500 or error.code == 429:
            raise _RetryableError(f"HTTP {error.code}") from None
        raise TargetError(f"download of {url} failed: HTTP {error.code}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise _RetryableError(str(getattr(exc, "reason", exc))) from None


def _save(
    response: http.client.HTTPResponse, destination: Path, deadline: Deadline, max_bytes: int
) -> str:
    digest = hashlib.sha256()
    size = 0
    with open(destination, "wb") as out:
        while chunk := response.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise TargetError(f"download exceeds {max_bytes} bytes")
            if deadline.expired():
                raise TargetError("download did not finish within beskar7.timeout")
            digest.update(chunk)
            out.write(chunk)
    log.info("downloaded %d bytes to %s", size, destination)
    return f"sha256:{digest.hexdigest()}"
