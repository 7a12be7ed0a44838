"""build/image/manifest.json: what an image was built from, and the lock it can be rebuilt from.

Every package is recorded with its version, archive file name, SHA256 and where it came from;
`--lock manifest.json` downloads exactly those files again (verified by SHA256), without
reading the archive's indexes, for as long as the archive still has them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from beskar7.image.index import Package

FORMAT = 1


def package_record(package: Package, required_by: str) -> dict[str, Any]:
    return {
        "name": package.name,
        "version": package.version,
        "architecture": package.architecture,
        "suite": package.suite,
        "base_url": package.base_url,
        "filename": package.filename,
        "sha256": package.sha256,
        "size": package.size,
        "required_by": required_by,
    }


def file_record(path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "size": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        **extra,
    }


def write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps({"format": FORMAT, **document}, indent=2) + "\n")


class LockError(Exception):
    """The lock file is not a manifest this builder wrote."""


def locked_packages(path: Path) -> tuple[list[Package], dict[str, str]]:
    """The packages of a manifest, ready to download again, and why each one was there."""
    document = json.loads(path.read_text())
    if document.get("format") != FORMAT or not isinstance(document.get("packages"), list):
        raise LockError(f"{path}: not a beskar7 image manifest (format {FORMAT})")
    packages = [
        Package(
            name=item["name"],
            version=item["version"],
            architecture=item["architecture"],
            filename=item["filename"],
            sha256=item["sha256"],
            size=int(item["size"]),
            base_url=item["base_url"],
            suite=item["suite"],
        )
        for item in document["packages"]
    ]
    return packages, {item["name"]: item.get("required_by", "") for item in document["packages"]}
